"""Webhook delivery log and redelivery, as tformance's recovery job uses them."""

from __future__ import annotations

import requests

from .conftest import fixture_json, install


def test_failed_delivery_is_logged_and_redelivery_keeps_the_guid(emulator, receiver, app_headers):
    receiver.statuses = [503]
    install(emulator)
    (failed,) = receiver.wait_for(1)

    log = requests.get(f"{emulator.url}/app/hook/deliveries", headers=app_headers)
    assert log.status_code == 200
    (entry,) = log.json()
    assert set(fixture_json("api/apps-list-webhook-deliveries.json")[0]) <= set(entry)
    assert (entry["status"], entry["status_code"], entry["redelivery"]) == ("Invalid HTTP Response: 503", 503, False)
    assert (entry["event"], entry["action"]) == ("installation", "created")
    assert entry["guid"] == failed.headers["x-github-delivery"]
    assert isinstance(entry["id"], int) and isinstance(entry["duration"], float)

    attempt = requests.post(f"{emulator.url}/app/hook/deliveries/{entry['id']}/attempts", headers=app_headers)
    assert attempt.status_code == 202 and attempt.json() == {}
    _, resent = receiver.wait_for(2)
    assert resent.headers["x-github-delivery"] == failed.headers["x-github-delivery"]
    assert resent.body == failed.body

    newest, oldest = requests.get(f"{emulator.url}/app/hook/deliveries", headers=app_headers).json()
    assert (newest["guid"], newest["redelivery"], newest["status"], newest["status_code"]) == (
        entry["guid"],
        True,
        "OK",
        200,
    )
    assert oldest["id"] == entry["id"]


def test_unreachable_receiver_is_logged_with_status_code_zero(emulator, app_headers):
    requests.post(f"{emulator.url}/_emulator/webhook-url", json={"url": "http://127.0.0.1:9/webhooks/github/"})
    install(emulator)
    (entry,) = requests.get(f"{emulator.url}/app/hook/deliveries", headers=app_headers).json()
    assert (entry["status"], entry["status_code"]) == ("Connection refused", 0)


def test_delivery_log_cursor_pagination(emulator, receiver, app_headers):
    for n in range(5):
        requests.post(f"{emulator.url}/_emulator/send", json={"event": "ping", "payload": {"zen": str(n)}})
    receiver.wait_for(5)
    url, ids = f"{emulator.url}/app/hook/deliveries?per_page=2", []
    while url:
        response = requests.get(url, headers=app_headers)
        ids += [d["id"] for d in response.json()]
        link = response.headers.get("Link")
        url = link.split(">")[0].lstrip("<") if link else None
        if url:
            assert "cursor=" in url and link.endswith('rel="next"')
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)


def test_send_signs_arbitrary_payloads_and_python_helper(emulator, receiver):
    response = requests.post(
        f"{emulator.url}/_emulator/send", json={"event": "pull_request", "payload": {"action": "opened", "number": 1}}
    )
    assert response.status_code == 201 and response.json()["status"] == "OK"
    delivery = emulator.deliver("ping", {"zen": "Keep it logically awesome."})
    assert delivery is not None and delivery.status_code == 200
    first, second = receiver.wait_for(2)
    assert first.json == {"action": "opened", "number": 1}
    assert second.headers["x-github-event"] == "ping"


def test_suspend_unsuspend_delete_send_installation_events(emulator, receiver):
    installation_id = install(emulator)
    for action in ("suspend", "unsuspend", "delete"):
        assert requests.post(f"{emulator.url}/_emulator/installations/{installation_id}/{action}").status_code == 200
    events = [d.json for d in receiver.wait_for(4)]
    assert [e["action"] for e in events] == ["created", "suspend", "unsuspend", "deleted"]
    assert events[1]["installation"]["suspended_at"] and events[1]["installation"]["suspended_by"]["login"]
    assert set(fixture_json("webhooks/installation/suspend.payload.json")) <= set(events[1])
    assert set(fixture_json("webhooks/installation/deleted.payload.json")) <= set(events[3])
