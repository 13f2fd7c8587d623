"""Waking workers for stored deliveries: one broker message per pause however many deliveries, none lost."""

import threading
import time

import pytest

from apps.integrations import handlers
from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services.queueing import Wakeups
from apps.integrations.tasks import drain_deliveries
from github_app import ServerError


def _wait(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_a_burst_of_pokes_is_one_or_two_wake_ups_and_the_last_poke_is_always_answered():
    sent: list[float] = []
    gate = threading.Event()

    def slow_broker() -> None:
        gate.wait(5)  # the first send is slow, so the burst behind it gathers
        sent.append(time.monotonic())

    wakeups = Wakeups(slow_broker, interval=0.01)
    wakeups.poke()
    pokers = [threading.Thread(target=wakeups.poke) for _ in range(250)]
    for t in pokers:
        t.start()
    for t in pokers:
        t.join()
    gate.set()
    assert _wait(lambda: len(sent) == 2)  # the one in flight, then one for everything poked meanwhile
    time.sleep(0.05)
    assert len(sent) == 2
    wakeups.poke()  # a poke after the burst still gets its own wake-up
    assert _wait(lambda: len(sent) == 3)
    wakeups.close()


def test_a_failing_broker_does_not_stop_the_wake_ups():
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("broker down")

    wakeups = Wakeups(flaky, interval=0.01)
    wakeups.poke()
    assert _wait(lambda: len(calls) == 1)
    wakeups.poke()
    assert _wait(lambda: len(calls) == 2)
    wakeups.close()


def test_closing_sends_the_wake_up_still_owed():
    sent: list[int] = []
    wakeups = Wakeups(lambda: sent.append(1), interval=60)  # a long pause: only close() can send the second
    wakeups.poke()
    assert _wait(lambda: sent == [1])
    wakeups.poke()
    wakeups.close()
    assert sent == [1, 1]


def _queued_messages(queue: str) -> int:
    from config.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.queue_declare(queue, durable=True, auto_delete=False).message_count


@pytest.mark.django_db(transaction=True)
def test_stored_deliveries_share_wake_up_messages_and_one_drain_processes_them_all(
    signed_webhook, github_payload, use_broker
):
    use_broker("memory://")  # queued, not run: nothing is processed in the request
    before = _queued_messages("webhooks")
    for n in range(40):
        assert signed_webhook("ping", github_payload("ping/payload.json"), delivery_id=f"d{n}").status_code == 202
    assert _wait(lambda: _queued_messages("webhooks") > before)
    messages = _queued_messages("webhooks") - before
    assert 1 <= messages < 40
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 40

    assert drain_deliveries() == 40  # what the worker runs for each wake-up
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PROCESSED).count() == 40
    assert drain_deliveries() == 0  # the wake-ups left in the queue find nothing to do


@pytest.mark.django_db(transaction=True)
def test_a_drain_contains_a_handler_bug_and_a_transient_error_to_their_own_delivery(
    signed_webhook, monkeypatch, use_broker
):
    def broken(event, delivery):
        raise KeyError("surprise")

    def github_down(event, delivery):
        raise ServerError("502 Bad Gateway from GitHub")

    monkeypatch.setitem(handlers.HANDLERS, "broken", broken)
    monkeypatch.setitem(handlers.HANDLERS, "flaky", github_down)
    use_broker("memory://")
    signed_webhook("ping", {"zen": "z", "hook_id": 1}, delivery_id="before")
    signed_webhook("broken", {"action": "x"}, delivery_id="bug")
    signed_webhook("flaky", {"action": "x"}, delivery_id="transient")
    signed_webhook("ping", {"zen": "z", "hook_id": 1}, delivery_id="after")

    assert drain_deliveries() == 4
    rows = {d.delivery_id: (d.status, d.attempts) for d in WebhookDelivery.objects.all()}
    assert rows["before"] == rows["after"] == (DeliveryStatus.PROCESSED, 1)
    assert rows["bug"] == (DeliveryStatus.FAILED, 1)
    assert rows["transient"] == (DeliveryStatus.PENDING, 1)  # its retry is queued with backoff
    assert drain_deliveries() == 0  # a delivery waiting for its retry is not hammered by every wake-up


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_web_process_never_woke_anyone_is_drained_with_the_next_one(signed_webhook, use_broker):
    use_broker("redis://127.0.0.1:9/0")  # nothing listens: this process's wake-up never reaches a worker
    signed_webhook("ping", {"zen": "z", "hook_id": 1}, delivery_id="orphan")
    use_broker("memory://")
    signed_webhook("ping", {"zen": "z", "hook_id": 1}, delivery_id="next")
    assert drain_deliveries() == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PROCESSED}


@pytest.mark.django_db(transaction=True)
def test_a_handler_bug_in_a_drain_rolls_back_its_own_writes_and_keeps_the_others(
    signed_webhook, monkeypatch, use_broker, team
):
    from apps.teams.models import Team

    def half_done(event, delivery):
        Team.objects.filter(pk=team.pk).update(name="half-written")
        raise RuntimeError("crash after a write")

    def renames(event, delivery):
        Team.objects.filter(pk=team.pk).update(slug="renamed")

    monkeypatch.setitem(handlers.HANDLERS, "half", half_done)
    monkeypatch.setitem(handlers.HANDLERS, "renames", renames)
    use_broker("memory://")
    signed_webhook("renames", {"action": "x"}, delivery_id="good")
    signed_webhook("half", {"action": "x"}, delivery_id="bad")

    assert drain_deliveries() == 2
    team.refresh_from_db()
    assert (team.name, team.slug) == ("Acme Engineering", "renamed")
    statuses = dict(WebhookDelivery.objects.values_list("delivery_id", "status"))
    assert statuses == {"good": DeliveryStatus.PROCESSED, "bad": DeliveryStatus.FAILED}


@pytest.mark.django_db(transaction=True)
def test_workers_draining_at_once_on_postgresql_process_each_delivery_once(signed_webhook, monkeypatch, use_broker):
    from django.db import connection

    from apps.integrations.services.processing import deliveries_drain

    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; CI runs this on PostgreSQL")
    calls: list[str] = []

    def slow(event, delivery):
        calls.append(delivery.delivery_id)
        time.sleep(0.01)

    monkeypatch.setitem(handlers.HANDLERS, "slow", slow)
    use_broker("memory://")
    for n in range(120):
        signed_webhook("slow", {"action": "x"}, delivery_id=f"race-{n}")
    drained: list[int] = []

    def worker():
        try:
            drained.append(deliveries_drain()[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(calls) == sorted(f"race-{n}" for n in range(120))  # each once, none twice
    assert sum(drained) == 120
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.PROCESSED, 1)}
