"""Stored deliveries age out: bodies are dropped after their retention (on PostgreSQL a day's partition at a time),
audit rows after theirs, and a body a delivery still needs (pending, failed) stays until its row expires. On SQLite
here, on PostgreSQL in CI; the partition tests are PostgreSQL's."""

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.integrations import handlers
from apps.integrations.models import DeliveryStatus, WebhookDelivery, WebhookPayload
from apps.integrations.services import lifecycle
from apps.integrations.services.deliveries import deliveries_reprocess
from apps.integrations.services.lifecycle import (
    deliveries_expire,
    delivery_payloads_prune,
    delivery_payloads_prune_run,
)
from apps.integrations.services.payload_partitions import (
    DAYS_AHEAD,
    DEFAULT_PARTITION,
    partition_name,
    payload_partitions,
    payload_partitions_ensure,
)
from apps.integrations.tasks import create_payload_partitions, prune_delivery_payloads
from apps.integrations.tests.factories import deliveries_bulk_stored

pytestmark = pytest.mark.django_db


def _stored(prefix: str, count: int, *, days_ago: float, status: str = DeliveryStatus.PROCESSED) -> None:
    """``count`` deliveries of ``days_ago`` with their bodies; on PostgreSQL their day has its partition, as it had
    when they arrived."""
    now = timezone.now()
    payload_partitions_ensure(since=(now - timedelta(days=days_ago + 1)).astimezone(UTC).date())
    deliveries_bulk_stored(
        (
            WebhookDelivery(
                delivery_id=f"{prefix}-{i}", event="ping", received_at=now - timedelta(days=days_ago, seconds=i),
                status=status,
            )
            for i in range(count)
        ),
        body='{"zen": "z"}',
    )  # fmt: skip


def _with_payload() -> set[str]:
    return set(WebhookDelivery.objects.payload_kept().values_list("delivery_id", flat=True))


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the payload table is partitioned on PostgreSQL only; CI runs this on PostgreSQL")


def test_payloads_past_retention_are_dropped_and_recent_ones_kept(monkeypatch):
    monkeypatch.setattr(lifecycle, "BATCH", 7)
    _stored("old", 30, days_ago=40)
    _stored("new", 3, days_ago=1)
    assert delivery_payloads_prune() == 30
    assert _with_payload() == {"new-0", "new-1", "new-2"}
    assert WebhookDelivery.objects.count() == 33  # the audit rows stay


def test_a_prune_out_of_time_goes_on_next_run(monkeypatch):
    monkeypatch.setattr(lifecycle, "BATCH", 4)
    _stored("old", 10, days_ago=40)
    assert delivery_payloads_prune(seconds=0) < 10
    delivery_payloads_prune(seconds=60)
    assert _with_payload() == set()


def test_failed_and_pending_deliveries_keep_their_payload():
    _stored("failed", 2, days_ago=40, status=DeliveryStatus.FAILED)
    _stored("pending", 1, days_ago=40, status=DeliveryStatus.PENDING)
    _stored("done", 3, days_ago=40)
    assert delivery_payloads_prune() == 3
    assert _with_payload() == {"failed-0", "failed-1", "pending-0"}
    pending = WebhookDelivery.objects.with_payload().get(delivery_id="pending-0")
    assert pending.payload_stored() == '{"zen": "z"}'


