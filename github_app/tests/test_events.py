"""Typed webhook events from GitHub's own example payloads."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from github_app import (
    GenericEvent,
    GitHubAppAuthorizationEvent,
    InstallationEvent,
    InstallationRepositoriesEvent,
    InstallationTargetEvent,
    PingEvent,
    PullRequestEvent,
    PullRequestReviewEvent,
    RepositoryEvent,
    WebhookPayloadError,
    parse_event,
)
from github_app.tests.fixtures import FIXTURES_DIR, REPO_ROOT, fixtures_dir, load_json, webhook_files

EXPECTED_CLASS = {
    "installation": InstallationEvent,
    "installation_repositories": InstallationRepositoriesEvent,
    "repository": RepositoryEvent,
    "pull_request": PullRequestEvent,
    "pull_request_review": PullRequestReviewEvent,
    "github_app_authorization": GitHubAppAuthorizationEvent,
    "ping": PingEvent,
}


def event(relative: str, name: str | None = None) -> object:
    payload = load_json(f"webhooks/{relative}")
    return parse_event(name or relative.split("/")[0], "delivery-1", payload)


def test_all_fixture_payloads_are_present() -> None:
    assert len(webhook_files()) == 69 + 2


@pytest.mark.parametrize("path", webhook_files(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_every_fixture_payload_parses_to_its_class(path: Path) -> None:
    payload = json.loads(path.read_text())
    parsed = parse_event(path.parent.name, "d-1", payload)
    assert type(parsed) is EXPECTED_CLASS.get(path.parent.name, GenericEvent)
    assert parsed.name == path.parent.name
    assert parsed.delivery_id == "d-1"
    assert parsed.action == payload.get("action")
    assert parsed.installation_id == (payload["installation"]["id"] if "installation" in payload else None)
    assert parsed.payload is payload


def test_payloads_without_installation_have_none() -> None:
    files = webhook_files()
    missing = [p for p in files if "installation" not in json.loads(p.read_text())]
    assert len([p for p in missing if p.parent.parent.name == "webhooks"]) == 21
    assert all(parse_event(p.parent.name, "d", json.loads(p.read_text())).installation_id is None for p in missing)


def test_installation_created_with_epoch_timestamps() -> None:
    e = event("installation/created.payload.json")
    assert isinstance(e, InstallationEvent)
    inst = e.installation
    assert (inst.id, inst.account.login, inst.account.id, inst.app_id) == (957387, "Codertocat", 21031067, 29310)
    assert inst.repository_selection == "selected"
    assert inst.permissions["pull_requests"] == "write"
    assert inst.created_at == datetime(2019, 5, 15, 15, 19, 51, tzinfo=UTC)
    assert inst.suspended_at is None
    assert [r.full_name for r in e.repositories] == ["Codertocat/Hello-World"]
    assert e.sender.login == "Codertocat" and not e.sender.is_bot


def test_installation_suspend_has_utc_suspended_at_and_offset_created_at() -> None:
    inst = event("installation/suspend.payload.json").installation
    assert inst.suspended_at == datetime(2021, 4, 29, 2, 32, 50, tzinfo=UTC)
    assert inst.created_at == datetime(2021, 4, 29, 2, 32, 21, tzinfo=UTC)  # "2021-04-28T22:32:21.000-04:00"
    raw = load_json("webhooks/installation/suspend.payload.json")["installation"]
    assert inst.events == tuple(raw["events"]) and inst.events[0] == "check_run"


def test_installation_created_with_requester() -> None:
    e = event("installation/created.with-requester.payload.json")
    raw = load_json("webhooks/installation/created.with-requester.payload.json")["requester"]
    assert e.requester is not None and e.requester.id == raw["id"]


def test_installation_repositories_added_and_removed() -> None:
    added = event("installation_repositories/added.payload.json")
    assert [r.full_name for r in added.repositories_added] == ["Codertocat/Space"]
    assert added.repositories_removed == ()
    removed = event("installation_repositories/removed.payload.json")
    raw = load_json("webhooks/installation_repositories/removed.payload.json")
    assert [r.id for r in removed.repositories_removed] == [r["id"] for r in raw["repositories_removed"]]


def test_pull_request_opened_snapshot() -> None:
    e = event("pull_request/opened.payload.json")
    pr = e.pull_request
    assert (e.number, pr.id, pr.number, pr.state, pr.draft, pr.merged) == (2, 279147437, 2, "open", False, False)
    assert (pr.head_ref, pr.base_ref) == ("changes", "master")
    assert (pr.additions, pr.deletions, pr.changed_files) == (1, 1, 1)
    assert pr.created_at == datetime(2019, 5, 15, 15, 20, 33, tzinfo=UTC)
    assert pr.user.login == "Codertocat"
    assert e.repository.full_name == "Codertocat/Hello-World"
    assert e.repository.owner_login == "Codertocat"


def test_pull_request_with_null_body() -> None:
    assert event("pull_request/opened.with-null-body.json").pull_request.body is None


def test_pull_request_closed_merged() -> None:
    pr = event("pull_request/closed.payload.json").pull_request
    raw = load_json("webhooks/pull_request/closed.payload.json")["pull_request"]
    assert pr.merged is raw["merged"]
    assert pr.closed_at is not None and pr.closed_at.tzinfo is UTC


def test_labeled_and_review_requested_carry_their_extra() -> None:
    assert event("pull_request/labeled.payload.json").label == "bug"
    requested = event("pull_request/review_requested.payload.json")
    assert requested.requested_reviewer.login == "octocat"
    assert event("pull_request/opened.payload.json").requested_reviewer is None


def test_review_submitted_state_lower_case_and_pr_without_merged_field() -> None:
    e = event("pull_request_review/submitted.payload.json")
    assert (e.review.id, e.review.state) == (237895671, "commented")
    assert e.review.submitted_at == datetime(2019, 5, 15, 15, 20, 38, tzinfo=UTC)
    assert e.pull_request.merged is False and e.pull_request.additions is None


def test_repository_events() -> None:
    edited = event("repository/edited.with-default_branch-edit.payload.json")
    assert "default_branch" in edited.changes
    deleted = parse_event("repository", "d", load_json("webhooks-ghes-35/repository/deleted.json"))
    assert isinstance(deleted, RepositoryEvent) and deleted.action == "deleted"


def test_ping_with_app_id() -> None:
    e = event("ping/with-app_id.payload.json")
    assert (e.app_id, e.hook_id) == (29310, 109948940)
    assert e.zen == "Keep it logically awesome."


def test_installation_target_renamed() -> None:
    """No public example exists; this is the documented shape of `installation_target` renamed."""
    account = load_json("webhooks/installation/created.payload.json")["installation"]["account"]
    payload = {
        "action": "renamed",
        "account": {**account, "login": "NewName"},
        "target_type": "Organization",
        "changes": {"login": {"from": "Codertocat"}},
        "installation": {"id": 957387},
    }
    e = parse_event("installation_target", "d", payload)
    assert isinstance(e, InstallationTargetEvent)
    assert (e.account.login, e.target_type, e.changes["login"]["from"]) == ("NewName", "Organization", "Codertocat")
    assert e.installation_id == 957387


def test_enterprise_account_without_login_uses_slug() -> None:
    payload = copy.deepcopy(load_json("webhooks/installation/created.payload.json"))
    payload["installation"]["account"] = {"id": 5, "slug": "acme-corp", "name": "Acme"}
    assert parse_event("installation", "d", payload).installation.account.login == "acme-corp"


def test_bot_sender_detected_by_type_or_suffix() -> None:
    payload = copy.deepcopy(load_json("webhooks/pull_request/opened.payload.json"))
    payload["sender"].update(login="dependabot[bot]", type="User")
    assert parse_event("pull_request", "d", payload).sender.is_bot


def test_unknown_event_is_generic_not_an_error() -> None:
    e = parse_event("check_suite", "d", {"action": "completed", "installation": {"id": 9}, "sender": "garbage"})
    assert isinstance(e, GenericEvent)
    assert (e.action, e.installation_id, e.sender) == ("completed", 9, None)


def test_payload_repr_omits_the_raw_payload() -> None:
    e = event("pull_request/opened.payload.json")
    assert "node_id" not in repr(e)


@pytest.mark.parametrize(
    ("relative", "mutate", "field_path"),
    [
        ("pull_request/opened.payload.json", lambda p: p["pull_request"]["user"].pop("id"), "pull_request.user.id"),
        ("pull_request/opened.payload.json", lambda p: p["pull_request"].update(id="1"), "pull_request.id"),
        (
            "pull_request/opened.payload.json",
            lambda p: p["pull_request"].update(created_at="yesterday"),
            "pull_request.created_at",
        ),
        ("pull_request/opened.payload.json", lambda p: p["pull_request"]["head"].pop("ref"), "pull_request.head.ref"),
        ("pull_request/opened.payload.json", lambda p: p["installation"].update(id=True), "installation.id"),
        ("pull_request_review/submitted.payload.json", lambda p: p["review"].pop("state"), "review.state"),
        ("installation/created.payload.json", lambda p: p["installation"].pop("account"), "installation.account"),
        ("installation/created.payload.json", lambda p: p["repositories"][0].pop("id"), "repositories[0].id"),
        ("repository/edited.payload.json", lambda p: p.update(repository=[]), "repository"),
        ("ping/payload.json", lambda p: p.update(action=5), "action"),
    ],
)
def test_missing_or_mistyped_field_raises_payload_error_naming_it(relative, mutate, field_path) -> None:
    payload = copy.deepcopy(load_json(f"webhooks/{relative}"))
    mutate(payload)
    with pytest.raises(WebhookPayloadError) as info:
        parse_event(relative.split("/")[0], "d", payload)
    assert str(info.value).startswith(field_path + ":")


def test_fixtures_live_in_the_repository_and_the_reference_corpus_beside_it() -> None:
    assert fixtures_dir().is_relative_to(REPO_ROOT) and fixtures_dir().is_dir()
    assert (
        FIXTURES_DIR.parts[-3:] == ("shared", "fixtures", "github")
        and FIXTURES_DIR.parent.parent.parent == REPO_ROOT.parent
    )
