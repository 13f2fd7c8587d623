"""Deployments, statuses, workflow runs and compare: the deliveries GitHub sends, to whom, and the REST answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from github_app import (
    DeploymentEvent,
    DeploymentStatusEvent,
    InstallationEvent,
    WorkflowRunEvent,
    parse_event,
    verify_signature,
)

from .. import commits
from ..activity import deploy_after_merge
from ..deploys import workflow_run_start
from ..routes.deployments_api import _in_range
from .conftest import WEBHOOK_SECRET, install, installation_token

READ_ALL = {"metadata": "read", "deployments": "read", "actions": "read", "contents": "read", "pull_requests": "read"}
EVENTS = ["pull_request", "deployment", "deployment_status", "workflow_run"]


def post(emulator, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = requests.post(f"{emulator.url}{path}", json=body, timeout=10)
    assert response.status_code == status, response.text
    return response.json()


def grant(emulator, permissions: dict[str, str] = READ_ALL, events: list[str] = EVENTS) -> None:
    post(emulator, "/_emulator/app", {"permissions": permissions, "events": events}, 200)


def as_installation(emulator, app_headers, installation_id: int) -> dict[str, str]:
    return {"Authorization": f"token {installation_token(emulator, app_headers, installation_id)}"}


def get(emulator, path: str, headers: dict[str, str], status: int = 200) -> Any:
    response = requests.get(f"{emulator.url}{path}", headers=headers, timeout=10)
    assert response.status_code == status, response.text
    return response


def parsed(receiver, event: str) -> list[Any]:
    found = []
    for delivery in receiver.events(event):
        assert verify_signature(delivery.body, delivery.headers["x-hub-signature-256"], [WEBHOOK_SECRET])
        found.append(parse_event(event, delivery.headers["x-github-delivery"], delivery.json))
    return found


def test_a_deployment_and_its_statuses_reach_a_subscribed_installation_and_the_rest_api(
    emulator, receiver, app_headers
) -> None:
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    made = post(emulator, "/_emulator/deployments", {"repository": "acme/api", "statuses": ["in_progress", "success"]})

    (deployment,) = parsed(receiver, "deployment")
    assert isinstance(deployment, DeploymentEvent)
    assert (deployment.deployment.id, deployment.deployment.sha) == (made["id"], made["sha"])
    assert (deployment.deployment.environment, deployment.deployment.production_environment) == ("production", True)
    assert deployment.repository.full_name == "acme/api"
    statuses = parsed(receiver, "deployment_status")
    assert all(isinstance(s, DeploymentStatusEvent) for s in statuses)
    assert [s.deployment_status.state for s in statuses] == ["in_progress", "success"]

    listed = get(emulator, "/repos/acme/api/deployments", headers).json()
    assert [(d["id"], d["sha"], d["environment"]) for d in listed] == [(made["id"], made["sha"], "production")]
    main = get(emulator, "/repos/acme/api/compare/main...main", headers).json()
    assert main["base_commit"]["sha"] == made["sha"]  # the default branch's tip was deployed
    history = get(emulator, f"/repos/acme/api/deployments/{made['id']}/statuses", headers).json()
    assert [s["state"] for s in history] == ["success", "in_progress"]  # newest first


def test_no_delivery_without_the_permission_or_the_subscription_until_the_installation_accepts(
    emulator, receiver
) -> None:
    grant(emulator, {"metadata": "read", "pull_requests": "read"}, EVENTS)  # subscribed, no deployments permission
    installation_id = install(emulator)
    post(emulator, "/_emulator/deployments", {"repository": "acme/api", "statuses": ["success"]})
    grant(emulator, READ_ALL, ["pull_request"])  # the App now asks for the permission, not for the events
    post(emulator, f"/_emulator/installations/{installation_id}/accept_permissions", {}, 200)
    post(emulator, "/_emulator/deployments", {"repository": "acme/api", "statuses": ["success"]})
    assert receiver.events("deployment") == [] and receiver.events("deployment_status") == []

    grant(emulator)  # permission and events: the installation still has to accept them
    post(emulator, "/_emulator/workflow-runs", {"repository": "acme/api", "conclusion": "success"})
    assert receiver.events("workflow_run") == []
    post(emulator, f"/_emulator/installations/{installation_id}/accept_permissions", {}, 200)
    accepted = [e for e in parsed(receiver, "installation") if e.action == "new_permissions_accepted"]
    assert len(accepted) == 2 and isinstance(accepted[-1], InstallationEvent)
    assert accepted[-1].installation.permissions["deployments"] == "read"
    post(emulator, "/_emulator/deployments", {"repository": "acme/api", "statuses": ["success"]})
    assert len(receiver.events("deployment")) == 1 and len(receiver.events("deployment_status")) == 1


def test_rest_refuses_a_missing_permission_an_unknown_repository_and_an_unknown_deployment(
    emulator, app_headers
) -> None:
    grant(emulator, {"metadata": "read", "pull_requests": "read"})
    headers = as_installation(emulator, app_headers, install(emulator))
    for path in ("/repos/acme/api/deployments", "/repos/acme/api/actions/runs", "/repos/acme/api/compare/main...main"):
        assert get(emulator, path, headers, 403).json()["message"] == "Resource not accessible by integration"
    assert get(emulator, "/repos/globex/portal/deployments", headers, 404).json()["message"] == "Not Found"

    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator, "globex"))
    get(emulator, "/repos/globex/portal/deployments/999/statuses", headers, 404)
    get(emulator, "/repos/globex/nothing/deployments", headers, 404)
    get(emulator, "/repos/globex/portal/actions/runs?status=finished", headers, 422)
    get(emulator, "/repos/globex/portal/actions/runs?created=last-week", headers, 422)


def test_list_deployments_filters_by_environment_sha_ref_and_task_and_pages(emulator, app_headers) -> None:
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    first = post(emulator, "/_emulator/deployments", {"repository": "acme/web", "environment": "staging"})
    post(emulator, "/_emulator/commits", {"repository": "acme/web", "messages": ["Fix the header"]})
    second = post(emulator, "/_emulator/deployments", {"repository": "acme/web", "environment": "production"})
    third = post(
        emulator,
        "/_emulator/deployments",
        {"repository": "acme/web", "environment": "production", "task": "deploy:migrations"},
    )

    def ids(query: str) -> list[int]:
        return [d["id"] for d in get(emulator, f"/repos/acme/web/deployments{query}", headers).json()]

    assert ids("") == [third["id"], second["id"], first["id"]]
    assert ids("?environment=staging") == [first["id"]]
    assert ids(f"?sha={first['sha']}") == [first["id"]]
    assert ids("?task=deploy:migrations") == [third["id"]]
    assert ids("?ref=main&environment=production&task=deploy") == [second["id"]]
    page = get(emulator, "/repos/acme/web/deployments?per_page=2&page=2", headers)
    assert [d["id"] for d in page.json()] == [first["id"]]
    assert 'rel="first"' in page.headers["Link"] and 'rel="next"' not in page.headers["Link"]


def test_a_failed_attempt_then_a_successful_rerun_keeps_the_run_and_deploys_again(
    emulator, receiver, app_headers
) -> None:
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    body = {"repository": "acme/api", "path": ".github/workflows/deploy.yml", "environment": "production"}
    run = post(emulator, "/_emulator/workflow-runs", {**body, "conclusion": "failure"})
    again = post(emulator, f"/_emulator/workflow-runs/{run['id']}/rerun", {**body, "conclusion": "success"})
    assert (again["id"], again["run_attempt"]) == (run["id"], 2)

    runs = parsed(receiver, "workflow_run")
    assert all(isinstance(e, WorkflowRunEvent) for e in runs)
    assert [(e.action, e.workflow_run.run_attempt, e.workflow_run.conclusion) for e in runs] == [
        ("requested", 1, None),
        ("in_progress", 1, None),
        ("completed", 1, "failure"),
        ("requested", 2, None),
        ("in_progress", 2, None),
        ("completed", 2, "success"),
    ]
    assert {e.workflow_run.id for e in runs} == {run["id"]}
    assert {e.workflow_path for e in runs} == {".github/workflows/deploy.yml"}
    deployments = parsed(receiver, "deployment")
    assert [e.workflow_run.id for e in deployments] == [run["id"], run["id"]]  # one deployment per attempt
    assert [e.workflow_run.run_attempt for e in deployments] == [1, 2]
    statuses = [(e.deployment.id, e.deployment_status.state) for e in parsed(receiver, "deployment_status")]
    first, second = (e.deployment.id for e in deployments)
    assert statuses == [(first, "in_progress"), (first, "failure"), (second, "in_progress"), (second, "success")]

    listed = get(emulator, "/repos/acme/api/actions/runs", headers).json()
    assert listed["total_count"] == 1
    assert [(r["id"], r["run_attempt"], r["conclusion"]) for r in listed["workflow_runs"]] == [
        (run["id"], 2, "success")
    ]
    one = get(emulator, f"/repos/acme/api/actions/runs/{run['id']}", headers).json()
    assert one["previous_attempt_url"].endswith(f"/actions/runs/{run['id']}/attempts/1")


def test_a_run_left_in_progress_is_completed_later(emulator, receiver) -> None:
    grant(emulator)
    install(emulator)
    run = post(emulator, "/_emulator/workflow-runs", {"repository": "acme/api", "environment": "staging"})
    assert run["status"] == "in_progress"
    post(emulator, f"/_emulator/workflow-runs/{run['id']}/rerun", {"repository": "acme/api"}, 403)  # still running
    done = post(emulator, f"/_emulator/workflow-runs/{run['id']}/complete", {"repository": "acme/api"}, 200)
    assert (done["status"], done["conclusion"]) == ("completed", "success")
    assert [e.deployment_status.state for e in parsed(receiver, "deployment_status")] == ["in_progress", "success"]


def test_list_workflow_runs_filters(emulator, app_headers) -> None:
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    ok = post(emulator, "/_emulator/workflow-runs", {"repository": "acme/infra", "conclusion": "success"})
    post(emulator, "/_emulator/commits", {"repository": "acme/infra", "branch": "feature", "messages": ["Try"]})
    failed = post(
        emulator,
        "/_emulator/workflow-runs",
        {"repository": "acme/infra", "branch": "feature", "event": "pull_request", "conclusion": "failure"},
    )
    running = post(emulator, "/_emulator/workflow-runs", {"repository": "acme/infra"})

    def ids(query: str) -> list[int]:
        return [
            r["id"] for r in get(emulator, f"/repos/acme/infra/actions/runs{query}", headers).json()["workflow_runs"]
        ]

    assert ids("") == [running["id"], failed["id"], ok["id"]]
    assert ids("?branch=feature") == [failed["id"]]
    assert ids("?event=pull_request") == [failed["id"]]
    assert ids("?status=failure") == [failed["id"]]
    assert ids("?status=completed") == [failed["id"], ok["id"]]
    assert ids("?status=in_progress") == [running["id"]]
    assert ids(f"?head_sha={failed['head_sha']}") == [failed["id"]]
    assert ids("?actor=octo-admin&branch=main") == [running["id"], ok["id"]]
    assert ids("?created=>=2020-01-01") == [running["id"], failed["id"], ok["id"]]
    assert ids("?created=2020-01-01..2020-12-31") == []
    assert ids("?created=<2020-01-01") == []


def test_a_filtered_run_search_stops_at_1000_results(emulator, app_headers) -> None:
    grant(emulator, READ_ALL, ["pull_request"])  # no workflow_run deliveries: only the listing is under test
    headers = as_installation(emulator, app_headers, install(emulator))
    for _ in range(1003):
        workflow_run_start(
            emulator, "acme/web", path=".github/workflows/ci.yml", actor="alice-chen", conclusion="success"
        )

    def page(query: str) -> dict[str, Any]:
        return get(emulator, f"/repos/acme/web/actions/runs?per_page=100&{query}", headers).json()

    assert len(page("page=10&branch=main")["workflow_runs"]) == 100
    assert page("page=11&branch=main")["workflow_runs"] == []  # past the search's 1,000 results
    assert len(page("page=11")["workflow_runs"]) == 3  # unfiltered lists are not capped
    assert page("page=1&status=success")["total_count"] == 1003


def test_compare_walks_the_branch_history_and_finds_a_merged_pull_request(emulator, receiver, app_headers) -> None:
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    deployed = post(emulator, "/_emulator/deployments", {"repository": "acme/api"})["sha"]
    pushed = post(emulator, "/_emulator/commits", {"repository": "acme/api", "messages": ["one", "two"]})["shas"]
    result = requests.post(
        f"{emulator.url}/_emulator/activity",
        json={"repository": "acme/api", "actions": ["open", "approve", "merge"]},
        timeout=30,
    ).json()["results"]
    number = result[-1]["number"]
    merge_sha = get(emulator, f"/repos/acme/api/pulls/{number}", headers).json()["merge_commit_sha"]

    ahead = get(emulator, f"/repos/acme/api/compare/{deployed}...main", headers).json()
    assert (ahead["status"], ahead["ahead_by"], ahead["behind_by"], ahead["total_commits"]) == ("ahead", 3, 0, 3)
    assert [c["sha"] for c in ahead["commits"]] == [*pushed, merge_sha]  # oldest first
    assert ahead["merge_base_commit"]["sha"] == deployed
    behind = get(emulator, f"/repos/acme/api/compare/main...{deployed[:7]}", headers).json()
    assert (behind["status"], behind["ahead_by"], behind["behind_by"], behind["commits"]) == ("behind", 0, 3, [])

    feature = post(
        emulator, "/_emulator/commits", {"repository": "acme/api", "branch": "hotfix", "messages": ["a", "b"]}
    )
    post(emulator, "/_emulator/commits", {"repository": "acme/api", "messages": ["on main"]})
    diverged = get(emulator, "/repos/acme/api/compare/main...hotfix", headers).json()
    assert (diverged["status"], diverged["ahead_by"], diverged["behind_by"]) == ("diverged", 2, 1)
    assert diverged["merge_base_commit"]["sha"] == merge_sha
    assert [c["sha"] for c in diverged["commits"]] == feature["shas"]
    paged = get(emulator, f"/repos/acme/api/compare/{deployed}...main?per_page=2", headers)
    assert len(paged.json()["commits"]) == 2 and 'rel="next"' in paged.headers["Link"]

    for spec in ("main", "main...nowhere", "0000000...main", "main..hotfix"):
        get(emulator, f"/repos/acme/api/compare/{spec}", headers, 404)


def test_compare_without_pagination_shows_at_most_250_commits(emulator, app_headers) -> None:
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    base = post(emulator, "/_emulator/deployments", {"repository": "acme/infra"})["sha"]
    post(emulator, "/_emulator/commits", {"repository": "acme/infra", "messages": [f"c{i}" for i in range(260)]})
    body = get(emulator, f"/repos/acme/infra/compare/{base}...main", headers).json()
    assert (len(body["commits"]), body["total_commits"]) == (250, 260)
    # "the last commit in the list is the most recent of the entire comparison"
    assert [body["commits"][0]["commit"]["message"], body["commits"][-1]["commit"]["message"]] == ["c10", "c259"]


def test_no_event_for_an_inactive_status_and_a_success_retires_earlier_non_production_deployments(
    emulator, receiver, app_headers
) -> None:
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    preview = {"repository": "acme/api", "environment": "preview"}
    first = post(emulator, "/_emulator/deployments", {**preview, "statuses": ["success"]})
    second = post(emulator, "/_emulator/deployments", preview)
    third = post(emulator, "/_emulator/deployments", {**preview, "statuses": ["success"]})
    post(emulator, f"/_emulator/deployments/{second['id']}/statuses", {"repository": "acme/api", "state": "success"})

    def states(made: dict[str, Any]) -> list[str]:
        listed = get(emulator, f"/repos/acme/api/deployments/{made['id']}/statuses", headers).json()
        return [s["state"] for s in listed]

    # GitHub's auto_inactive: a success retires the *prior* deployments of the environment (newest status first):
    # the third's success retired the first and the second; the second's later success leaves the third alone.
    assert states(first) == ["inactive", "success"]
    assert states(second) == ["success", "inactive"]
    assert states(third) == ["success"]
    assert [e.deployment_status.state for e in parsed(receiver, "deployment_status")] == ["success"] * 3

    post(emulator, f"/_emulator/deployments/{first['id']}/statuses", {"repository": "acme/api", "state": "inactive"})
    post(emulator, f"/_emulator/deployments/{first['id']}/statuses", {"repository": "acme/api", "state": "done"}, 422)
    assert len(receiver.events("deployment_status")) == 3


def test_the_default_branch_holds_every_merged_pull_request_in_merge_order(emulator, app_headers) -> None:
    """What issue 35 relies on: a PR is deployed when its merge commit is in a deployment's compare range."""
    grant(emulator)
    headers = as_installation(emulator, app_headers, install(emulator))
    repo = emulator.state.repo_by_full_name("acme/web")
    merged = sorted(
        (pr for n in range(1, repo.history_count + 1) if (pr := emulator.state.pull_request(repo, n)).merged_at),
        key=lambda pr: (pr.merged_at, pr.number),
    )
    assert len(merged) > 10
    root = commits.branch(emulator.state, repo, "main")[0]
    body = get(emulator, f"/repos/acme/web/compare/{root.sha}...main?per_page=100", headers).json()
    assert body["total_commits"] == len(merged)
    rest = [get(emulator, f"/repos/acme/web/pulls/{pr.number}", headers).json() for pr in merged[:3]]
    assert [c["sha"] for c in body["commits"][:3]] == [pr["merge_commit_sha"] for pr in rest]
    assert body["commits"][0]["commit"]["message"] == f"{merged[0].title} (#{merged[0].number})"


