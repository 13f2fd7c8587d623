"""The life cycle of stored deliveries: the payload is dropped after ``WEBHOOK_PAYLOAD_RETENTION_DAYS``, the audit
row itself after ``WEBHOOK_DELIVERY_RETENTION_DAYS``.

Both walk ``delivery_received_idx`` over the age range they act on, in batches of ``BATCH`` rows, each its own
short statement in autocommit: no full-table scan, no transaction holding millions of row locks, and the work
of a day is proportional to a day's deliveries, not to the table. Pruning remembers how far it has gone (the
``delivery-payload-prune`` checkpoint) so each run starts where the last one ended instead of walking again
through rows pruned long ago; a delivery that was not prunable when its day went by (failed: kept so it can be
reprocessed; or still pending) keeps its payload until its audit row expires.

On PostgreSQL a partitioned payload table would make this a ``DROP`` of a day's partition; see
docs/deployment.md ("Deliveries at scale") for why this is not that yet.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.integrations.models import Checkpoint, DeliveryStatus, WebhookDelivery

BATCH = 5_000
PRUNE_CHECKPOINT = "delivery-payload-prune"
PRUNABLE = (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED)


def _deadline(seconds: float | None) -> float:
    return time.monotonic() + (settings.WEBHOOK_LIFECYCLE_SECONDS if seconds is None else seconds)


def delivery_payloads_prune(*, older_than_days: int | None = None, seconds: float | None = None) -> int:
    """Drop stored bodies past the retention period; the rows stay as the audit trail. Failed deliveries keep
    their payload so they can still be reprocessed. Returns how many payloads were dropped this run; a run out of
    time (``WEBHOOK_LIFECYCLE_SECONDS``) leaves the rest to the next, from where it stopped."""
    days = settings.WEBHOOK_PAYLOAD_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    checkpoint, _ = Checkpoint.objects.get_or_create(name=PRUNE_CHECKPOINT)
    start = parse_datetime(checkpoint.value["through"]) if checkpoint.value.get("through") else None
    deadline, pruned = _deadline(seconds), 0
    while True:
        rows = WebhookDelivery.objects.filter(received_at__lt=cutoff)
        if start is not None:
            rows = rows.filter(received_at__gte=start)
        batch = list(rows.order_by("received_at").values_list("received_at", flat=True)[BATCH - 1 : BATCH])
        upper = batch[0] if batch else cutoff  # the next BATCH rows by age (a range on the index), or the rest
        if start is not None and upper <= start:  # BATCH rows received in the same microsecond: take them all
            upper = start + timedelta(microseconds=1)
        span = WebhookDelivery.objects.filter(received_at__lt=upper)
        if start is not None:
            span = span.filter(received_at__gte=start)
        pruned += span.filter(payload_pruned_at__isnull=True, status__in=PRUNABLE).update(
            payload="", payload_pruned_at=timezone.now()
        )
        start = upper
        checkpoint.value = {"through": start.isoformat()}
        checkpoint.save(update_fields=["value", "updated_at"])
        if not batch or time.monotonic() >= deadline:
            return pruned


def deliveries_expire(*, older_than_days: int | None = None, seconds: float | None = None) -> int:
    """Delete audit rows past ``WEBHOOK_DELIVERY_RETENTION_DAYS``, oldest first, ``BATCH`` at a time. Never sooner
    than the payload retention, nor than GitHub's three-day delivery log (the redelivery scan knows a delivery
    reached us by its row). Returns how many rows were deleted this run."""
    days = settings.WEBHOOK_DELIVERY_RETENTION_DAYS if older_than_days is None else older_than_days
    days = max(days, settings.WEBHOOK_PAYLOAD_RETENTION_DAYS, 4)
    cutoff: datetime = timezone.now() - timedelta(days=days)
    deadline, deleted = _deadline(seconds), 0
    expired = WebhookDelivery.objects.filter(received_at__lt=cutoff).order_by("received_at")
    while pks := list(expired.values_list("pk", flat=True)[:BATCH]):
        deleted += WebhookDelivery.objects.filter(pk__in=pks).delete()[0]
        if time.monotonic() >= deadline:
            break
    return deleted
