"""The life cycle of stored deliveries: the body (``WebhookPayload``) is dropped after
``WEBHOOK_PAYLOAD_RETENTION_DAYS``, the audit row (``WebhookDelivery``) after ``WEBHOOK_DELIVERY_RETENTION_DAYS``.

On PostgreSQL the payload table is partitioned by UTC day (``services.payload_partitions``), and pruning is dropping
the partitions wholly older than the retention, oldest first: no UPDATE, no DELETE, no dead tuples for autovacuum,
and the space (the TOAST of the bodies included) goes back to the system at once. The bodies of a day's deliveries
still pending or failed are kept (a failed delivery can be reprocessed, a pending one is still to be processed): in
the transaction that detaches the partition they are copied into the DEFAULT partition, then the partition is
dropped. The DEFAULT partition (those kept bodies, and any row that found no day partition) is pruned by a DELETE
of its rows past the retention whose delivery is done, or gone. The detach takes the parent's lock for the few
milliseconds of that copy; a run that cannot have it within ``LOCK_TIMEOUT`` stops and leaves the day to the next.

On SQLite (no partitions) pruning deletes the rows past the retention in batches of ``BATCH``. The audit rows
expire by age in batches, each its own short statement on ``delivery_received_idx``, their bodies with them. Both
stop after ``WEBHOOK_LIFECYCLE_SECONDS``; the next day's run goes on from where they stopped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.integrations.models import DeliveryStatus, WebhookDelivery, WebhookPayload
from apps.integrations.services.payload_partitions import (
    DEFAULT_PARTITION,
    PARENT,
    day_bounds,
    partition_set_lock,
    partitioned,
    payload_partitions,
)

logger = logging.getLogger(__name__)

BATCH = 5_000
PRUNABLE = (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED)
LOCK_TIMEOUT = "2s"  # a prune waits no longer than this for the payload table's lock (ingest must not queue behind)


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What one prune did: payloads dropped in all, and the day partitions dropped (PostgreSQL)."""

    payloads: int
    partitions: int = 0


def _deadline(seconds: float | None) -> float:
    return time.monotonic() + (settings.WEBHOOK_LIFECYCLE_SECONDS if seconds is None else seconds)


def _cutoff(older_than_days: int | None) -> datetime:
    days = settings.WEBHOOK_PAYLOAD_RETENTION_DAYS if older_than_days is None else older_than_days
    return timezone.now() - timedelta(days=days)


def delivery_payloads_prune(*, older_than_days: int | None = None, seconds: float | None = None) -> int:
    """Drop stored bodies past the retention period; the audit rows stay. The bodies of deliveries still pending or
    failed are kept, so they can be processed or reprocessed. Returns how many bodies were dropped this run."""
    return delivery_payloads_prune_run(older_than_days=older_than_days, seconds=seconds).payloads


def delivery_payloads_prune_run(*, older_than_days: int | None = None, seconds: float | None = None) -> PruneResult:
    cutoff, deadline = _cutoff(older_than_days), _deadline(seconds)
    if not partitioned():
        return PruneResult(_rows_delete(cutoff=cutoff, deadline=deadline))
    dropped = partitions = 0
    for day, name in sorted(payload_partitions().items()):
        if day_bounds(day)[1] > cutoff or time.monotonic() >= deadline:
            break
        try:
            dropped += _partition_drop(name, *day_bounds(day))
        except OperationalError as exc:  # the lock was not had in time (or the partition is gone): the next run
            logger.warning("payload partition %s not dropped this run: %s", name, exc)
            break
        partitions += 1
    return PruneResult(dropped + _default_partition_prune(cutoff=cutoff, deadline=deadline), partitions)


def _partition_drop(name: str, start: datetime, end: datetime) -> int:
    """Detach one day's partition, copy the bodies of its deliveries not done yet into the DEFAULT partition (read
    through the deliveries' ``received_at`` range of that day, never the whole table), drop it. Returns how many
    bodies went (0 if another run dropped it first)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        partition_set_lock(cursor)
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - a past day: no one writes to it
        total: int = cursor.fetchone()[0]
        cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {name}")  # ingest waits from here to the commit
        cursor.execute(
            f"INSERT INTO {PARENT} (delivery_id, received_at, body) SELECT p.delivery_id, p.received_at, p.body"  # noqa: S608
            f" FROM {name} p JOIN integrations_webhookdelivery d ON d.id = p.delivery_id"
            " AND d.received_at = p.received_at WHERE d.received_at >= %s AND d.received_at < %s"
            " AND d.status <> ALL(%s)",
            [start, end, [str(s) for s in PRUNABLE]],
        )
        kept: int = cursor.rowcount
        cursor.execute(f"DROP TABLE {name}")
    return total - kept


def _default_partition_prune(*, cutoff: datetime, deadline: float) -> int:
    """The DEFAULT partition's bodies past the retention whose delivery is done (or deleted), ``BATCH`` rows a
    statement."""
    deleted = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {DEFAULT_PARTITION} WHERE ctid = ANY(ARRAY(SELECT p.ctid FROM {DEFAULT_PARTITION} p"  # noqa: S608
                " WHERE p.received_at < %s AND NOT EXISTS (SELECT 1 FROM integrations_webhookdelivery d"
                " WHERE d.id = p.delivery_id AND d.status <> ALL(%s)) LIMIT %s))",
                [cutoff, [str(s) for s in PRUNABLE], BATCH],
            )
            batch: int = cursor.rowcount
            deleted += batch
            if batch < BATCH or time.monotonic() >= deadline:
                return deleted


def _rows_delete(*, cutoff: datetime, deadline: float) -> int:
    """SQLite: bodies past the retention whose delivery is done (or deleted), oldest first, ``BATCH`` a statement."""
    not_done = WebhookDelivery.objects.filter(pk=OuterRef("delivery_id")).exclude(status__in=PRUNABLE)
    old = WebhookPayload.objects.filter(received_at__lt=cutoff).filter(~Exists(not_done)).order_by("received_at")
    deleted = 0
    while ids := list(old.values_list("delivery_id", flat=True)[:BATCH]):
        deleted += WebhookPayload.objects.filter(delivery_id__in=ids, received_at__lt=cutoff).delete()[0]
        if time.monotonic() >= deadline:
            break
    return deleted


def deliveries_expire(*, older_than_days: int | None = None, seconds: float | None = None) -> int:
    """Delete audit rows past ``WEBHOOK_DELIVERY_RETENTION_DAYS``, oldest first, ``BATCH`` at a time, and the bodies
    still kept for them (failed ones). Never sooner than the payload retention, nor than GitHub's three-day delivery
    log (the redelivery scan knows a delivery reached us by its row). Returns how many rows were deleted this run."""
    days = settings.WEBHOOK_DELIVERY_RETENTION_DAYS if older_than_days is None else older_than_days
    days = max(days, settings.WEBHOOK_PAYLOAD_RETENTION_DAYS, 4)
    cutoff: datetime = timezone.now() - timedelta(days=days)
    deadline, deleted = _deadline(seconds), 0
    expired = WebhookDelivery.objects.filter(received_at__lt=cutoff).order_by("received_at")
    while pks := list(expired.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            WebhookPayload.objects.filter(delivery_id__in=pks, received_at__lt=cutoff).delete()
            deleted += WebhookDelivery.objects.filter(pk__in=pks).delete()[0]
        if time.monotonic() >= deadline:
            break
    return deleted
