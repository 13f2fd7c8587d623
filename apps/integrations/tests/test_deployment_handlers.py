"""deployment and deployment_status deliveries, signed and sent as GitHub sends them, become deployments.

The payloads are the project's recorded fixtures (installation 1, repository 186853002 Codertocat/Hello-World),
edited per scenario: ids, environment, flags, the run that made the deployment, the status and its time.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory
from apps.metrics.models import Deployment, DeploymentStatus, ProductionReason
from github_app.tests.fixtures import load_json

pytestmark = pytest.mark.django_db

REPO_ID, SHA = 186853002, "55d00a1b4f91469c76d724611bcdcf3201eabbb1"


def iso(hour: int, minute: int = 0) -> str:
    return f"2026-03-02T{hour:02d}:{minute:02d}:00Z"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


def _fixture(name: str) -> dict:
    return copy.deepcopy(load_json(f"deployments/webhooks/{name}"))


def _run(run_id: int, attempt: int) -> dict:
    run = _fixture("deployment_status/gh-pages.payload.json")["workflow_run"]
    return run | {"id": run_id, "run_attempt": attempt, "head_sha": SHA}


def deployment_payload(
    github_id: int,
    *,
    environment: str = "production",
    created: str = iso(10),
    run: tuple[int, int] | None = None,
    production: bool | None = None,
    transient: bool = False,
) -> dict:
    """``deployment.created``; ``run`` is (run id, attempt) of the Actions run that made it, None for a REST one;
    ``production`` defaults to GitHub's own default (true for an environment named exactly "production")."""
    payload = _fixture("deployment/with-installation.payload.json")
    payload["deployment"].update(
        id=github_id,
        sha=SHA,
        environment=environment,
        original_environment=environment,
        created_at=created,
        updated_at=created,
        production_environment=environment == "production" if production is None else production,
        transient_environment=transient,
    )
    payload["workflow_run"] = None if run is None else _run(*run)
    return payload


def status_payload(github_id: int, state: str, when: str, deployment: dict) -> dict:
    """``deployment_status.created`` of the deployment ``deployment_payload`` describes."""
    payload = _fixture("deployment_status/with-installation.payload.json")
    payload["deployment"] = deployment["deployment"]
    payload["workflow_run"] = deployment["workflow_run"]
    payload["deployment_status"].update(
        id=github_id,
        state=state,
        created_at=when,
        updated_at=when,
        environment=deployment["deployment"]["environment"],
        log_url=f"https://github.com/Codertocat/Hello-World/actions/runs/{github_id}",
    )
    return payload


@pytest.fixture
def tracked(team):
    installation = InstallationFactory(installation_id=1, team=team, account_login="Codertocat")
    return TrackedRepositoryFactory(
        team=team, installation=installation, github_repo_id=REPO_ID, full_name="Codertocat/Hello-World"
    )


def status_of(delivery_id: str) -> tuple[str, str]:
    delivery = WebhookDelivery.objects.get(delivery_id=delivery_id)
    return delivery.status, delivery.reason


def send_all(signed_webhook, deliveries: list[tuple[str, dict]]) -> None:
    for event, payload in deliveries:
        response = signed_webhook(event, payload)
        assert response.status_code == 202


def test_a_failed_attempt_then_a_successful_re_run_is_one_deployment_timed_at_the_success(
    signed_webhook, tracked, team
):
    first = deployment_payload(1001, created=iso(10), run=(77, 1))
    rerun = deployment_payload(1002, created=iso(10, 20), run=(77, 2))
    send_all(
        signed_webhook,
        [
            ("deployment", first),
            ("deployment_status", status_payload(1, "in_progress", iso(10, 1), first)),
            ("deployment_status", status_payload(2, "failure", iso(10, 6), first)),
            ("deployment", rerun),
            ("deployment_status", status_payload(3, "in_progress", iso(10, 21), rerun)),
            ("deployment_status", status_payload(4, "success", iso(10, 27), rerun)),
        ],
    )
    row = Deployment.objects.get(team=team)
    assert (row.github_repo, row.environment, row.sha, row.github_run_id) == (
        "Codertocat/Hello-World",
        "production",
        SHA,
        77,
    )
    assert (row.deployment_created_at, row.succeeded_at, row.state) == (at(10), at(10, 27), "success")
    assert (row.is_production, row.production_reason) == (True, ProductionReason.GITHUB_FLAG)
    assert [(s.github_deployment_id, s.state) for s in row.statuses.all()] == [
        (1001, "in_progress"),
        (1001, "failure"),
        (1002, "in_progress"),
        (1002, "success"),
    ]