def test_a_failed_delivery_pruned_past_its_day_is_still_reprocessed(
    signed_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    def buggy(event, delivery):
        raise RuntimeError("bug")

    monkeypatch.setitem(handlers.HANDLERS, "fixable", buggy)
    old = timezone.now() - timedelta(days=40)
    payload_partitions_ensure(since=old.astimezone(UTC).date())
    signed_webhook("fixable", {"action": "x"}, delivery_id="old-failed")
    delivery = WebhookDelivery.objects.get(delivery_id="old-failed")
    assert delivery.status == DeliveryStatus.FAILED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=old)  # as if it had failed 40 days ago
    WebhookPayload.objects.filter(delivery=delivery).update(received_at=old)  # (moves it to that day's partition)
    assert delivery_payloads_prune() == 0
    seen = []
    monkeypatch.setitem(handlers.HANDLERS, "fixable", lambda event, d: seen.append(d.delivery_id))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_reprocess(pks=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED and seen == ["old-failed"]  # its body was read


def test_a_processed_delivery_cannot_be_reprocessed_once_its_payload_is_pruned(signed_webhook):
    signed_webhook("meta", {"action": "deleted"}, delivery_id="old")
    assert WebhookDelivery.objects.get(delivery_id="old").status == DeliveryStatus.IGNORED
    old = timezone.now() - timedelta(days=40)
    WebhookDelivery.objects.update(received_at=old)
    WebhookPayload.objects.update(received_at=old)
    assert delivery_payloads_prune() == 1
    delivery = WebhookDelivery.objects.with_payload().get(delivery_id="old")
    assert delivery.payload_stored() is None
    assert deliveries_reprocess(pks=[delivery.pk]) == 0


def test_audit_rows_expire_after_their_retention_with_their_payloads(settings, monkeypatch):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 60
    monkeypatch.setattr(lifecycle, "BATCH", 3)
    _stored("ancient", 10, days_ago=61, status=DeliveryStatus.FAILED)
    _stored("kept", 2, days_ago=59)
    assert deliveries_expire() == 10
    assert set(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == {"kept-0", "kept-1"}
    assert WebhookPayload.objects.count() == 2


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


def test_on_sqlite_a_prune_deletes_only_rows_past_the_retention():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite deletes rows; PostgreSQL drops partitions (tested below)")
    _stored("old", 3, days_ago=40)
    _stored("new", 2, days_ago=1)
    with CaptureQueriesContext(connection) as ctx:
        assert delivery_payloads_prune() == 3
    deletes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("DELETE")]
    assert deletes and all("received_at" in d for d in deletes)
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]


def test_partitions_for_today_and_the_week_ahead_exist_after_migrate():
    _postgresql_only()
    today = timezone.now().astimezone(UTC).date()
    assert {today + timedelta(days=n) for n in range(DAYS_AHEAD + 1)} <= set(payload_partitions())
    assert create_payload_partitions() == 0  # the daily task finds them there


def test_a_prune_drops_a_days_partition_with_no_update_or_delete_and_keeps_a_failed_payload():
    _postgresql_only()
    _stored("done", 20, days_ago=40)
    _stored("failed", 1, days_ago=40, status=DeliveryStatus.FAILED)
    _stored("new", 2, days_ago=1)
    day = (timezone.now() - timedelta(days=40)).astimezone(UTC).date()
    assert day in payload_partitions()
    with CaptureQueriesContext(connection) as ctx:
        result = delivery_payloads_prune_run()
    assert result.payloads == 20 and result.partitions >= 1
    assert day not in payload_partitions()
    statements = [q["sql"] for q in ctx.captured_queries]
    assert f"DROP TABLE {partition_name(day)}" in statements
    assert not [s for s in statements if s.startswith("UPDATE")]
    assert not [s for s in statements if s.startswith("DELETE") and DEFAULT_PARTITION not in s]
    assert _with_payload() == {"failed-0", "new-0", "new-1"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        assert cursor.fetchone()[0] == 1  # the failed delivery's body, kept past its day


def test_the_default_partition_is_pruned_of_done_deliveries_past_the_retention():
    _postgresql_only()
    now = timezone.now()
    deliveries_bulk_stored(  # a day no partition was made for: the bodies land in DEFAULT
        WebhookDelivery(delivery_id=f"stray-{i}", event="ping", received_at=now - timedelta(days=200), status=s)
        for i, s in enumerate([DeliveryStatus.PROCESSED, DeliveryStatus.FAILED])
    )
    assert delivery_payloads_prune() == 1
    assert _with_payload() == {"stray-1"}


def test_a_partition_created_late_takes_its_days_rows_from_default():
    _postgresql_only()
    day = timezone.now() + timedelta(days=DAYS_AHEAD + 3)  # beyond the partitions made ahead
    deliveries_bulk_stored([WebhookDelivery(delivery_id="early", event="ping", received_at=day)])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        assert cursor.fetchone()[0] == 1
        assert payload_partitions_ensure(days_ahead=DAYS_AHEAD + 3) == 3
        cursor.execute(f"SELECT count(*) FROM {partition_name(day.astimezone(UTC).date())}")
        assert cursor.fetchone()[0] == 1
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        assert cursor.fetchone()[0] == 0
    assert WebhookDelivery.objects.with_payload().get(delivery_id="early").payload_stored() == "{}"