@pytest.mark.parametrize(
    ("expression", "inside"),
    [
        ("2024-03-10", True),
        ("2024-03-11", False),
        (">2024-03-09", True),
        (">2024-03-10", False),  # a bare date is its whole day
        (">=2024-03-10", True),
        ("<2024-03-10", False),
        ("<=2024-03-10", True),
        ("<2024-03-10T12:00:01Z", True),
        ("<2024-03-10T12:00:00Z", False),
        ("2024-03-10T12:00:00Z", True),
        ("2024-03-01..2024-03-10", True),
        ("2024-03-11..*", False),
        ("*..2024-03-09", False),
        ("2024-03-10T12:00:00+01:00..*", True),
    ],
)
def test_the_created_filter_reads_githubs_date_syntax(expression: str, inside: bool) -> None:
    assert _in_range(expression, datetime(2024, 3, 10, 12, 0, 0, tzinfo=UTC)) is inside


class Scripted(random.Random):
    """A random source whose ``random()`` answers are given: which branches of the live deploy are taken."""

    def __init__(self, *answers: float) -> None:
        super().__init__(0)
        self.answers = list(answers)

    def random(self) -> float:
        return self.answers.pop(0)


def test_the_live_demo_deploys_after_a_merge_to_staging_then_production_with_a_failed_first_attempt(
    emulator, receiver
) -> None:
    """The default App (the manifest's) receives it: staging, then production whose first attempt fails and whose
    re-run of the same run succeeds: two GitHub deployments of one run, their statuses in order."""
    install(emulator)
    deploy_after_merge(emulator, "acme/api", Scripted(0.1, 0.1))  # staging first; the first attempt fails

    deployments = [d.deployment for d in parsed(receiver, "deployment")]
    assert [d.environment for d in deployments] == ["staging", "production", "production"]
    runs = [e.workflow_run for e in parsed(receiver, "deployment")]
    assert runs[1].id == runs[2].id and (runs[1].run_attempt, runs[2].run_attempt) == (1, 2)
    states = [(s.deployment.id, s.deployment_status.state) for s in parsed(receiver, "deployment_status")]
    staging, first, rerun = (d.id for d in deployments)
    assert states == [
        (staging, "in_progress"), (staging, "success"),
        (first, "in_progress"), (first, "failure"),
        (rerun, "in_progress"), (rerun, "success"),
    ]  # fmt: skip


def test_most_merges_deploy_straight_to_production(emulator, receiver) -> None:
    install(emulator)
    deploy_after_merge(emulator, "acme/api", Scripted(0.9, 0.9))
    assert [e.deployment.environment for e in parsed(receiver, "deployment")] == ["production"]
    assert [s.deployment_status.state for s in parsed(receiver, "deployment_status")] == ["in_progress", "success"]
