"""Conformance: the project's own fixtures and the emulator's live payloads have the shape of GitHub's real ones.

GitHub's example corpus (``shared/fixtures/github`` beside the repository) is reference data, not part of the
repository: this module skips with one line where it is absent (a fresh clone) and fails instead where
``TFORMANCE_REQUIRE_SHARED_FIXTURES=1`` (``.ci/run``). Shapes are compared by ``tests/conformance/shape.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from github_app import verify_signature
from github_app.emulator.tests.conftest import (  # noqa: F401  (fixtures: a running emulator and a receiver)
    app_headers,
    emulator,
    install,
    installation_token,
    make_emulator,
    private_key,
    receiver,
)
from github_app.tests.fixtures import PROJECT_FIXTURES_DIR, shared_fixtures_dir
from tests.conformance.shape import known_keys, shape_differences

REFERENCE = shared_fixtures_dir()
KNOWN = known_keys(json.loads(p.read_text()) for p in REFERENCE.rglob("*.json"))
# Keys GitHub's OpenAPI schemas document that none of its examples happens to show.
KNOWN["$"].add("installations_count")  # `integration`: "only returned when the App asks about itself"
KNOWN["repositories"].add("web_commit_signoff_required")  # `repository`, sent in webhooks' repository objects
# Keys GitHub's schemas mark optional that the emulator leaves out (tformance never reads them): the REST
# `repository` object's merge settings and counters, and the repositories a token was narrowed to.
REST_REPOSITORY_OPTIONAL = (
    "repo.allow_forking",
    "repo.has_discussions",
    "repo.permissions",
    ".allow_auto_merge",
    ".allow_merge_commit",
    ".allow_rebase_merge",
    ".allow_squash_merge",
    ".delete_branch_on_merge",
    ".network_count",
    ".subscribers_count",
    ".temp_clone_token",
    ".template_repository",
)
OPTIONAL = {
    "api/apps-create-installation-access-token.json": ("$.repositories",),
    "api/apps-list-repos-accessible-to-installation.json": REST_REPOSITORY_OPTIONAL,
    "api/pulls-get.json": REST_REPOSITORY_OPTIONAL,
}


def _project_fixtures() -> list[str]:
    paths = sorted(PROJECT_FIXTURES_DIR.rglob("*.json"))
    return [p.relative_to(PROJECT_FIXTURES_DIR).as_posix() for p in paths if p.name != "signature-test-vector.json"]


def reference(relative: str) -> Any:
    return json.loads((REFERENCE / relative).read_text())


def differences(ours: Any, relative: str) -> list[str]:
    return shape_differences(ours, reference(relative), known=KNOWN, optional=OPTIONAL.get(relative, ()))


@pytest.mark.parametrize("relative", _project_fixtures())
def test_each_project_fixture_has_the_shape_of_githubs_example_of_the_same_name(relative: str) -> None:
    ours = json.loads((PROJECT_FIXTURES_DIR / relative).read_text())
    assert differences(ours, relative) == []


# GitHub's examples for deployments and DORA (``deployments/webhooks/<event>/``) the library types and the emulator
# sends. The others there (check_suite, issues, push, release, workflow_job) stay out until issue 35 reads them.
DEPLOYMENT_EVENTS = ("deployment", "deployment_status", "workflow_run")


def _examples(root, patterns) -> set[str]:
    return {p.relative_to(root).as_posix() for pattern in patterns for p in root.glob(pattern)}


def test_every_github_webhook_example_has_a_project_fixture() -> None:
    """The suite exercises every event and action GitHub has an example of, in the project's own words."""
    patterns = ["webhooks*/*/*.json", *(f"deployments/webhooks/{event}/*.json" for event in DEPLOYMENT_EVENTS)]
    examples, ours = _examples(REFERENCE, patterns), _examples(PROJECT_FIXTURES_DIR, patterns)
    assert len(examples) > len(_examples(REFERENCE, ["webhooks*/*/*.json"]))  # the deployment examples are counted
    assert examples - ours == set()


def test_the_project_fixtures_are_not_githubs_files() -> None:
    """Same shapes, own contents: no fixture is a copy of the example it mirrors."""
    copies = [r for r in _project_fixtures() if (PROJECT_FIXTURES_DIR / r).read_bytes() == (REFERENCE / r).read_bytes()]
    assert copies == []


def test_githubs_documented_signature_test_vector_verifies() -> None:
    vector = reference("signature-test-vector.json")
    assert verify_signature(vector["payload"].encode(), vector["signature_256"], [vector["secret"]])


# The live emulator, over HTTP ------------------------------------------------------------------------------


def _activity(emulator, *actions: str) -> None:  # noqa: F811
    response = requests.post(
        f"{emulator.url}/_emulator/activity", json={"repository": "acme/api", "actions": list(actions)}, timeout=30
    )
    assert response.status_code == 200, response.text


# (event, action) → GitHub's example for an org-owned repository delivered to an App.
LIVE_EXAMPLES = {
    ("installation", "created"): "webhooks/installation/created.payload.json",
    ("pull_request", "opened"): "webhooks/pull_request/opened.with-organization.payload.json",
    ("pull_request", "closed"): "webhooks/pull_request/closed.with-organization.payload.json",
    ("pull_request", "reopened"): "webhooks/pull_request/reopened.with-organization.payload.json",
    ("pull_request", "labeled"): "webhooks/pull_request/labeled.with-organization.payload.json",
    ("pull_request", "synchronize"): "webhooks/pull_request/synchronize.payload.json",
    ("pull_request", "review_requested"): "webhooks/pull_request/review_requested.payload.json",
    ("pull_request", "ready_for_review"): "webhooks/pull_request/ready_for_review.with-installation.payload.json",
    ("pull_request", "converted_to_draft"): "webhooks/pull_request/converted_to_draft.with-installation.payload.json",
    ("pull_request_review", "submitted"): "webhooks/pull_request_review/submitted.with-organization.payload.json",
    ("pull_request_review", "dismissed"): "webhooks/pull_request_review/dismissed.payload.json",
}


