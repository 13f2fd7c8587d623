"""Recording and processing webhook deliveries: stored first, processed exactly once in effect."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils import timezone

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services.queueing import deliveries_enqueue, delivery_committed

logger = logging.getLogger(__name__)

MAX_HEADER_LENGTH = 64
BIGINT_MAX = 2**63 - 1


class MalformedDelivery(ValueError):
    """A delivery we refuse with 400; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class IncomingDelivery:
    """The parts of a webhook request that are stored, already checked."""

    delivery_id: str
    event: str
    action: str
    installation_id: int | None
    hook_id: int | None
    target_id: int | None
    target_type: str
    payload_text: str
    repository_id: int | None = None


def _header_int(value: str | None) -> int | None:
    if value and value.isdigit() and int(value) <= BIGINT_MAX:
        return int(value)
    return None


def _required_header(headers: Any, name: str) -> str:
    value = (headers.get(name) or "").strip()
    if not value:
        raise MalformedDelivery(f"Missing {name} header.")
    if len(value) > MAX_HEADER_LENGTH:
        raise MalformedDelivery(f"{name} header is longer than {MAX_HEADER_LENGTH} characters.")
    return value


def _payload_id(payload: dict[str, Any], key: str) -> int | None:
    """``payload[key]["id"]`` when it is an id a bigint column holds (installation, repository)."""
    part = payload.get(key)
    value = part.get("id") if isinstance(part, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= BIGINT_MAX:
        return value
    return None


def delivery_parse(*, headers: Any, body: bytes) -> IncomingDelivery:
    """Check the headers and the JSON body of a signed request (HTTP header names as GitHub sends them).

    orjson checks the body: strict JSON (no NaN, no lone surrogate, no raw control character such as NUL, which
    PostgreSQL's text cannot hold) faster than the standard library does, and nesting deeper than 1,024
    levels is an error it reports, not a ``RecursionError``; the worker parses stored bodies with it too.
    """
    event = _required_header(headers, "X-GitHub-Event")
    delivery_id = _required_header(headers, "X-GitHub-Delivery")
    try:
        payload = orjson.loads(body)
        payload_text = body.decode("utf-8")  # orjson has checked the UTF-8 already
    except orjson.JSONDecodeError as exc:
        raise MalformedDelivery(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedDelivery("The body must be a JSON object.")
    action = payload.get("action")
    return IncomingDelivery(
        delivery_id=delivery_id,
        event=event,
        action=action[:MAX_HEADER_LENGTH] if isinstance(action, str) else "",
        installation_id=_payload_id(payload, "installation"),
        hook_id=_header_int(headers.get("X-GitHub-Hook-ID")),
        target_id=_header_int(headers.get("X-GitHub-Hook-Installation-Target-ID")),
        target_type=(headers.get("X-GitHub-Hook-Installation-Target-Type") or "")[:32],
        payload_text=payload_text,
        repository_id=_payload_id(payload, "repository"),
    )


# One statement, no read first and no exception path: the unique constraint on delivery_id decides whether the
# delivery is new (a row id comes back) or a redelivery (nothing comes back). This is the endpoint's only query;
# written as SQL because the ORM's save adds model machinery this one INSERT does not need, on every delivery
# (benchmarks/bench_webhook.py compares them). ON CONFLICT … RETURNING works on PostgreSQL and SQLite ≥ 3.35.
_INSERT_DELIVERY = (
    "INSERT INTO integrations_webhookdelivery (delivery_id, hook_id, event, action, installation_id, repository_id,"
    " target_id, target_type, received_at, status, reason, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s, '', 0) ON CONFLICT (delivery_id) DO NOTHING RETURNING id"
)
# The body goes to its own table (``WebhookPayload``). On PostgreSQL in the same statement: the audit row's INSERT
# is a data-modifying CTE whose RETURNING feeds the payload's INSERT, so a redelivery (no row returned) inserts no
# payload either, and ingest stays one round trip; both rows commit together.
_INSERT_DELIVERY_AND_PAYLOAD = (
    "WITH d AS (" + _INSERT_DELIVERY + ", received_at) INSERT INTO integrations_webhookpayload"  # noqa: S608
    " (delivery_id, received_at, body) SELECT id, received_at, %s::text FROM d RETURNING delivery_id"
)
_INSERT_PAYLOAD = "INSERT INTO integrations_webhookpayload (delivery_id, received_at, body) VALUES (%s, %s, %s)"


def _insert_delivery(db: BaseDatabaseWrapper, params: list[Any]) -> tuple[int] | None:
    """The INSERT, in one round trip. Django checks a reused connection with a ``SELECT 1`` before a request's
    first query (``CONN_HEALTH_CHECKS``), a second round trip for an endpoint whose whole work is one round
    trip; here the INSERT is the check: in autocommit, a connection found dead (the database
    restarted) is closed and the INSERT tried once more on a new one. A retry of an INSERT that did commit finds
    the delivery stored and answers as for a redelivery; the delivery is pending and drained with the next one.
    """
    in_transaction = db.in_atomic_block
    if not in_transaction:
        db.health_check_done = True  # type: ignore[attr-defined]  # Django's own flag, not in the stubs
    try:
        return _execute_insert(db, params)
    except (InterfaceError, OperationalError):
        if in_transaction:
            raise
        db.close()
        return _execute_insert(db, params)


def _execute_insert(db: BaseDatabaseWrapper, params: list[Any]) -> tuple[int] | None:
    """``params``: the audit row's, then the body. On SQLite, which has no data-modifying CTE, two INSERTs in one
    transaction."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(_INSERT_DELIVERY_AND_PAYLOAD, params)
            row: tuple[int] | None = cursor.fetchone()  # RETURNING id, or nothing when the delivery id was stored
            return row
    *delivery, body = params
    with transaction.atomic(using=db.alias), db.cursor() as cursor:
        cursor.execute(_INSERT_DELIVERY, delivery)
        row = cursor.fetchone()
        if row is not None:
            received_at = delivery[8]  # in the order of _INSERT_DELIVERY's columns (delivery_record)
            cursor.execute(_INSERT_PAYLOAD, [row[0], received_at, body])
        return row


def delivery_record(*, incoming: IncomingDelivery) -> int | None:
    """Store the delivery (its audit row and its body) and return its row id; None if its delivery id is stored
    already.

    Once the row is committed, processing is run (no broker) or a worker woken (``services.queueing``). The
    database connection is looked up once and handed down: every use of Django's ``connection`` proxy is a
    thread-local lookup, a dozen of them per delivery.
    """
    db = connections[DEFAULT_DB_ALIAS]
    params = [
        incoming.delivery_id,
        incoming.hook_id,
        incoming.event,
        incoming.action,
        incoming.installation_id,
        incoming.repository_id,
        incoming.target_id,
        incoming.target_type,
        db.ops.adapt_datetimefield_value(timezone.now()),  # as the ORM stores it (naive UTC on SQLite)
        DeliveryStatus.PENDING.value,
        incoming.payload_text,
    ]
    row = _insert_delivery(db, params)
    if row is None:
        return None
    delivery_pk = row[0]
    db.on_commit(lambda: delivery_committed(delivery_pk))
    return delivery_pk


SWEEP_BATCH = 1_000  # pending ids read per statement; queued MAX_BATCH a message


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep queued, and where to go on from when it ran out of time (None: the backlog is all queued)."""

    queued: int
    resume_after: tuple[str, int] | None = None


def deliveries_sweep_pending(
    *, older_than: timedelta | None = None, seconds: float | None = None, after: tuple[str, int] | None = None
) -> SweepResult:
    """Queue every pending delivery the broker lost (or never got), oldest first, for up to ``seconds``.

    After a broker outage the backlog is whatever arrived meanwhile (every event of the outage), so the
    sweep is bounded by time (``WEBHOOK_SWEEP_SECONDS``), not by a count: it reads the pending rows in keyset
    order on the partial pending index, ``SWEEP_BATCH`` at a time, and queues them until none are left; out of
    time, it says where it stopped (``resume_after``: received_at ISO text and pk) so its task goes on from there
    instead of reading the queued ones again. A broker still down stops the sweep at once (the next one comes
    back). Claiming makes a double queue harmless.
    """
    grace = older_than if older_than is not None else timedelta(seconds=settings.WEBHOOK_PENDING_GRACE_SECONDS)
    budget = settings.WEBHOOK_SWEEP_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + budget
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, received_at__lte=timezone.now() - grace)
    cursor = (datetime.fromisoformat(after[0]), after[1]) if after else None
    queued = 0
    while True:
        page = pending
        if cursor is not None:
            page = page.filter(Q(received_at__gt=cursor[0]) | Q(received_at=cursor[0], pk__gt=cursor[1]))
        rows = list(page.order_by("received_at", "pk").values_list("received_at", "pk")[:SWEEP_BATCH])
        if not rows:
            return SweepResult(queued)
        if not deliveries_enqueue(pks=[pk for _, pk in rows]):
            return SweepResult(queued)  # the broker is down: the next sweep comes back for all of them
        queued += len(rows)
        cursor = rows[-1]
        if len(rows) < SWEEP_BATCH:
            return SweepResult(queued)
        if time.monotonic() >= deadline:
            return SweepResult(queued, resume_after=(cursor[0].isoformat(), cursor[1]))


def deliveries_reprocess(*, pks: list[int]) -> int:
    """Send failed or ignored deliveries through processing again (admin action, management command)."""
    kept = set(WebhookDelivery.objects.filter(pk__in=pks).payload_kept().values_list("pk", flat=True))
    pruned = WebhookDelivery.objects.filter(pk__in=pks).exclude(pk__in=kept).count()
    if pruned:
        logger.warning("%s deliveries have no stored payload any more and cannot be reprocessed", pruned)
    updated = list(
        WebhookDelivery.objects.filter(pk__in=kept).exclude(status=DeliveryStatus.PENDING).values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=updated).update(status=DeliveryStatus.PENDING, reason="", attempts=0)
    transaction.on_commit(lambda: deliveries_enqueue(pks=updated))
    return len(updated)