def test_two_github_deployments_from_one_run_are_one_deployment(signed_webhook, tracked, team):
    """Reusable workflows: one run, two GitHub deployments of the same commit to the same environment."""
    one, two = deployment_payload(1001, run=(88, 1)), deployment_payload(1002, created=iso(10, 1), run=(88, 1))
    send_all(
        signed_webhook,
        [
            ("deployment", one),
            ("deployment", two),
            ("deployment_status", status_payload(1, "success", iso(10, 4), one)),
            ("deployment_status", status_payload(2, "success", iso(10, 5), two)),
        ],
    )
    row = Deployment.objects.get(team=team)
    assert sorted(row.attempts.values_list("github_deployment_id", flat=True)) == [1001, 1002]
    assert row.succeeded_at == at(10, 4)


def test_environments_are_classified_and_none_is_dropped(signed_webhook, tracked, team):
    cases = {
        "staging": deployment_payload(1, environment="staging"),
        "preview": deployment_payload(2, environment="preview", transient=True),
        "Production": deployment_payload(3, environment="Production", production=False),
        "live-eu": deployment_payload(4, environment="live-eu", production=True),
    }
    send_all(signed_webhook, [("deployment", payload) for payload in cases.values()])
    found = {d.environment: (d.is_production, d.production_reason) for d in Deployment.objects.filter(team=team)}
    assert found == {
        "staging": (False, ProductionReason.NONE),
        "preview": (False, ProductionReason.TRANSIENT),
        "Production": (True, ProductionReason.TEAM_RULE),
        "live-eu": (True, ProductionReason.GITHUB_FLAG),
    }


def test_a_status_before_its_deployment_and_a_repeated_delivery_give_the_same_rows(signed_webhook, tracked, team):
    deployment = deployment_payload(1001, run=(77, 1))
    success = status_payload(5, "success", iso(10, 3), deployment)
    signed_webhook("deployment_status", success, delivery_id="status")
    signed_webhook("deployment", deployment, delivery_id="deployment")
    assert signed_webhook("deployment_status", success, delivery_id="status").status_code == 200  # recorded before
    signed_webhook("deployment_status", success, delivery_id="status-again")  # GitHub's redelivery: a new id
    assert status_of("status") == status_of("deployment") == status_of("status-again") == (DeliveryStatus.PROCESSED, "")
    row = Deployment.objects.get(team=team)
    assert (row.deployment_created_at, row.succeeded_at, row.state) == (at(10), at(10, 3), "success")
    assert list(DeploymentStatus.objects.filter(team=team).values_list("github_status_id", "state")) == [(5, "success")]


def test_deliveries_of_an_untracked_repository_are_ignored_with_the_reason(signed_webhook, tracked, team):
    tracked.is_active = False
    tracked.save()
    deployment = deployment_payload(1001)
    signed_webhook("deployment", deployment, delivery_id="d")
    signed_webhook("deployment_status", status_payload(1, "success", iso(10, 1), deployment), delivery_id="s")
    assert status_of("d") == status_of("s") == (DeliveryStatus.IGNORED, "repository not tracked")
    assert not Deployment.objects.exists()


def test_deliveries_of_an_unknown_installation_are_ignored(signed_webhook, team):
    signed_webhook("deployment", deployment_payload(1001), delivery_id="d")
    assert status_of("d") == (DeliveryStatus.IGNORED, "unknown installation")
    assert not Deployment.objects.exists()


def test_a_status_url_that_is_not_a_web_address_is_kept_out_of_the_page(signed_webhook, tracked, team, member_client):
    """Whoever runs a deploy writes its statuses' URLs; the deployments page links them. Only http(s) is linked: a
    ``javascript:`` URL would run in the page of every member who clicks it."""
    made = deployment_payload(1001, run=(77, 1))
    risky = status_payload(1, "failure", iso(10, 5), made)
    risky["deployment_status"].update(log_url="javascript:alert(document.cookie)", target_url="", environment_url="")
    safe = status_payload(2, "success", iso(10, 9), made)
    safe["deployment_status"].update(environment_url="data:text/html,hi")
    send_all(signed_webhook, [("deployment", made), ("deployment_status", risky), ("deployment_status", safe)])

    urls = list(DeploymentStatus.objects.order_by("github_status_id").values_list("log_url", "environment_url"))
    assert urls == [("", ""), ("https://github.com/Codertocat/Hello-World/actions/runs/2", "")]
    html = member_client.get(f"/a/{team.slug}/deployments/", {"start": "2026-03-01", "end": "2026-03-03"}).content
    assert b"javascript:" not in html and b'href="https://github.com/Codertocat/Hello-World/actions/runs/2"' in html