def test_the_emulators_webhooks_have_githubs_shapes(emulator, receiver) -> None:  # noqa: F811
    install(emulator)
    _activity(emulator, "open_draft", "ready", "convert_to_draft", "ready", "label", "synchronize")
    _activity(emulator, "request_changes", "dismiss", "close", "reopen", "approve", "merge")
    receiver.wait_for(14)
    seen: dict[tuple[str, str], Any] = {}
    for delivery in receiver.received:
        seen.setdefault((delivery.headers["x-github-event"], delivery.json.get("action")), delivery.json)
    assert set(LIVE_EXAMPLES) <= set(seen)
    found = {key: differences(seen[key], relative) for key, relative in LIVE_EXAMPLES.items()}
    assert {key: d for key, d in found.items() if d} == {}


# (event, action, made by an Actions run) → GitHub's example of the same kind, for the deployment events.
LIVE_DEPLOYMENT_EXAMPLES = {
    ("deployment", "created", False): "deployments/webhooks/deployment/with-installation.payload.json",
    ("deployment", "created", True): "deployments/webhooks/deployment/gh-pages.payload.json",
    ("deployment_status", "created", False): "deployments/webhooks/deployment_status/with-installation.payload.json",
    ("deployment_status", "created", True): "deployments/webhooks/deployment_status/gh-pages.payload.json",
    ("workflow_run", "requested", True): "deployments/webhooks/workflow_run/requested.payload.json",
    ("workflow_run", "in_progress", True): "deployments/webhooks/workflow_run/requested.payload.json",
    ("workflow_run", "completed", True): "deployments/webhooks/workflow_run/completed.payload.json",
}


def test_the_emulators_deployment_webhooks_have_githubs_shapes(emulator, receiver) -> None:  # noqa: F811
    """GitHub has no example of ``workflow_run.in_progress``: it is held to ``requested``'s (same objects)."""
    everything = {"metadata": "read", "deployments": "read", "actions": "read", "contents": "read"}
    events = ["deployment", "deployment_status", "workflow_run"]
    requests.post(f"{emulator.url}/_emulator/app", json={"permissions": everything, "events": events}, timeout=10)
    install(emulator)
    for body in (
        {"repository": "acme/api", "statuses": ["success"]},
        {"repository": "acme/api", "environment": "production", "conclusion": "success"},
    ):
        path = "/_emulator/workflow-runs" if "conclusion" in body else "/_emulator/deployments"
        assert requests.post(f"{emulator.url}{path}", json=body, timeout=30).status_code == 201
    seen: dict[tuple[str, str, bool], Any] = {}
    for delivery in receiver.received:
        event, body = delivery.headers["x-github-event"], delivery.json
        from_run = event == "workflow_run" or body.get("workflow_run") is not None
        seen.setdefault((event, body.get("action"), from_run), body)
    assert set(LIVE_DEPLOYMENT_EXAMPLES) <= set(seen)
    found = {key: differences(seen[key], relative) for key, relative in LIVE_DEPLOYMENT_EXAMPLES.items()}
    assert {key: d for key, d in found.items() if d} == {}


def test_the_emulators_rest_answers_have_githubs_shapes(emulator, receiver, app_headers) -> None:  # noqa: F811
    installation_id = install(emulator)
    receiver.wait_for(1)
    token = installation_token(emulator, app_headers, installation_id)
    as_installation = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}

    def get(path: str, headers: dict[str, str]) -> Any:
        response = requests.get(f"{emulator.url}{path}", headers=headers, timeout=10)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    minted = requests.post(f"{emulator.url}/app/installations/{installation_id}/access_tokens", headers=app_headers)
    answers = {
        "api/apps-get-authenticated.json": get("/app", app_headers),
        "api/apps-list-installations.json": get("/app/installations", app_headers),
        "api/apps-get-installation.json": get(f"/app/installations/{installation_id}", app_headers),
        "api/apps-create-installation-access-token.json": minted.json(),
        "api/apps-list-repos-accessible-to-installation.json": get("/installation/repositories", as_installation),
        "api/apps-list-webhook-deliveries.json": get("/app/hook/deliveries", app_headers),
        "api/pulls-get.json": get("/repos/acme/api/pulls/1", as_installation),
    }
    found = {relative: differences(body, relative) for relative, body in answers.items()}
    assert {relative: d for relative, d in found.items() if d} == {}


def test_shape_check_notices_a_missing_key_and_a_wrong_type() -> None:
    """The comparison itself can fail: a dropped key and a retyped value are both reported."""
    ours = json.loads((PROJECT_FIXTURES_DIR / "webhooks/pull_request/opened.payload.json").read_text())
    del ours["pull_request"]["merged"]
    ours["number"] = "2"
    found = differences(ours, "webhooks/pull_request/opened.payload.json")
    assert sorted(found) == [
        "$.number: string, GitHub sends integer",
        "$.pull_request.merged: missing, GitHub sends it",
    ]
