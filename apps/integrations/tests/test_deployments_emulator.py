"""Deployments end to end: the GitHub emulator runs a deploy workflow (a failed attempt, then a re-run that succeeds)
and deploys to staging, signing and sending each ``deployment`` and ``deployment_status`` delivery to our live
webhook endpoint as GitHub would; the team's deployments page then shows one production deployment, timed at the
re-run's success, with its whole timeline, and staging beside it, not counted."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import DeliveryStatus, GitHubAppInstallation, WebhookDelivery
from apps.integrations.services.linking import installation_link_to_team
from apps.integrations.tests.conftest import emulator_control as control
from apps.integrations.tests.factories import TrackedRepositoryFactory
from apps.metrics.models import Deployment

pytestmark = pytest.mark.django_db(transaction=True)

PERMISSIONS = {
    "metadata": "read",
    "pull_requests": "read",
    "members": "read",
    "deployments": "read",
    "contents": "read",
}
EVENTS = ["pull_request", "pull_request_review", "repository", "deployment", "deployment_status"]


@pytest.fixture
def infra_tracked(live_emulator, team, admin_user):
    """The App asks for Deployments (read) and its events, as app-manifest.json does; acme installs it on acme/infra,
    the installation is linked to the team, and acme/infra is tracked (its PR history is not needed here)."""
    control(live_emulator, "/_emulator/app", {"permissions": PERMISSIONS, "events": EVENTS})
    installed = control(live_emulator, "/_emulator/installations", {"account": "acme", "repositories": ["acme/infra"]})
    installation_link_to_team(installation_id=installed["id"], team=team, user=admin_user)
    installation = GitHubAppInstallation.objects.get(installation_id=installed["id"])
    repo = installation.repositories.get(full_name="acme/infra")
    return TrackedRepositoryFactory(
        team=team, installation=installation, github_repo_id=repo.github_repo_id, full_name="acme/infra"
    )


def test_a_re_run_deploy_and_a_staging_deploy_from_github_reach_the_deployments_page(
    live_emulator, infra_tracked, team, member_client
):
    run = control(
        live_emulator,
        "/_emulator/workflow-runs",
        {"repository": "acme/infra", "environment": "production", "conclusion": "failure"},
    )
    rerun = control(
        live_emulator,
        f"/_emulator/workflow-runs/{run['id']}/rerun",
        {"repository": "acme/infra", "environment": "production", "conclusion": "success"},
    )
    assert rerun["run_attempt"] == 2
    control(
        live_emulator,
        "/_emulator/deployments",
        {"repository": "acme/infra", "environment": "staging", "statuses": ["success"]},
    )

    outcomes = set(
        WebhookDelivery.objects.filter(event__in=["deployment", "deployment_status"]).values_list("status", flat=True)
    )
    assert outcomes == {DeliveryStatus.PROCESSED}
    production = Deployment.objects.get(team=team, environment="production")
    assert (production.github_run_id, production.sha, production.state) == (run["id"], run["head_sha"], "success")
    assert production.attempts.count() == 2
    timeline = [(s.github_deployment_id, s.state) for s in production.statuses.all()]
    first, second = sorted(production.attempts.values_list("github_deployment_id", flat=True))
    assert timeline == [(first, "in_progress"), (first, "failure"), (second, "in_progress"), (second, "success")]
    assert production.succeeded_at == production.statuses.get(state="success").status_created_at
    assert production.is_production and not Deployment.objects.get(team=team, environment="staging").is_production

    today = timezone.localdate().isoformat()
    page = member_client.get(
        reverse("dashboard:deployments", kwargs={"team_slug": team.slug}), {"start": today, "end": today}
    )
    assert page.context["frequency"].deployments == 1
    assert [(e.environment, e.deployments) for e in page.context["left_out"]] == [("staging", 1)]
    assert page.context["page"].paginator.count == 2
