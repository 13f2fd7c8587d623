"""Recording and processing webhook deliveries: stored first, processed exactly once in effect."""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services.queueing import task_enqueue

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
    """Check the headers and the JSON body of a signed request (HTTP header names as GitHub sends them)."""
    event = _required_header(headers, "X-GitHub-Event")
    delivery_id = _required_header(headers, "X-GitHub-Delivery")
    try:
        payload_text = body.decode("utf-8")
        payload = json.loads(payload_text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedDelivery(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedDelivery("The body must be a JSON object.")
    if "\x00" in payload_text:
        raise MalformedDelivery("The body contains a NUL character.")
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


def delivery_record(*, incoming: IncomingDelivery) -> WebhookDelivery | None:
    """Store the delivery; None if its delivery id is stored already (the unique constraint decides).

    One INSERT, no read first. Processing is queued once the row is committed.
    """
    delivery = WebhookDelivery(
        delivery_id=incoming.delivery_id,
        event=incoming.event,
        action=incoming.action,
        installation_id=incoming.installation_id,
        hook_id=incoming.hook_id,
        target_id=incoming.target_id,
        target_type=incoming.target_type,
        payload=incoming.payload_text,
        received_at=timezone.now(),
    )
    # Under autocommit a failed INSERT leaves the connection usable, so no savepoint round trips are
    # spent on the hot path; inside an outer transaction a savepoint keeps that transaction alive.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with guard:
            delivery.save(force_insert=True)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: delivery_enqueue(delivery_pk=delivery.pk))
    return delivery


def delivery_enqueue(*, delivery_pk: int) -> bool:
    """Queue processing. A broker that is down leaves the delivery pending for the sweeper: never lost."""
    from apps.integrations.tasks import process_delivery

    return task_enqueue(process_delivery, delivery_pk, what=f"webhook delivery pk={delivery_pk}")


def deliveries_sweep_pending(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Queue pending deliveries the broker lost (or never got). Claiming makes a double queue harmless."""
    grace = older_than if older_than is not None else timedelta(seconds=settings.WEBHOOK_PENDING_GRACE_SECONDS)
    pks = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, received_at__lte=timezone.now() - grace)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(delivery_enqueue(delivery_pk=pk) for pk in pks)


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
    for pk in updated:
        transaction.on_commit(lambda pk=pk: delivery_enqueue(delivery_pk=pk))
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
