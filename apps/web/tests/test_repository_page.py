"""The repository page: list from the mirror, search and filters, track/untrack in place or in bulk, Import now."""

from __future__ import annotations

import pytest
import responses
from django.utils import timezone

from apps.integrations.models import ImportErrorKind, ImportStatus, InactiveReason, TrackedRepository
from apps.integrations.selectors import tracked_repository_for_delivery
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def repos(team, other_team):
    mine = InstallationFactory(installation_id=11, team=team, account_login="acme")
    InstallationRepositoryFactory(installation=mine, github_repo_id=1, full_name="acme/api")
    InstallationRepositoryFactory(installation=mine, github_repo_id=2, full_name="acme/web")
    InstallationRepositoryFactory(installation=mine, github_repo_id=3, full_name="acme/legacy", archived=True)
    InstallationRepositoryFactory(installation=mine, github_repo_id=4, full_name="acme/gone", removed_at=timezone.now())
    theirs = InstallationFactory(installation_id=22, team=other_team, account_login="globex")
    InstallationRepositoryFactory(installation=theirs, github_repo_id=9, full_name="globex/secret")
    return mine


@pytest.fixture
def queued_only(use_broker):
    """A broker that queues without running: tracking must answer without importing anything here."""
    use_broker("memory://")


def page(client, team, **params):
    return client.get(f"/a/{team.slug}/integrations/github/repos/", params)


def test_members_see_the_installation_repositories_from_the_mirror_without_calling_github(member_client, team, repos):
    with responses.RequestsMock() as github:
        response = page(member_client, team)
        assert len(github.calls) == 0
    body = response.content.decode()
    assert response.status_code == 200
    assert "acme/api" in body and "acme/web" in body and "acme/legacy" in body
    assert "acme/gone" not in body  # access removed and never tracked
    assert "globex/secret" not in body
    assert "hx-post" not in body and 'name="repositories"' not in body  # members see, admins change


def test_search_and_filters(admin_client, team, repos):
    TrackedRepositoryFactory(team=team, installation=repos, github_repo_id=1, full_name="acme/api")

    def names(**params) -> set[str]:
        body = page(admin_client, team, **params).content.decode()
        return {n for n in ("acme/api", "acme/web", "acme/legacy") if n in body}

    assert names(q="WE") == {"acme/web"}
    assert names(show="tracked") == {"acme/api"}
    assert names(show="untracked") == {"acme/web", "acme/legacy"}
    assert names(show="archived") == {"acme/legacy"}


