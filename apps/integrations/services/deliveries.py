"""Recording and processing webhook deliveries: stored first, processed exactly once in effect."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
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


def _payload_installation_id(payload: dict[str, Any]) -> int | None:
    installation = payload.get("installation")
    value = installation.get("id") if isinstance(installation, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= BIGINT_MAX:
        return value
    return None


def delivery_parse(*, headers: Any, body: bytes) -> IncomingDelivery:
    """Check the headers and the JSON body of a signed request (HTTP header names as GitHub sends them).

    orjson checks the body: strict JSON (no NaN, no lone surrogate, no raw control character such as NUL, which
    PostgreSQL's text cannot hold) in about a third of the standard library's time, and nesting deeper than 1,024
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
        installation_id=_payload_installation_id(payload),
        hook_id=_header_int(headers.get("X-GitHub-Hook-ID")),
        target_id=_header_int(headers.get("X-GitHub-Hook-Installation-Target-ID")),
        target_type=(headers.get("X-GitHub-Hook-Installation-Target-Type") or "")[:32],
        payload_text=payload_text,
    )


# One statement, no read first and no exception path: the unique constraint on delivery_id decides whether the
# delivery is new (a row id comes back) or a redelivery (nothing comes back). This is the endpoint's only query;
# written as SQL because the ORM's save costs about half a millisecond more per delivery (measured with
# benchmarks/bench_webhook.py). ON CONFLICT … RETURNING works on PostgreSQL and SQLite ≥ 3.35.
_INSERT_DELIVERY = (
    "INSERT INTO integrations_webhookdelivery (delivery_id, hook_id, event, action, installation_id, target_id,"
    " target_type, payload, received_at, status, reason, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " '', 0) ON CONFLICT (delivery_id) DO NOTHING RETURNING id"
)


def _insert_delivery(params: list[Any]) -> tuple[int] | None:
    """The INSERT, in one round trip. Django checks a reused connection with a ``SELECT 1`` before a request's
    first query (``CONN_HEALTH_CHECKS``), a second round trip that costs this endpoint more than a tenth of its
    time on a busy machine; here the INSERT is the check: in autocommit, a connection found dead (the database
    restarted) is closed and the INSERT tried once more on a new one. A retry of an INSERT that did commit finds
    the delivery stored and answers as for a redelivery; the delivery is pending and drained with the next one.
    """
    in_transaction = connection.in_atomic_block
    if not in_transaction:
        connection.health_check_done = True  # type: ignore[attr-defined]  # Django's own flag, not in the stubs
    try:
        return _execute_insert(params)
    except (InterfaceError, OperationalError):
        if in_transaction:
            raise
        connection.close()
        return _execute_insert(params)


def _execute_insert(params: list[Any]) -> tuple[int] | None:
    with _binding_cursor() as cursor:
        cursor.execute(_INSERT_DELIVERY, params)
        row: tuple[int] | None = cursor.fetchone()  # RETURNING id, or nothing when the delivery id was stored
        return row


def _binding_cursor() -> CursorWrapper:
    """A cursor that sends the body to PostgreSQL as a bound parameter, not inside the SQL text.

    Django's psycopg cursors bind client-side: the 28 KB body is escaped into the statement and PostgreSQL parses
    it as a string literal, 0.2 ms of a delivery's time on both sides (``benchmarks/bench_webhook.py``).
    Server-side binding sends it as it is; the statement is unnamed, so transaction-pooling proxies cope. The
    cursor is wrapped as Django wraps its own (errors translated, queries logged where Django logs them).
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    return wrap(raw)  # type: ignore[arg-type]  # django-stubs types the DB-API cursor as the wrapper returned


def delivery_record(*, incoming: IncomingDelivery) -> int | None:
    """Store the delivery and return its row id; None if its delivery id is stored already.

    Once the row is committed, processing is run (no broker) or a worker woken (``services.queueing``).
    """
    params = [
        incoming.delivery_id,
        incoming.hook_id,
        incoming.event,
        incoming.action,
        incoming.installation_id,
        incoming.target_id,
        incoming.target_type,
        incoming.payload_text,
        connection.ops.adapt_datetimefield_value(timezone.now()),  # as the ORM stores it (naive UTC on SQLite)
        DeliveryStatus.PENDING.value,
    ]
    row = _insert_delivery(params)
    if row is None:
        return None
    delivery_pk = row[0]
    transaction.on_commit(lambda: delivery_committed(delivery_pk))
    return delivery_pk


def deliveries_sweep_pending(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Queue pending deliveries the broker lost (or never got). Claiming makes a double queue harmless."""
    grace = older_than if older_than is not None else timedelta(seconds=settings.WEBHOOK_PENDING_GRACE_SECONDS)
    pks = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, received_at__lte=timezone.now() - grace)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    return len(pks) if pks and deliveries_enqueue(pks=pks) else 0


def deliveries_reprocess(*, pks: list[int]) -> int:
    """Send failed or ignored deliveries through processing again (admin action, management command)."""
    pruned = WebhookDelivery.objects.filter(pk__in=pks, payload_pruned_at__isnull=False).count()
    if pruned:
        logger.warning("%s deliveries have no stored payload any more and cannot be reprocessed", pruned)
    updated = list(
        WebhookDelivery.objects.filter(pk__in=pks, payload_pruned_at__isnull=True)
        .exclude(status=DeliveryStatus.PENDING)
        .values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=updated).update(status=DeliveryStatus.PENDING, reason="", attempts=0)
    transaction.on_commit(lambda: deliveries_enqueue(pks=updated))
    return len(updated)


def delivery_payloads_prune(*, older_than_days: int | None = None) -> int:
    """Drop stored bodies past the retention period; the rows stay as the audit trail.

    Failed deliveries keep their payload so they can still be reprocessed.
    """
    days = older_than_days if older_than_days is not None else settings.WEBHOOK_PAYLOAD_RETENTION_DAYS
    return WebhookDelivery.objects.filter(
        received_at__lt=timezone.now() - timedelta(days=days),
        payload_pruned_at__isnull=True,
        status__in=[DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED],
    ).update(payload="", payload_pruned_at=timezone.now())
