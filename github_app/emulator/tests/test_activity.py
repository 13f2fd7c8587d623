"""Live activity: the webhooks it sends are signed and have the shapes of GitHub's real payloads."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import requests

from .conftest import WEBHOOK_SECRET, fixture_json, install, installation_token

NUMBER = (int, float)


def assert_same_shape(ours: Any, theirs: Any, path: str = "$") -> None:
    """Every key of the fixture exists in ours, with the same JSON type wherever both are non-null."""
    if ours is None or theirs is None:
        return
    if isinstance(theirs, bool) or isinstance(ours, bool):
        assert type(ours) is type(theirs), f"{path}: {type(ours).__name__} != {type(theirs).__name__}"
    elif isinstance(theirs, NUMBER):
        assert isinstance(ours, NUMBER), f"{path}: expected a number, got {ours!r}"
    else:
        assert type(ours) is type(theirs), f"{path}: {type(ours).__name__} != {type(theirs).__name__}"
    if isinstance(theirs, dict):
        missing = set(theirs) - set(ours)
        assert not missing, f"{path}: missing {sorted(missing)}"
        for key, value in theirs.items():
            assert_same_shape(ours[key], value, f"{path}.{key}")
    elif isinstance(theirs, list) and theirs and ours:
        assert_same_shape(ours[0], theirs[0], f"{path}[0]")


def run(emulator, *actions: str, repository: str = "acme/api") -> list[dict]:
    response = requests.post(
        f"{emulator.url}/_emulator/activity", json={"repository": repository, "actions": list(actions)}
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


def by_action(receiver, event: str) -> dict[str, dict]:
    return {d.json["action"]: d.json for d in receiver.events(event)}


def test_pull_request_lifecycle_webhooks_have_fixture_shapes(emulator, receiver):
    installation_id = install(emulator)
    receiver.wait_for(1)
    results = run(emulator, "open", "approve", "merge")
    assert [r["events"][0] for r in results] == [
        "pull_request.opened",
        "pull_request_review.submitted",
        "pull_request.closed",
    ]
    receiver.wait_for(1 + sum(len(r["events"]) for r in results))
    for delivery in receiver.received:
        expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
        assert delivery.headers["x-hub-signature-256"] == expected

    pull_requests = by_action(receiver, "pull_request")
    opened = pull_requests["opened"]
    assert_same_shape(opened, fixture_json("webhooks/pull_request/opened.with-organization.payload.json"))
    assert opened["installation"]["id"] == installation_id
    pr = opened["pull_request"]
    assert (pr["state"], pr["draft"], pr["merged"], pr["user"]["type"]) == ("open", False, False, pr["user"]["type"])
    assert pr["number"] == results[0]["number"] and pr["head"]["ref"] and pr["base"]["ref"] == "main"

    closed = pull_requests["closed"]
    assert_same_shape(closed, fixture_json("webhooks/pull_request/closed.payload.json"))
    assert closed["pull_request"]["merged"] is True and closed["pull_request"]["merged_at"]
    assert closed["pull_request"]["id"] == pr["id"]

    (review_event,) = [d.json for d in receiver.events("pull_request_review")]
    assert_same_shape(
        review_event, fixture_json("webhooks/pull_request_review/submitted.with-organization.payload.json")
    )
    review = review_event["review"]
    assert review["state"] == "approved" and review["user"]["login"] != pr["user"]["login"]
    assert review_event["pull_request"]["id"] == pr["id"]
    # Scripted actions land in the same second; snapshots must still be strictly newer, as on GitHub.
    snapshots = [opened["pull_request"], review_event["pull_request"], closed["pull_request"]]
    assert [p["updated_at"] for p in snapshots] == sorted({p["updated_at"] for p in snapshots})
    assert review["submitted_at"] == review_event["pull_request"]["updated_at"]


def test_every_kind_of_pull_request_action(emulator, receiver):
    install(emulator)
    actions = ["open_draft", "ready", "convert_to_draft", "ready", "label", "synchronize", "request_changes",
               "dismiss", "close", "reopen", "merge"]  # fmt: skip
    results = run(emulator, *actions)
    assert len({r["number"] for r in results}) == 1
    receiver.wait_for(1 + sum(len(r["events"]) for r in results))
    prs = by_action(receiver, "pull_request")
    shapes = {
        "ready_for_review": "ready_for_review.with-installation",
        "converted_to_draft": "converted_to_draft.with-installation",
        "labeled": "labeled",
        "synchronize": "synchronize",
        "review_requested": "review_requested",
        "reopened": "reopened",
    }
    for action, fixture in shapes.items():
        assert_same_shape(prs[action], fixture_json(f"webhooks/pull_request/{fixture}.payload.json"))
    assert prs["converted_to_draft"]["pull_request"]["draft"] is True
    assert prs["labeled"]["label"]["name"] in prs["labeled"]["pull_request"]["labels"][-1]["name"]
    reviews = by_action(receiver, "pull_request_review")
    assert_same_shape(reviews["dismissed"], fixture_json("webhooks/pull_request_review/dismissed.payload.json"))
    assert reviews["dismissed"]["review"]["state"] == "dismissed"


def test_activity_only_notifies_installations_that_include_the_repository(emulator, receiver):
    install(emulator, "acme", ["acme/web"])
    receiver.wait_for(1)
    run(emulator, "open", repository="acme/api")
    run(emulator, "open", repository="acme/web")
    receiver.wait_for(2)
    (event,) = [d.json for d in receiver.events("pull_request") if d.json["action"] == "opened"]
    assert event["repository"]["full_name"] == "acme/web"


def test_random_activity_count_and_live_prs_are_served(emulator, receiver, app_headers):
    install(emulator)
    response = requests.post(
        f"{emulator.url}/_emulator/activity", json={"repository": "acme/api", "count": 5, "seed": 3}
    )
    results = response.json()["results"]
    assert len(results) == 5
    receiver.wait_for(1 + sum(len(r["events"]) for r in results))
    opened = [d.json["pull_request"] for d in receiver.events("pull_request") if d.json["action"] == "opened"]
    assert opened
    token = installation_token(emulator, app_headers, install(emulator))
    served = requests.get(
        f"{emulator.url}/repos/acme/api/pulls/{opened[0]['number']}", headers={"Authorization": f"token {token}"}
    ).json()
    assert (served["id"], served["title"]) == (opened[0]["id"], opened[0]["title"])


def test_live_interval_keeps_sending_activity(make_emulator, receiver):
    emulator = make_emulator(scenario="demo", webhook_url=receiver.url, live_interval=0.05)
    install(emulator)
    receiver.wait_for(4)
    assert receiver.events("pull_request")
