"""Typed `deployment`, `deployment_status` and `workflow_run` events: the project's fixtures, GitHub's own examples
(when the shared corpus is beside the repository), and the strictness every typed event has."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from github_app import (
    DeploymentEvent,
    DeploymentStatusEvent,
    WebhookPayloadError,
    WorkflowRunEvent,
    event_type_for,
    parse_event,
)
from github_app.tests.fixtures import DEPLOYMENT_EVENTS, deployment_webhook_files, load_json, shared_fixtures_dir

CLASSES = {"deployment": DeploymentEvent, "deployment_status": DeploymentStatusEvent, "workflow_run": WorkflowRunEvent}


def event(relative: str):
    return parse_event(relative.split("/")[0], "d-1", load_json(f"deployments/webhooks/{relative}"))


def test_the_three_events_have_their_classes() -> None:
    assert {name: event_type_for(name) for name in DEPLOYMENT_EVENTS} == CLASSES


@pytest.mark.parametrize("path", deployment_webhook_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_project_fixture_parses_to_its_class(path: Path) -> None:
    payload = json.loads(path.read_text())
    parsed = parse_event(path.parent.name, "d-1", payload)
    assert type(parsed) is CLASSES[path.parent.name]
    assert parsed.action == payload["action"]
    assert parsed.installation_id == (payload["installation"]["id"] if "installation" in payload else None)


def test_a_deployment_made_through_the_rest_api() -> None:
    e = event("deployment/with-installation.payload.json")
    assert isinstance(e, DeploymentEvent)
    d = e.deployment
    assert (d.id, d.ref, d.task, d.environment) == (145988746, "master", "deploy", "production")
    assert len(d.sha) == 40
    assert (d.production_environment, d.transient_environment) == (True, False)
    assert d.created_at == datetime(2019, 5, 15, 15, 20, 53, tzinfo=UTC)
    assert d.creator is not None and d.creator.login == "Codertocat"
    assert (e.repository.id, e.repository.full_name) == (186853002, "Codertocat/Hello-World")
    assert e.installation_id == 1
    assert e.workflow_run is None


def test_a_deployment_from_an_actions_run_names_the_run() -> None:
    e = event("deployment/gh-pages.payload.json")
    assert isinstance(e, DeploymentEvent)
    assert e.deployment.environment == "github-pages"
    assert e.workflow_run is not None
    assert (e.workflow_run.id, e.workflow_run.run_attempt, e.workflow_run.workflow_id) == (289782451, 1, 17248323)
    assert e.workflow_run.path is None  # the shorter run object of deployment events has no path


def test_a_deployment_status_carries_state_urls_and_its_deployment() -> None:
    e = event("deployment_status/gh-pages.payload.json")
    assert isinstance(e, DeploymentStatusEvent)
    s = e.deployment_status
    assert (s.id, s.state, s.environment) == (209916255, "in_progress", "github-pages")
    assert s.log_url == "https://github.com/Codertocat/Hello-World/actions/runs/289782451"
    assert s.environment_url is None  # GitHub sends "" for a URL that is not set
    assert s.created_at == datetime(2022, 1, 3, 1, 28, 40, tzinfo=UTC)
    assert e.deployment.id == 145988747
    assert e.workflow_run is not None and e.workflow_run.id == 289782451


def test_a_workflow_run_completed_with_a_pull_request() -> None:
    e = event("workflow_run/completed.with-pull-requests.payload.json")
    assert isinstance(e, WorkflowRunEvent)
    run = e.workflow_run
    assert (run.id, run.run_attempt, run.run_number, run.status, run.conclusion) == (
        289782452,
        1,
        163,
        "completed",
        "success",
    )
    assert (run.name, run.path, run.head_branch, run.event) == ("test", ".github/workflows/test.yml", "master", "push")
    assert run.created_at == datetime(2020, 10, 5, 16, 33, 24, tzinfo=UTC)
    assert run.updated_at == datetime(2020, 10, 5, 16, 33, 49, tzinfo=UTC)
    assert run.pull_request_numbers == (2,)
    assert (e.workflow_name, e.workflow_path) == ("test", ".github/workflows/test.yml")
    assert e.installation_id is None  # GitHub's examples of this event are repository-webhook style


# GitHub's own examples --------------------------------------------------------------------------------------


def test_githubs_examples_parse_and_older_ones_leave_the_environment_flags_unknown() -> None:
    root = shared_fixtures_dir()  # one-line skip on a fresh clone
    files = deployment_webhook_files(root)
    assert len(files) == 10
    parsed = {p.relative_to(root).as_posix(): parse_event(p.parent.name, "d", json.loads(p.read_text())) for p in files}
    assert all(type(e) is CLASSES[name.split("/")[2]] for name, e in parsed.items())
    plain = parsed["deployments/webhooks/deployment/payload.json"]
    assert isinstance(plain, DeploymentEvent)
    assert (plain.deployment.production_environment, plain.deployment.transient_environment) == (None, None)
    pages = parsed["deployments/webhooks/deployment/gh-pages.payload.json"]
    assert isinstance(pages, DeploymentEvent)
    assert (pages.deployment.production_environment, pages.deployment.transient_environment) == (False, False)
    old_status = parsed["deployments/webhooks/deployment_status/with-installation.payload.json"]
    assert isinstance(old_status, DeploymentStatusEvent)
    assert (old_status.deployment_status.state, old_status.deployment_status.log_url) == ("success", None)
    run = parsed["deployments/webhooks/workflow_run/requested.with-conclusion.payload.json"]
    assert isinstance(run, WorkflowRunEvent)
    assert (run.workflow_run.status, run.workflow_run.conclusion) == ("completed", "action_required")


# Strictness -------------------------------------------------------------------------------------------------


def _broken(relative: str, path: tuple[str, ...], value: object, delete: bool = False) -> dict:
    payload = copy.deepcopy(load_json(f"deployments/webhooks/{relative}"))
    target = payload
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return payload


@pytest.mark.parametrize(
    ("relative", "path", "value", "delete", "message"),
    [
        ("deployment/payload.json", ("deployment", "sha"), None, True, "deployment.sha: expected a string, missing"),
        ("deployment/payload.json", ("deployment",), None, False, "deployment: expected an object, got NoneType"),
        (
            "deployment/gh-pages.payload.json",
            ("deployment", "production_environment"),
            "yes",
            False,
            "deployment.production_environment: expected a boolean or null, got str",
        ),
        (
            "deployment_status/payload.json",
            ("deployment_status", "state"),
            7,
            False,
            "deployment_status.state: expected a string, got int",
        ),
        (
            "workflow_run/completed.payload.json",
            ("workflow_run", "run_attempt"),
            "2",
            False,
            "workflow_run.run_attempt: expected an integer, got str",
        ),
        (
            "workflow_run/completed.payload.json",
            ("workflow_run", "created_at"),
            "yesterday",
            False,
            "workflow_run.created_at: expected an ISO-8601 timestamp or epoch seconds, got str",
        ),
        (
            "deployment/gh-pages.payload.json",
            ("workflow_run", "id"),
            None,
            True,
            "workflow_run.id: expected an integer, missing",
        ),
    ],
)
def test_a_bad_payload_is_one_named_payload_error(
    relative: str, path: tuple[str, ...], value: object, delete: bool, message: str
) -> None:
    payload = _broken(relative, path, value, delete)
    with pytest.raises(WebhookPayloadError) as raised:
        parse_event(relative.split("/")[0], "d", payload)
    assert str(raised.value) == message
