"""Processing stored deliveries: exactly once in effect, failures contained, nothing lost."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone

from apps.integrations import handlers
from apps.integrations.models import DeliveryStatus, WebhookDelivery, WebhookPayload
from apps.integrations.services.deliveries import (
    deliveries_reprocess,
    deliveries_sweep_pending,
)
from apps.integrations.services.lifecycle import delivery_payloads_prune
from apps.integrations.services.processing import RetryLater, delivery_process, retry_countdown
from github_app import RateLimited, ServerError

pytestmark = pytest.mark.django_db


def buggy_handler(event, delivery):
    raise ValueError("bug")


def test_broker_down_at_receive_time_the_delivery_waits_and_the_sweeper_processes_it(
    signed_webhook, github_payload, use_broker
):
    use_broker("redis://127.0.0.1:9/0")  # nothing listens there
    response = signed_webhook("ping", github_payload("ping/payload.json"), delivery_id="while-down")
    assert response.status_code == 202
    assert WebhookDelivery.objects.get(delivery_id="while-down").status == DeliveryStatus.PENDING

    from config.celery import app

    app.conf.task_always_eager = True  # the broker is back (in-process here)
    assert deliveries_sweep_pending(older_than=timedelta(0)).queued == 1
    assert WebhookDelivery.objects.get(delivery_id="while-down").status == DeliveryStatus.PROCESSED


def test_the_sweeper_leaves_fresh_pending_deliveries_to_their_queued_task(signed_webhook, use_broker):
    use_broker("redis://127.0.0.1:9/0")
    signed_webhook("ping", {"zen": "z", "hook_id": 1})
    assert deliveries_sweep_pending().queued == 0  # younger than the grace period


def test_a_handler_bug_fails_that_delivery_only(signed_webhook, monkeypatch):
    def broken(event, delivery):
        raise KeyError("surprise")

    monkeypatch.setitem(handlers.HANDLERS, "broken_event", broken)
    signed_webhook("broken_event", {"action": "x"}, delivery_id="bad")
    signed_webhook("ping", {"zen": "z", "hook_id": 1}, delivery_id="good")
    bad = WebhookDelivery.objects.get(delivery_id="bad")
    assert bad.status == DeliveryStatus.FAILED and "KeyError" in bad.reason
    assert WebhookDelivery.objects.get(delivery_id="good").status == DeliveryStatus.PROCESSED


def test_a_payload_missing_a_field_fails_with_the_field_named(signed_webhook):
    signed_webhook("ping", {"zen": "z", "hook_id": "not-a-number"}, delivery_id="odd")
    delivery = WebhookDelivery.objects.get(delivery_id="odd")
    assert delivery.status == DeliveryStatus.FAILED
    assert "WebhookPayloadError" in delivery.reason and "hook_id" in delivery.reason


def test_a_handler_bug_rolls_back_its_own_writes(signed_webhook, monkeypatch, team):
    from apps.teams.models import Team

    def half_done(event, delivery):
        Team.objects.filter(pk=team.pk).update(name="half-written")
        raise RuntimeError("crash after a write")

    monkeypatch.setitem(handlers.HANDLERS, "half", half_done)
    signed_webhook("half", {"action": "x"})
    team.refresh_from_db()
    assert team.name == "Acme Engineering"


def test_transient_errors_are_retried_then_fail_after_the_attempt_limit(signed_webhook, monkeypatch, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    calls = []

    def flaky(event, delivery):
        calls.append(1)
        raise ServerError("502 Bad Gateway from GitHub")

    monkeypatch.setitem(handlers.HANDLERS, "flaky", flaky)
    signed_webhook("flaky", {"action": "x"}, delivery_id="flaky")
    delivery = WebhookDelivery.objects.get(delivery_id="flaky")
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1  # left for a later attempt
    with pytest.raises(RetryLater):
        delivery_process(delivery_pk=delivery.pk)
    assert delivery_process(delivery_pk=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(calls)) == (DeliveryStatus.FAILED, 3, 3)
    assert "502" in delivery.reason


def test_a_transient_error_that_heals_is_processed_on_the_next_attempt(signed_webhook, monkeypatch):
    outcomes = [OperationalError("connection reset"), None]

    def recovering(event, delivery):
        outcome = outcomes.pop(0)
        if outcome:
            raise outcome

    monkeypatch.setitem(handlers.HANDLERS, "recovering", recovering)
    signed_webhook("recovering", {"action": "x"}, delivery_id="heal")
    delivery = WebhookDelivery.objects.get(delivery_id="heal")
    assert delivery_process(delivery_pk=delivery.pk) == DeliveryStatus.PROCESSED
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_retry_countdown_backs_off_and_honours_rate_limits():
    assert 2.5 <= retry_countdown(attempts=1, exc=ServerError("x")) <= 5
    assert 20 <= retry_countdown(attempts=4, exc=ServerError("x")) <= 40
    assert retry_countdown(attempts=30, exc=ServerError("x")) <= 600
    limited = RateLimited("slow down", retry_at=1000.0)
    assert retry_countdown(attempts=1, exc=limited, now=900.0) == 100.0


def test_a_processed_delivery_is_not_processed_again(signed_webhook, monkeypatch):
    calls = []
    monkeypatch.setitem(handlers.HANDLERS, "counted", lambda event, delivery: calls.append(delivery.pk))
    signed_webhook("counted", {"action": "x"}, delivery_id="once")
    pk = WebhookDelivery.objects.get(delivery_id="once").pk
    assert delivery_process(delivery_pk=pk) is None
    deliveries_sweep_pending(older_than=timedelta(0))
    assert calls == [pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_postgresql_process_a_delivery_once(signed_webhook, monkeypatch, use_broker):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; CI runs this on PostgreSQL")
    use_broker("memory://")
    calls = []

    def slow(event, delivery):
        calls.append(delivery.pk)
        time.sleep(0.3)

    monkeypatch.setitem(handlers.HANDLERS, "slow", slow)
    signed_webhook("slow", {"action": "x"}, delivery_id="race")
    pk = WebhookDelivery.objects.get(delivery_id="race").pk
    results = []

    def worker():
        try:
            results.append(delivery_process(delivery_pk=pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [pk]
    assert sorted(results, key=str) == [None, None, None, DeliveryStatus.PROCESSED]
    assert WebhookDelivery.objects.get(pk=pk).attempts == 1


def test_reprocessing_failed_deliveries_runs_them_again(
    signed_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(handlers.HANDLERS, "fixable", buggy_handler)
    signed_webhook("fixable", {"action": "x"}, delivery_id="fixable")
    delivery = WebhookDelivery.objects.get(delivery_id="fixable")
    assert delivery.status == DeliveryStatus.FAILED
    monkeypatch.setitem(handlers.HANDLERS, "fixable", lambda e, d: None)  # the bug is fixed
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reprocess_deliveries", "--status", "failed", "--since", "2000-01-01")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED


def test_reprocess_skips_deliveries_whose_payload_was_pruned(signed_webhook):
    signed_webhook("meta", {"action": "deleted"}, delivery_id="old")
    old = timezone.now() - timedelta(days=40)
    WebhookDelivery.objects.update(received_at=old)
    WebhookPayload.objects.update(received_at=old)
    assert delivery_payloads_prune() == 1
    delivery = WebhookDelivery.objects.get(delivery_id="old")
    assert delivery.payload_stored() is None
    assert deliveries_reprocess(pks=[delivery.pk]) == 0


def test_pruning_keeps_rows_recent_payloads_and_failed_payloads(signed_webhook, monkeypatch):
    monkeypatch.setitem(handlers.HANDLERS, "boom", buggy_handler)
    signed_webhook("meta", {"action": "deleted"}, delivery_id="recent")
    signed_webhook("boom", {"action": "x"}, delivery_id="old-failed")
    old, old_failed = timezone.now() - timedelta(days=90), WebhookDelivery.objects.filter(delivery_id="old-failed")
    old_failed.update(received_at=old)
    WebhookPayload.objects.filter(delivery__in=old_failed).update(received_at=old)
    assert delivery_payloads_prune() == 0
    assert WebhookDelivery.objects.payload_kept().count() == 2


def test_the_admin_reprocess_action_runs_failed_deliveries_again(
    admin_client, admin_user, signed_webhook, monkeypatch, django_capture_on_commit_callbacks
):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    monkeypatch.setitem(handlers.HANDLERS, "fixable", buggy_handler)
    signed_webhook("fixable", {"action": "x"}, delivery_id="via-admin")
    delivery = WebhookDelivery.objects.get(delivery_id="via-admin")
    monkeypatch.setitem(handlers.HANDLERS, "fixable", lambda e, d: None)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/integrations/webhookdelivery/",
            {"action": "reprocess", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED
    page = admin_client.get("/admin/integrations/webhookdelivery/?status__exact=processed&event__exact=fixable")
    assert "via-admin" in page.content.decode()