def test_tracking_and_untracking_in_place_never_call_github(
    admin_client, team, repos, queued_only, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as github, django_capture_on_commit_callbacks(execute=True):
        tracked = admin_client.post(f"/a/{team.slug}/integrations/github/repos/1/track/", **HTMX)
        untracked = admin_client.post(f"/a/{team.slug}/integrations/github/repos/2/untrack/", **HTMX)
        bulk = admin_client.post(
            f"/a/{team.slug}/integrations/github/repos/bulk/", {"action": "track", "repositories": [2, 3]}, **HTMX
        )
        bulk_off = admin_client.post(
            f"/a/{team.slug}/integrations/github/repos/bulk/", {"action": "untrack", "repositories": [3]}, **HTMX
        )
        assert len(github.calls) == 0

    assert tracked.status_code == untracked.status_code == bulk.status_code == bulk_off.status_code == 200
    row = tracked.content.decode()
    assert row.startswith('<tr id="repo-1"') and 'hx-trigger="every 2s"' in row and "Untrack" in row
    # the poll replaces the row itself, not the bulk form's target (the whole table) it would otherwise inherit
    assert 'hx-target="this" hx-swap="outerHTML"' in row
    active = set(TrackedRepository.objects.filter(team=team, is_active=True).values_list("github_repo_id", flat=True))
    assert active == {1, 2}
    assert TrackedRepository.objects.get(team=team, github_repo_id=1).import_status == ImportStatus.QUEUED
    assert 'id="repo-table"' in bulk.content.decode() and "Tracking 2 more repositories" in bulk.content.decode()


def test_untracking_keeps_the_history_and_the_row_shows_it_untracked(admin_client, team, repos):
    TrackedRepositoryFactory(
        team=team, installation=repos, github_repo_id=1, full_name="acme/api", last_imported_at=timezone.now()
    )

    response = admin_client.post(f"/a/{team.slug}/integrations/github/repos/1/untrack/", **HTMX)

    assert "Not tracked" in response.content.decode() and ">Track<" in response.content.decode()
    row = TrackedRepository.objects.get(team=team, github_repo_id=1)
    assert not row.is_active and row.inactive_reason == InactiveReason.UNTRACKED and row.last_imported_at is not None
    assert tracked_repository_for_delivery(installation_id=repos.installation_id, github_repo_id=1) is None


def test_the_row_fragment_shows_progress_and_errors_in_plain_words(member_client, team, repos):
    TrackedRepositoryFactory(
        team=team,
        installation=repos,
        github_repo_id=1,
        full_name="acme/api",
        import_status=ImportStatus.RUNNING,
        import_heartbeat_at=timezone.now(),
        import_count=150,
        import_total=600,
    )
    TrackedRepositoryFactory(
        team=team,
        installation=repos,
        github_repo_id=2,
        full_name="acme/web",
        import_status=ImportStatus.FAILED,
        import_error_kind=ImportErrorKind.REPOSITORY_UNREADABLE,
        import_error="not found",
    )

    running = member_client.get(f"/a/{team.slug}/integrations/github/repos/1/").content.decode()
    failed = member_client.get(f"/a/{team.slug}/integrations/github/repos/2/").content.decode()

    assert 'aria-valuenow="25"' in running and "150 of 600 pull requests imported" in running
    assert 'hx-trigger="every 2s"' in running
    assert "Import failed" in failed and "GitHub could not read this repository: not found" in failed
    assert "every 2s" not in failed  # nothing running: no polling


def test_a_tracking_stopped_by_github_or_a_disconnect_says_why_on_its_row(member_client, team, repos):
    for repo_id, name, reason in (
        (4, "acme/gone", InactiveReason.ACCESS_REMOVED),
        (2, "acme/web", InactiveReason.DISCONNECTED),
    ):
        TrackedRepositoryFactory(
            team=team,
            installation=repos,
            github_repo_id=repo_id,
            full_name=name,
            is_active=False,
            inactive_reason=reason,
        )

    gone = member_client.get(f"/a/{team.slug}/integrations/github/repos/4/").content.decode()
    disconnected = member_client.get(f"/a/{team.slug}/integrations/github/repos/2/").content.decode()

    assert "App lost access" in gone and "Paused: access removed" in gone
    assert "Paused: GitHub disconnected" in disconnected and "App lost access" not in disconnected


def test_import_now_schedules_a_catch_up(admin_client, team, repos, queued_only, django_capture_on_commit_callbacks):
    imported = timezone.now()
    TrackedRepositoryFactory(
        team=team, installation=repos, github_repo_id=1, full_name="acme/api", last_imported_at=imported
    )

    with responses.RequestsMock() as github, django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/a/{team.slug}/integrations/github/repos/1/import/", **HTMX)
        assert len(github.calls) == 0

    assert response.status_code == 200 and "Import queued" in response.content.decode()
    row = TrackedRepository.objects.get(team=team, github_repo_id=1)
    assert row.import_status == ImportStatus.QUEUED and row.import_kind == "catch_up" and row.import_since < imported
    assert f"Catch-up: PRs updated since {row.import_since:%Y-%m-%d %H:%M} UTC" in response.content.decode()


def test_import_now_without_htmx_says_what_it_started(admin_client, team, repos, queued_only):
    TrackedRepositoryFactory(team=team, installation=repos, github_repo_id=1, full_name="acme/api")

    response = admin_client.post(f"/a/{team.slug}/integrations/github/repos/1/import/", follow=True)

    body = response.content.decode()
    assert "Import started for acme/api. History import: PRs updated since " in body


def test_members_cannot_change_tracking(member_client, team, repos):
    assert member_client.post(f"/a/{team.slug}/integrations/github/repos/1/track/").status_code == 403
    assert member_client.post(f"/a/{team.slug}/integrations/github/repos/bulk/").status_code == 403
    assert not TrackedRepository.objects.exists()


def test_another_teams_repositories_are_out_of_reach(admin_client, team, other_team, repos):
    assert admin_client.get(f"/a/{team.slug}/integrations/github/repos/9/").status_code == 404
    assert admin_client.post(f"/a/{team.slug}/integrations/github/repos/9/track/").status_code == 404
    admin_client.post(f"/a/{team.slug}/integrations/github/repos/bulk/", {"action": "track", "repositories": [9]})
    assert not TrackedRepository.objects.filter(github_repo_id=9).exists()
    assert admin_client.get(f"/a/{other_team.slug}/integrations/github/repos/").status_code == 404


def test_the_github_page_links_to_the_repository_page(member_client, team, repos):
    body = member_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    assert f"/a/{team.slug}/integrations/github/repos/" in body


def test_without_htmx_a_change_redirects_back_to_the_page(admin_client, team, repos, queued_only):
    response = admin_client.post(f"/a/{team.slug}/integrations/github/repos/1/track/")
    assert response.status_code == 302 and response["Location"].endswith("/integrations/github/repos/")
