"""The delivery table at scale: only the indexes a query uses, an admin whose every query is bounded, a sweeper
that queues the whole backlog (on SQLite here, on PostgreSQL in CI)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.integrations.models import DeliveryStatus, WebhookDelivery, WebhookPayload
from apps.integrations.services import deliveries
from apps.integrations.services.deliveries import deliveries_sweep_pending
from apps.integrations.tasks import sweep_pending_deliveries
from apps.integrations.tests.factories import deliveries_bulk_stored

pytestmark = pytest.mark.django_db


def _stored(count: int, *, status: str = DeliveryStatus.PENDING, age: timedelta = timedelta(hours=1), **fields):
    now = timezone.now()
    deliveries_bulk_stored(
        (
            WebhookDelivery(
                delivery_id=f"{status}-{i}",
                event=fields.get("event", "ping"),
                received_at=now - age + timedelta(milliseconds=i),
                status=status,
            )
            for i in range(count)
        ),
        body='{"zen": "z", "hook_id": 1}',
    )


def _indexes() -> dict[str, dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, WebhookDelivery._meta.db_table)
    return {name: c for name, c in constraints.items() if c["index"] or c["unique"]}


def test_delivery_id_has_one_unique_index_and_no_index_serves_nothing():
    indexes = _indexes()
    on_delivery_id = [c for c in indexes.values() if c["columns"] == ["delivery_id"]]
    assert len(on_delivery_id) == 1 and on_delivery_id[0]["unique"]  # no second (LIKE) index on PostgreSQL
    assert not [n for n, c in indexes.items() if c["columns"] == ["installation_id"] or c["columns"][:1] == ["status"]]
    assert {"delivery_pending_idx", "delivery_failed_idx", "delivery_received_idx"} <= set(indexes)


def test_a_redelivery_is_still_recognised_by_the_unique_constraint(signed_webhook):
    assert signed_webhook("ping", {"zen": "z", "hook_id": 1}, delivery_id="same").status_code == 202
    assert signed_webhook("ping", {"zen": "z", "hook_id": 1}, delivery_id="same").status_code == 200
    assert WebhookDelivery.objects.filter(delivery_id="same").count() == 1


@pytest.fixture
def staff_client(admin_client, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_client


@pytest.mark.parametrize("query", ["", "?status__exact=failed", "?q=failed-3", "?status__exact=processed&p=1"])
def test_the_deliveries_admin_runs_no_distinct_and_no_unbounded_count(staff_client, query):
    _stored(120, status=DeliveryStatus.PROCESSED)
    _stored(5, status=DeliveryStatus.FAILED)
    with CaptureQueriesContext(connection) as ctx:
        response = staff_client.get(f"/admin/integrations/webhookdelivery/{query}")
    assert response.status_code == 200
    sql = [q["sql"].upper() for q in ctx.captured_queries if "INTEGRATIONS_WEBHOOKDELIVERY" in q["sql"].upper()]
    assert sql and not [s for s in sql if "DISTINCT" in s]
    assert not [s for s in sql if "COUNT(" in s and "LIMIT" not in s]  # every count stops at the cap


def test_the_deliveries_admin_finds_a_delivery_by_its_exact_id_only(staff_client):
    _stored(3, status=DeliveryStatus.FAILED)
    found = staff_client.get("/admin/integrations/webhookdelivery/?q=failed-1").content.decode()
    assert "failed-1" in found and "failed-2" not in found
    assert "failed-1" not in staff_client.get("/admin/integrations/webhookdelivery/?q=failed-").content.decode()


def test_the_admin_lists_newest_first_and_pages_past_the_first_page(staff_client):
    _stored(150, status=DeliveryStatus.PROCESSED)
    first = staff_client.get("/admin/integrations/webhookdelivery/").content.decode()
    second = staff_client.get("/admin/integrations/webhookdelivery/?p=2").content.decode()
    assert "processed-149" in first and "processed-0" not in first
    assert "processed-0" in second


@pytest.fixture
def broker(monkeypatch, use_broker):
    """``use_broker`` whatever the environment says: Celery reads ``CELERY_BROKER_URL`` before its own setting."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    return use_broker


def test_a_sweep_queues_the_whole_backlog_not_a_fixed_number(monkeypatch, broker):
    broker("memory://")
    monkeypatch.setattr(deliveries, "SWEEP_BATCH", 10)
    _stored(35)
    result = deliveries_sweep_pending(seconds=60)
    assert result.queued == 35 and result.resume_after is None


def test_a_sweep_out_of_time_resumes_where_it_stopped_without_queueing_twice(monkeypatch, broker):
    broker("memory://")
    monkeypatch.setattr(deliveries, "SWEEP_BATCH", 10)
    queued: list[int] = []
    monkeypatch.setattr(deliveries, "deliveries_enqueue", lambda *, pks: queued.extend(pks) or True)
    _stored(25)
    first = deliveries_sweep_pending(seconds=0)
    assert first.queued == 10 and first.resume_after is not None
    second = deliveries_sweep_pending(seconds=0, after=first.resume_after)
    third = deliveries_sweep_pending(seconds=0, after=second.resume_after)
    assert (second.queued, third.queued, third.resume_after) == (10, 5, None)
    assert sorted(queued) == sorted(WebhookDelivery.objects.values_list("pk", flat=True))


def test_the_sweep_task_goes_on_until_every_pending_delivery_is_processed(monkeypatch, settings):
    settings.WEBHOOK_SWEEP_SECONDS = 0  # every batch runs out of time: the follow-up tasks carry the sweep on
    monkeypatch.setattr(deliveries, "SWEEP_BATCH", 10)
    _stored(25)
    sweep_pending_deliveries.apply()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PROCESSED}


def test_a_sweep_with_the_broker_down_stops_and_leaves_everything_pending(broker):
    broker("redis://127.0.0.1:9/0")  # nothing listens there
    _stored(5)
    assert deliveries_sweep_pending(seconds=60).queued == 0
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 5


def test_a_deliverys_admin_page_shows_its_stored_body_and_says_when_it_was_pruned(staff_client):
    _stored(1, status=DeliveryStatus.FAILED)
    delivery = WebhookDelivery.objects.get()
    page = staff_client.get(f"/admin/integrations/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "&quot;hook_id&quot;: 1" in page
    WebhookPayload.objects.all().delete()
    page = staff_client.get(f"/admin/integrations/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "(pruned)" in page
