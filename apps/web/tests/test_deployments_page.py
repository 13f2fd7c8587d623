"""The deployments page: deployment frequency in the team's days and weeks, every deployment of the period with its
status timeline, the environments that are not production and why, an empty state; members only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import GitHubAppInstallation, InstallationStatus
from apps.integrations.services.registration import app_permissions
from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory
from apps.metrics.selectors.deployments import team_deployment_frequency
from apps.metrics.selectors.scope import DashboardFilters
from apps.metrics.services import deployment_record
from apps.metrics.types import DeploymentSnapshot, DeploymentStatusSnapshot
from apps.teams.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(team, admin_user):
    return api_token_create(team=team, name="dora export", created_by=admin_user)[1]


REPO_ID = 4242
statuses = iter(range(1, 10_000))


def deployed(team, github_id: int, *, environment="production", created: datetime, states=(), repo_id=REPO_ID, **flags):
    """A GitHub deployment made by no run, with its statuses ``states`` as (state, time)."""
    snapshot = DeploymentSnapshot(
        github_deployment_id=github_id,
        github_repo_id=repo_id,
        github_repo="acme/api" if repo_id == REPO_ID else f"acme/repo-{repo_id}",
        environment=environment,
        sha=f"{github_id:040x}",
        ref="main",
        created_at=created,
        production_environment=flags.get("production", environment == "production"),
        transient_environment=flags.get("transient", False),
    )
    row = deployment_record(team=team, deployment=snapshot)
    for state, when in states:
        status = DeploymentStatusSnapshot(github_status_id=next(statuses), state=state, created_at=when)
        row = deployment_record(team=team, deployment=snapshot, status=status)
    return row


def page_url(team) -> str:
    return reverse("dashboard:deployments", kwargs={"team_slug": team.slug})


PERIOD = {"start": "2026-03-02", "end": "2026-03-15"}  # two whole weeks, Monday to Sunday


def test_the_page_lists_the_periods_deployments_and_counts_successful_production_ones(member_client, team):
    t = datetime(2026, 3, 3, 9, tzinfo=UTC)
    deployed(team, 1, created=t, states=[("in_progress", t), ("failure", t.replace(minute=5))])
    deployed(team, 2, created=t.replace(hour=10), states=[("success", t.replace(hour=10, minute=4))])
    deployed(team, 3, created=t.replace(day=10), states=[("success", t.replace(day=10, minute=2))])
    deployed(team, 4, environment="staging", production=False, created=t, states=[("success", t)])
    deployed(team, 5, environment="pr-12", transient=True, production=False, created=t, states=[("success", t)])

    response = member_client.get(page_url(team), PERIOD)
    assert response.status_code == 200
    frequency = response.context["frequency"]
    assert (frequency.deployments, [w.deployments for w in frequency.weeks]) == (2, [1, 1])
    assert [d.environment for d in response.context["page"].object_list].count("production") == 3
    assert {(e.environment, e.reason_label, e.deployments) for e in response.context["left_out"]} == {
        ("staging", "Not production", 1),
        ("pr-12", "Transient environment (never production)", 1),
    }
    html = response.content.decode()
    assert '<div class="value">2</div>' in html and "production deployments in 14 days · 1.0 a week" in html
    assert "failure" in html and "Environments that are not production" in html
    assert page_url(team) in html  # the nav links to it


def test_an_untracked_repositorys_deployments_stay_out_unless_chosen(member_client, team):
    TrackedRepositoryFactory(team=team, installation__team=team, github_repo_id=77, is_active=False)
    t = datetime(2026, 3, 4, 9, tzinfo=UTC)
    deployed(team, 1, created=t, states=[("success", t)])
    deployed(team, 2, created=t, states=[("success", t)], repo_id=77)

    assert member_client.get(page_url(team), PERIOD).context["frequency"].deployments == 1
    assert member_client.get(page_url(team), PERIOD | {"repo": 77}).context["frequency"].deployments == 1


def test_a_success_is_counted_on_the_teams_day_and_week(member_client, team):
    """Monday Mar 9 03:00 UTC is still Sunday Mar 8 in New York (23:00, daylight time began that morning): the success
    belongs to the team's first week and to a period ending on Sunday the 8th, and to neither in UTC's days."""
    team.timezone = "America/New_York"
    team.save()
    success = datetime(2026, 3, 9, 3, tzinfo=UTC)
    deployed(team, 1, created=success, states=[("success", success)])

    week = member_client.get(page_url(team), PERIOD).context["frequency"]
    assert [w.deployments for w in week.weeks] == [1, 0]
    assert (
        member_client.get(page_url(team), {"start": "2026-03-02", "end": "2026-03-08"}).context["frequency"].deployments
        == 1
    )
    with timezone.override(UTC):  # the same deployment in UTC's days falls on Monday the 9th
        filters = DashboardFilters(start=datetime(2026, 3, 2).date(), end=datetime(2026, 3, 8).date())
        assert team_deployment_frequency(team=team, filters=filters).deployments == 0


def test_the_definition_of_a_deployment_is_on_the_definitions_page(member_client, team):
    html = member_client.get(page_url(team)).content.decode()
    definitions = reverse("dashboard:definitions", kwargs={"team_slug": team.slug})
    assert f"{definitions}#deployment-frequency" in html
    page = member_client.get(definitions).content.decode()
    assert 'id="deployment-frequency"' in page and "re-run attempts" in page


def test_an_empty_period_says_so(member_client, team):
    html = member_client.get(page_url(team), PERIOD).content.decode()
    assert "No deployment in this period." in html


def test_a_non_member_gets_404(client, make_user, team):
    client.force_login(make_user("stranger@example.com"))
    assert client.get(page_url(team)).status_code == 404


def test_the_csv_lists_every_deployment_of_the_period_with_its_timeline_in_the_teams_zone(member_client, team):
    team.timezone = "Europe/Berlin"
    team.save()
    t = datetime(2026, 3, 3, 9, tzinfo=UTC)
    deployed(team, 1, created=t, states=[("in_progress", t), ("failure", t.replace(minute=5))])
    deployed(team, 2, environment="=HYPERLINK(\"http://evil\")", production=False, created=t,
             states=[("success", t.replace(hour=10))])  # fmt: skip
    deployed(team, 3, created=datetime(2026, 2, 1, tzinfo=UTC), states=[("success", datetime(2026, 2, 1, tzinfo=UTC))])

    page = member_client.get(page_url(team), PERIOD).content.decode()
    link = (
        reverse("dashboard:deployments_csv", kwargs={"team_slug": team.slug}) + "?start=2026-03-02&amp;end=2026-03-15"
    )
    assert link in page
    answer = member_client.get(reverse("dashboard:deployments_csv", kwargs={"team_slug": team.slug}), PERIOD)
    assert answer["Content-Disposition"] == f'attachment; filename="{team.slug}-deployments.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert rows[0][:3] == ["repository", "environment", "commit"] and len(rows) == 3  # February's is not listed
    newest, failed = rows[1], rows[2]
    assert newest[1] == '\'=HYPERLINK("http://evil")'  # a spreadsheet shows it as text, never runs it
    assert (newest[6], newest[8], newest[9]) == ("2026-03-03T11:00:00+01:00", "no", "Not production")
    assert failed[2] == f"{1:040x}" and (failed[6], failed[7], failed[8]) == ("", "failure", "yes")
    assert failed[11] == "in_progress at 2026-03-03T10:00:00+01:00; failure at 2026-03-03T10:05:00+01:00"


def test_an_installation_without_the_deployments_permission_is_named_never_shown_as_zero(member_client, team, token):
    """GitHub sends no deployment of an installation whose owner has not accepted the permission: the page and the API
    say which accounts are missing from the figures, with where an owner accepts."""
    waiting = InstallationFactory(team=team, installation_id=42, account_login="acme", account_type="Organization",
                                  permissions={"metadata": "read", "pull_requests": "read"})  # fmt: skip
    InstallationFactory(team=team, installation_id=43, account_login="globex", permissions=app_permissions())
    InstallationFactory(team=team, installation_id=44, account_login="gone", status=InstallationStatus.DELETED)

    html = member_client.get(page_url(team), PERIOD).content.decode()
    notice = html.split('id="deployments-permission">')[1].split("</div>")[0]
    assert "<strong>acme</strong> has not accepted" in notice and "globex" not in notice and "gone" not in notice
    assert f'href="{waiting.settings_url}"' in notice
    api = Client().get("/api/v1/deployments/", PERIOD, HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert api["installations_without_permission"] == {"deployments": ["acme"], "contents": ["acme"]}
    contents = html.split('id="contents-permission">')[1].split("</div>")[0]
    assert "<strong>acme</strong> has not accepted the App's <strong>Contents</strong>" in contents

    GitHubAppInstallation.objects.filter(pk=waiting.pk).update(permissions=app_permissions())
    assert 'id="deployments-permission"' not in member_client.get(page_url(team), PERIOD).content.decode()


def test_each_production_deployment_shows_the_pull_requests_it_shipped(member_client, team, settings, token):
    from apps.metrics.services import deployment_changes_record
    from apps.metrics.tests.factories import PullRequestFactory

    t = datetime(2026, 3, 3, 9, tzinfo=UTC)
    made = datetime(2026, 3, 2, 9, tzinfo=UTC)
    first = deployed(team, 1, created=t, states=[("success", t)])
    second = deployed(team, 2, created=t.replace(hour=10), states=[("success", t.replace(hour=10))])
    back = deployed(team, 3, created=t.replace(hour=11), states=[("success", t.replace(hour=11))])
    waiting = deployed(team, 4, created=t.replace(hour=12), states=[("success", t.replace(hour=12))])
    PullRequestFactory(
        team=team,
        github_repo_id=REPO_ID,
        number=11,
        pr_created_at=made,
        merged_at=t,
        title="Faster search",
        merge_commit_sha=first.sha,
    )
    PullRequestFactory(
        team=team,
        github_repo_id=REPO_ID,
        number=12,
        pr_created_at=made,
        merged_at=t,
        title="Fix login",
        merge_commit_sha="c" * 40,
    )
    PullRequestFactory(
        team=team,
        github_repo_id=REPO_ID,
        number=13,
        pr_created_at=made,
        merged_at=t,
        title="New export",
        merge_commit_sha=second.sha,
    )
    deployment_changes_record(deployment=first, previous=None)
    deployment_changes_record(deployment=second, previous=first, commit_shas=["c" * 40, second.sha])
    deployment_changes_record(deployment=back, previous=second, rollback=True)

    page = member_client.get(page_url(team), PERIOD)
    html = page.content.decode()
    rows = {row.pk: row for row in page.context["page"].object_list}
    assert [c.pull_request.number for c in rows[second.pk].changes.all()] == [12, 13]
    web = settings.GITHUB_WEB_URL.rstrip("/")
    assert f'href="{web}/acme/api/pull/12">#12</a> Fix login' in html
    assert f'href="{web}/acme/api/compare/{first.sha}...{second.sha}"' in html
    assert html.count(">baseline unknown</span>") == 1 and html.count(">rollback</span>") == 1
    assert f'href="{web}/acme/api/pull/11">#11</a> Faster search' in html  # the baseline's own commit
    assert "changes not known yet" in html and waiting.changes_computed_at is None
    lead = page.context["lead_time"]  # #11 first deployed 24 h after its creation, #12 and #13 25 h
    assert (lead.percentiles.count, lead.percentiles.p50, lead.known, lead.merged) == (3, 25 * 3600, 3, 3)
    assert "Lead time known for 3 of 3 pull requests merged in the period" in html
    api = Client().get("/api/v1/deployments/", PERIOD, HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert api["lead_time_seconds"] == {"p50": 25 * 3600.0, "p75": 25 * 3600.0, "p90": 25 * 3600.0, "n": 3}
    assert api["lead_time_coverage"] == {"known": 3, "merged": 3}
