"""Stored deliveries age out: payloads are dropped after their retention, audit rows after theirs, each run
walking only the age range it acts on (on SQLite here, on PostgreSQL in CI)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services import lifecycle
from apps.integrations.services.lifecycle import deliveries_expire, delivery_payloads_prune
from apps.integrations.tasks import prune_delivery_payloads

pytestmark = pytest.mark.django_db


def _stored(prefix: str, count: int, *, days_ago: float, status: str = DeliveryStatus.PROCESSED) -> None:
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            delivery_id=f"{prefix}-{i}",
            event="ping",
            payload='{"zen": "z"}',
            received_at=now - timedelta(days=days_ago, seconds=i),
            status=status,
        )
        for i in range(count)
    )


def _with_payload() -> set[str]:
    return set(WebhookDelivery.objects.exclude(payload="").values_list("delivery_id", flat=True))


def test_payloads_past_retention_are_dropped_in_batches_and_recent_ones_kept(monkeypatch):
    monkeypatch.setattr(lifecycle, "BATCH", 7)
    _stored("old", 30, days_ago=40)
    _stored("new", 3, days_ago=1)
    assert delivery_payloads_prune() == 30
    assert _with_payload() == {"new-0", "new-1", "new-2"}
    assert WebhookDelivery.objects.count() == 33  # the audit rows stay


def test_a_prune_starts_where_the_last_one_ended(monkeypatch):
    _stored("old", 5, days_ago=40)
    _stored("later", 2, days_ago=31)
    assert delivery_payloads_prune(older_than_days=35) == 5  # yesterday's run, as far as 35 days ago
    with CaptureQueriesContext(connection) as ctx:
        assert delivery_payloads_prune(older_than_days=30) == 2
    updates = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "webhookdelivery" in q["sql"]
    ]
    assert updates and all("received_at" in u and ">=" in u for u in updates)  # a range, not the whole table


def test_a_prune_out_of_time_goes_on_next_run(monkeypatch):
    monkeypatch.setattr(lifecycle, "BATCH", 4)
    _stored("old", 10, days_ago=40)
    assert delivery_payloads_prune(seconds=0) < 10
    delivery_payloads_prune(seconds=60)
    assert _with_payload() == set()


def test_failed_deliveries_keep_their_payload_for_reprocessing():
    _stored("failed", 2, days_ago=40, status=DeliveryStatus.FAILED)
    assert delivery_payloads_prune() == 0
    assert _with_payload() == {"failed-0", "failed-1"}


def test_audit_rows_expire_after_their_retention(settings, monkeypatch):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 60
    monkeypatch.setattr(lifecycle, "BATCH", 3)
    _stored("ancient", 10, days_ago=61, status=DeliveryStatus.FAILED)
    _stored("kept", 2, days_ago=59)
    assert deliveries_expire() == 10
    assert set(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == {"kept-0", "kept-1"}


def test_audit_rows_never_expire_before_their_payload_nor_within_githubs_log(settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 1
    settings.WEBHOOK_PAYLOAD_RETENTION_DAYS = 2
    _stored("three-days", 1, days_ago=3)
    _stored("five-days", 1, days_ago=5)
    assert deliveries_expire() == 1
    assert set(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == {"three-days-0"}


def test_the_daily_task_prunes_then_expires(settings):
    _stored("old", 2, days_ago=40)
    _stored("ancient", 2, days_ago=100)
    assert prune_delivery_payloads() == 2  # the ancient ones are deleted first, not pruned
    assert set(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == {"old-0", "old-1"}
    assert _with_payload() == set()
