"""One scope for every panel, and bounded input: what a team member sees on the dashboard."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.integrations.tests.factories import TrackedRepositoryFactory
from apps.metrics.models import TeamMember
from apps.metrics.services import pull_request_upsert, review_upsert
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-10-15", "end": "2026-11-20"}
API, WEB = (77, "acme/api"), (88, "acme/web")


def dashboard(client, team, **params):
    return client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug}), PERIOD | params)


def open_pr_waiting_on(team, reviewer, repo: tuple[int, str]) -> None:
    snap = SnapshotFactory(github_repo_id=repo[0], github_repo=repo[1], title=f"Waiting in {repo[1]}")
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 1, subject=reviewer)])


def merged_pr(team, repo: tuple[int, str], title: str) -> None:
    snap = SnapshotFactory(
        github_repo_id=repo[0], github_repo=repo[1], title=title, state="closed", merged=True,
        updated_at=at(5), closed_at=at(5), merged_at=at(5),
    )  # fmt: skip
    pull_request_upsert(team=team, snapshot=snap)
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(2)))


def open_requests(response) -> dict[str, int]:
    return {r.member.github_username: r.open_requests for r in response.context["reviewers"] if r.open_requests}


def test_open_review_requests_follow_the_repository_filter(member_client, team):
    grace = PersonFactory(login="grace")
    open_pr_waiting_on(team, grace, API)
    open_pr_waiting_on(team, grace, WEB)
    open_pr_waiting_on(team, grace, WEB)

    assert open_requests(dashboard(member_client, team)) == {"grace": 3}
    assert open_requests(dashboard(member_client, team, repo=API[0])) == {"grace": 1}


def test_open_review_requests_leave_out_hidden_authors_prs(member_client, team):
    grace, contractor = PersonFactory(login="grace"), PersonFactory(login="contractor")
    snap = SnapshotFactory(author=contractor)
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 1, subject=grace)])
    TeamMember.objects.filter(team=team, github_id=contractor.github_id).update(is_active=False)

    assert open_requests(dashboard(member_client, team)) == {}


def test_an_untracked_repository_is_out_of_every_panel_until_tracked_again(member_client, team):
    grace = PersonFactory(login="grace")
    merged_pr(team, API, "Merged in api")
    merged_pr(team, WEB, "Merged in web")
    open_pr_waiting_on(team, grace, WEB)  # open when web is untracked: its close would never arrive
    tracked = TrackedRepositoryFactory(team=team, github_repo_id=WEB[0], full_name=WEB[1], is_active=False)

    response = dashboard(member_client, team)
    page = response.content.decode()
    assert response.context["summary"].merged == 1 and response.context["pickup"].count == 1
    assert sum(p.merged for p in response.context["trends"]) == 1
    assert [pr.title for pr in response.context["page"].object_list] == ["Merged in api"]
    assert open_requests(response) == {} and "Waiting in acme/web" not in page
    assert [r.reviews for r in response.context["reviewers"]] == [1]
    assert "acme/web (not tracked)" in page  # still there to choose explicitly

    chosen = dashboard(member_client, team, repo=WEB[0])
    assert chosen.context["summary"].merged == 1 and open_requests(chosen) == {"grace": 1}

    tracked.is_active = True
    tracked.save()
    assert dashboard(member_client, team).context["summary"].merged == 2


@pytest.mark.parametrize(
    "query",
    [
        {"end": "9999-12-31"},
        {"end": "0001-01-02"},
        {"start": "2026-11-20", "end": "2026-10-01"},
        {"start": "0001-01-01", "end": "9999-12-26"},
        {"start": "2000-01-01", "end": "2026-11-20"},
        {"start": "2015-01-01"},
    ],
)
def test_out_of_range_dates_are_a_form_error_not_a_500_or_a_huge_page(member_client, team, query):
    merged_pr(team, API, "Merged in api")

    response = member_client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug}), query)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert len(response.content) < 300_000
    filters = response.context["filters"]
    assert (filters.end - filters.start).days == 29  # the default period is shown instead


def test_a_team_in_new_york_sees_its_evening_merge_on_its_own_day(admin_client, team):
    """9 pm in New York on Monday Nov 2 is 2 am UTC on Tuesday: the New York team counts it on Monday."""
    snap = SnapshotFactory(
        state="closed", merged=True, updated_at=at(17), closed_at=at(17), merged_at=at(17)
    )  # T0 is Nov 2 09:00 UTC, so this is Nov 3 02:00 UTC
    pull_request_upsert(team=team, snapshot=snap)
    monday = {"start": "2026-11-02", "end": "2026-11-02"}
    url = reverse("dashboard:index", kwargs={"team_slug": team.slug})
    assert admin_client.get(url, monday).context["summary"].merged == 0  # UTC by default

    response = admin_client.post(
        reverse("teams:set_timezone", kwargs={"team_slug": team.slug}), {"timezone": "America/New_York"}
    )
    assert response.status_code == 302

    page = admin_client.get(url, monday)
    assert page.context["summary"].merged == 1
    assert "America/New_York" in page.content.decode()


def test_members_cannot_change_the_timezone_and_nonsense_is_refused(client, member_user, admin_user, team):
    url = reverse("teams:set_timezone", kwargs={"team_slug": team.slug})
    client.force_login(member_user)
    assert client.post(url, {"timezone": "Asia/Tokyo"}).status_code == 403
    client.force_login(admin_user)
    client.post(url, {"timezone": "Mars/Olympus_Mons"})
    team.refresh_from_db()
    assert team.timezone == "UTC"


def test_a_repository_moved_to_another_teams_organization_keeps_its_merged_prs_on_the_old_teams_dashboard(
    member_client, team, other_team, signed_webhook
):
    """acme/api was transferred to an organization connected to another team: GitHub removes it from acme's
    installation and sends ``repository.transferred`` to the new owner's. The old team's history stays counted."""
    from apps.integrations.tests.factories import InstallationFactory, InstallationRepositoryFactory
    from apps.integrations.tests.payloads import installation_repositories_event, repository_transferred_event

    acme = InstallationFactory(installation_id=10, team=team, account_login="acme", account_id=100)
    InstallationFactory(installation_id=20, team=other_team, account_login="beta", account_id=200)
    InstallationRepositoryFactory(installation=acme, github_repo_id=API[0], full_name=API[1])
    TrackedRepositoryFactory(team=team, installation=acme, github_repo_id=API[0], full_name=API[1])
    merged_pr(team, API, "Merged in api")
    merged_pr(team, API, "Merged in api again")
    assert dashboard(member_client, team).context["summary"].merged == 2

    moved = repository_transferred_event(
        20, repo_id=API[0], full_name="beta/api", owner_id=200, from_login="acme", from_id=100
    )
    assert signed_webhook("repository", moved).status_code == 202
    removed = installation_repositories_event("removed", 10, login="acme", account_id=100, repositories=[API])
    assert signed_webhook("installation_repositories", removed).status_code == 202

    assert dashboard(member_client, team).context["summary"].merged == 2
