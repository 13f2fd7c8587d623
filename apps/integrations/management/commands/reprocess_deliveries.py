"""``manage.py reprocess_deliveries --status failed --since 2026-01-01``: send deliveries through again,
for example after fixing the bug that failed them."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services.deliveries import deliveries_reprocess


def _since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since wants a date or date-time, got {value!r}")
        moment = datetime.combine(day, time.min)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Reprocess stored webhook deliveries of a status (default: failed) received since a date."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--status", default=DeliveryStatus.FAILED, choices=DeliveryStatus.values)
        parser.add_argument("--since", required=True, help="date or ISO date-time")
        parser.add_argument("--event", help="only this event")

    def handle(self, *args: Any, status: str, since: str, event: str | None, **options: Any) -> None:
        deliveries = WebhookDelivery.objects.filter(status=status, received_at__gte=_since(since))
        if event:
            deliveries = deliveries.filter(event=event)
        count = deliveries_reprocess(pks=list(deliveries.values_list("pk", flat=True)))
        self.stdout.write(f"{count} deliveries queued for reprocessing.")
