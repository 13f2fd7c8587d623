"""The day partitions of the payload table on PostgreSQL: created ahead of the days they hold, dropped when their day
is past the payload retention (``services.lifecycle``).

``integrations_webhookpayload`` is partitioned by range of ``received_at``: one partition per UTC day, named
``integrations_webhookpayload_pYYYYMMDD``, and a DEFAULT partition for a row no day partition takes (a day nobody
created a partition for, and the payloads pruning keeps past their day: those of deliveries still pending or
failed). Partitions are created ``DAYS_AHEAD`` days ahead by a daily beat task and after every ``migrate`` (a
``post_migrate`` receiver), so a fresh install, a test database and a beat that missed a few days all have today's.

A partition is created as a table of its own and then attached, after the DEFAULT partition's rows of its day (if
any landed there) are moved into it: ``CREATE TABLE … PARTITION OF`` would fail on such rows, and ``ATTACH`` holds a
lighter lock on the parent (inserts go on). Every change of the partition set takes one advisory lock, so two
processes creating or dropping at once (several hosts migrating, a beat task beside them) take turns.

On SQLite there are no partitions and every function here does nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

PARENT = "integrations_webhookpayload"
DEFAULT_PARTITION = f"{PARENT}_default"
DAYS_AHEAD = 7
LOCK_KEY = 7_119_019  # pg_advisory_xact_lock key of the partition set: any constant of our own
_NAME = re.compile(rf"^{PARENT}_p(\d{{8}})$")


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC day's range, ``[start, end)``, as the partition's bounds."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _literal(moment: datetime) -> str:
    """A bound for DDL, which takes no parameters: made from a date, so never user text."""
    return f"'{moment:%Y-%m-%d %H:%M:%S}+00'"


def partitioned(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the payload table is partitioned here: PostgreSQL, and migrated at least to 0011."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def payload_partitions(*, using: str = DEFAULT_DB_ALIAS) -> dict[date, str]:
    """The day partitions attached now, by day (the DEFAULT partition is not one)."""
    if not partitioned(using):
        return {}
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s)",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    days = {}
    for name in names:
        if match := _NAME.match(name):
            days[datetime.strptime(match.group(1), "%Y%m%d").date()] = name  # a calendar day: no time zone
    return days


def partition_set_lock(cursor: CursorWrapper) -> None:
    """Inside a transaction: wait for any other change of the partition set to finish."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def payload_partitions_ensure(
    *, since: date | None = None, days_ahead: int = DAYS_AHEAD, using: str = DEFAULT_DB_ALIAS
) -> int:
    """Create the missing day partitions from ``since`` (default today, UTC) to ``days_ahead`` days after today.
    Returns how many were created."""
    if not partitioned(using):
        return 0
    today = timezone.now().astimezone(UTC).date()
    first = since or today
    existing = payload_partitions(using=using)
    created = 0
    for offset in range((today + timedelta(days=days_ahead) - first).days + 1):
        day = first + timedelta(days=offset)
        if day not in existing and _partition_create(day, using=using):
            created += 1
    return created


def _partition_create(day: date, *, using: str) -> bool:
    """One day's partition, with the rows of that day the DEFAULT partition holds moved into it, in one
    transaction. False if another process created it meanwhile."""
    name = partition_name(day)
    start, end = day_bounds(day)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        partition_set_lock(cursor)
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return False
        cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING ALL)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE received_at >= %s AND received_at < %s"  # noqa: S608
            f" RETURNING delivery_id, received_at, body) INSERT INTO {name} (delivery_id, received_at, body)"
            " SELECT delivery_id, received_at, body FROM moved",
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"
        )
    return True
