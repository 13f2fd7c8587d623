"""Deployments recorded from snapshots: one identity per (repository, environment, commit, run), timed at its first
success, whatever the order or the number of deliveries; the production rule; two workers at once."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.utils import timezone

from apps.metrics.models import Deployment, DeploymentAttempt, DeploymentStatus, ProductionReason
from apps.metrics.selectors.deployments import team_deployments
from apps.metrics.selectors.scope import DashboardFilters
from apps.metrics.services import deployment_record, team_production_rule_set
from apps.metrics.services.deployments import production_classification
from apps.metrics.types import DeploymentSnapshot, DeploymentStatusSnapshot

pytestmark = pytest.mark.django_db

SHA = "55d00a1b4f91469c76d724611bcdcf3201eabbb1"


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


def deployment(github_id: int = 1001, *, run_id: int | None = 77, environment: str = "production", **fields):
    values = {
        "github_deployment_id": github_id,
        "github_repo_id": 186853002,
        "github_repo": "acme/api",
        "environment": environment,
        "sha": SHA,
        "ref": "main",
        "created_at": at(10),
        "run_id": run_id,
        "production_environment": environment == "production",
        "transient_environment": False,
    } | fields
    return DeploymentSnapshot(**values)


def status(github_id: int, state: str, when: datetime) -> DeploymentStatusSnapshot:
    return DeploymentStatusSnapshot(
        github_status_id=github_id, state=state, created_at=when, log_url=f"log/{github_id}"
    )


def timeline(row: Deployment) -> list[tuple[int, str]]:
    return [(s.github_deployment_id, s.state) for s in row.statuses.all()]


def test_a_failure_then_a_success_of_the_same_deployment_is_one_deployment_timed_at_the_success(team):
    d = deployment()
    deployment_record(team=team, deployment=d, status=status(1, "in_progress", at(10, 0, 5)))
    deployment_record(team=team, deployment=d, status=status(2, "failure", at(10, 4)))
    row = Deployment.objects.get(team=team)
    assert (row.state, row.succeeded_at) == ("failure", None)  # listed, never a success

    deployment_record(team=team, deployment=d, status=status(3, "success", at(10, 9)))
    row = Deployment.objects.get(team=team)
    assert (row.state, row.succeeded_at, row.deployment_created_at) == ("success", at(10, 9), at(10))
    assert timeline(row) == [(1001, "in_progress"), (1001, "failure"), (1001, "success")]


def test_github_deployments_of_one_run_are_one_deployment_with_every_attempt_listed(team):
    """A re-run deploys again under the same run id; reusable workflows make a GitHub deployment each."""
    deployment_record(team=team, deployment=deployment(1001, created_at=at(10)), status=status(1, "failure", at(10, 5)))
    second = deployment(1002, created_at=at(10, 20), run_attempt=2)
    deployment_record(team=team, deployment=second, status=status(2, "success", at(10, 25)))
    deployment_record(
        team=team, deployment=deployment(1003, created_at=at(10, 21)), status=status(3, "success", at(10, 26))
    )

    row = Deployment.objects.get(team=team)
    assert sorted(row.attempts.values_list("github_deployment_id", flat=True)) == [1001, 1002, 1003]
    assert (row.github_run_id, row.deployment_created_at, row.succeeded_at, row.state) == (
        77,
        at(10),
        at(10, 25),
        "success",
    )
    assert timeline(row) == [(1001, "failure"), (1002, "success"), (1003, "success")]


def test_deployments_without_a_run_are_each_their_own_even_of_one_commit(team):
    deployment_record(team=team, deployment=deployment(1001, run_id=None))
    deployment_record(team=team, deployment=deployment(1002, run_id=None))
    assert sorted(Deployment.objects.filter(team=team).values_list("run_key", flat=True)) == [
        "deployment:1001",
        "deployment:1002",
    ]


def test_any_order_and_any_repetition_gives_the_same_rows(team, other_team):
    """The same deliveries to two teams, one in order, one reversed and each twice: the same deployment."""
    writes = [
        (deployment(1001), None),
        (deployment(1001), status(1, "in_progress", at(10, 1))),
        (deployment(1001), status(2, "failure", at(10, 2))),
        (deployment(1002, created_at=at(10, 5)), status(3, "success", at(10, 6))),
    ]
    for d, s in writes:
        deployment_record(team=team, deployment=d, status=s)
    for d, s in [*reversed(writes), *writes]:
        deployment_record(team=other_team, deployment=d, status=s)

    def seen(t):
        row = Deployment.objects.get(team=t)
        return row.deployment_created_at, row.succeeded_at, row.state, timeline(row), row.attempts.count()

    assert (
        seen(team)
        == seen(other_team)
        == (
            at(10),
            at(10, 6),
            "success",
            [(1001, "in_progress"), (1001, "failure"), (1002, "success")],
            2,
        )
    )
    assert DeploymentStatus.objects.filter(team=other_team).count() == 3


def test_a_github_deployment_keeps_the_deployment_it_was_first_counted_as(team):
    """A later payload that names no run (another tool's copy of the object) never splits the deployment off."""
    deployment_record(team=team, deployment=deployment(1001, run_id=77))
    deployment_record(team=team, deployment=deployment(1001, run_id=None), status=status(1, "success", at(10, 3)))
    assert Deployment.objects.filter(team=team).count() == 1
    assert Deployment.objects.get(team=team).succeeded_at == at(10, 3)


@pytest.mark.parametrize(
    ("environment", "flag", "transient", "expected"),
    [
        ("production", True, False, (True, ProductionReason.GITHUB_FLAG)),
        ("Production", False, False, (True, ProductionReason.TEAM_RULE)),
        ("prod", None, None, (True, ProductionReason.TEAM_RULE)),
        ("live-eu", True, False, (True, ProductionReason.GITHUB_FLAG)),
        ("staging", False, False, (False, ProductionReason.NONE)),
        ("production-preview", False, False, (False, ProductionReason.NONE)),
        ("preview", False, True, (False, ProductionReason.TRANSIENT)),
        ("production", True, True, (False, ProductionReason.TRANSIENT)),
    ],
)
def test_the_production_rule(team, environment, flag, transient, expected):
    d = deployment(environment=environment, production_environment=flag, transient_environment=transient)
    row = deployment_record(team=team, deployment=d)
    assert (row.is_production, row.production_reason) == expected


def test_a_broken_rule_matches_nothing_rather_than_failing_a_delivery():
    assert production_classification(environment="prod", github_flag=False, transient=False, rule="(") == (
        False,
        ProductionReason.NONE,
    )


# A team admin writes the rule; a workflow author names the environments. ``^(a|aa)+$`` against 60 a's and a "!"
# takes a backtracking matcher longer than anyone will wait: it must cost a worker or a settings page a bounded
# moment, and match nothing, never hold a process that serves every team.
RUNAWAY_RULE, RUNAWAY_NAME = "^(a|aa)+$", "a" * 60 + "!"


def _within(seconds: float, call):
    """What ``call`` returns, run in a forked process: a matcher holds the interpreter while it backtracks, so only
    another process can be stopped, and a call that never returns fails the test instead of hanging it."""
    receive, send = multiprocessing.Pipe(duplex=False)
    worker = multiprocessing.get_context("fork").Process(target=lambda: send.send(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        worker.kill()
        pytest.fail(f"still running after {seconds} s")
    return receive.recv()


def test_a_rule_that_backtracks_for_ever_matches_nothing_instead_of_stalling_the_worker(team):
    def classify(environment: str):
        return production_classification(environment=environment, github_flag=False, transient=False, rule=RUNAWAY_RULE)

    assert _within(10, lambda: classify(RUNAWAY_NAME)) == (False, ProductionReason.NONE)
    assert classify("aa") == (True, ProductionReason.TEAM_RULE)  # the rule still works where it can


def test_saving_a_rule_that_backtracks_for_ever_finishes_and_classifies_what_it_can(team):
    for n in range(30):
        deployment_record(team=team, deployment=deployment(n, run_id=None, environment=RUNAWAY_NAME))
    deployment_record(team=team, deployment=deployment(99, run_id=None, environment="aa"))
    team_production_rule_set(team=team, rule=RUNAWAY_RULE)
    assert list(Deployment.objects.filter(team=team, is_production=True).values_list("environment", flat=True)) == [
        "aa"
    ]


def test_a_new_team_rule_classifies_the_stored_deployments_again(team):
    live = deployment_record(team=team, deployment=deployment(1, environment="live", production_environment=False))
    prod = deployment_record(team=team, deployment=deployment(2, environment="prod", production_environment=False))
    assert (live.is_production, prod.is_production) == (False, True)

    assert team_production_rule_set(team=team, rule="^live$") == 2
    live.refresh_from_db()
    prod.refresh_from_db()
    assert (live.is_production, live.production_reason) == (True, ProductionReason.TEAM_RULE)
    assert (prod.is_production, prod.production_reason) == (False, ProductionReason.NONE)
    team.refresh_from_db()
    assert team.production_environment_rule == "^live$"


@pytest.mark.django_db(transaction=True)
def test_two_workers_recording_one_identity_at_once_make_one_deployment(team):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; CI runs this on PostgreSQL")
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            d = deployment(1001 + n % 2, created_at=at(10, n % 2))  # one GitHub deployment, one creation time
            deployment_record(team=team, deployment=d, status=status(n, "success", at(11, n)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    row = Deployment.objects.get(team=team)
    assert (row.deployment_created_at, row.succeeded_at) == (at(10, 0), at(11, 0))
    assert DeploymentAttempt.objects.filter(team=team).count() == 2
    assert DeploymentStatus.objects.filter(team=team).count() == 4


def test_the_repository_name_follows_a_rename(team):
    deployment_record(team=team, deployment=deployment())
    deployment_record(team=team, deployment=replace(deployment(), github_repo="acme/api-v2"))
    assert Deployment.objects.get(team=team).github_repo == "acme/api-v2"


def test_the_timeline_is_githubs_order_whatever_the_order_of_arrival(team):
    """Two states in one second, the later one delivered first: shown, and the latest state taken, in GitHub's order."""
    d = deployment()
    deployment_record(team=team, deployment=d, status=status(2, "success", at(10, 1)))
    deployment_record(team=team, deployment=d, status=status(1, "in_progress", at(10, 1)))
    with timezone.override(UTC):
        [row] = team_deployments(team=team, filters=DashboardFilters(start=date(2026, 3, 2), end=date(2026, 3, 2)))
    assert [s.state for s in row.statuses.all()] == ["in_progress", "success"]
    assert row.state == "success"
