"""Daily reconciliation against GitHub (mocked with the REST examples): lost events are repaired, a 404 means
deleted, and a rate-limited run — whatever call hits the limit — changes nothing."""

from __future__ import annotations

import json
import time
from io import StringIO

import pytest
import responses
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.integrations.github import GitHubAppNotConfigured
from apps.integrations.models import (
    GitHubAppInstallation,
    InactiveReason,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
)
from apps.integrations.services.reconcile import (
    installation_reconcile,
    installations_due,
    installations_reconcile,
    installations_reconcile_due,
)
from apps.integrations.tasks import reconcile_installations
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)
from github_app.tests.fixtures import api_example

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")

API = "https://api.github.com"
RATE_LIMITED = {
    "status": 403,
    "json": {"message": "API rate limit exceeded for installation."},
    "headers": {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 600)},
}


@pytest.fixture
def ours(team):
    """Installation 1 (listed by GitHub) with a stale mirror; installation 5, which GitHub no longer has."""
    one = InstallationFactory(installation_id=1, account_login="old-login", team=team)
    InstallationRepositoryFactory(installation=one, github_repo_id=999, full_name="octocat/gone")
    TrackedRepositoryFactory(team=team, installation=one, github_repo_id=999, full_name="octocat/gone")
    InstallationFactory(installation_id=5, account_login="someone", team=team)
    return one


def snapshot() -> list[tuple]:
    return sorted(
        [("i", r.installation_id, r.account_login, r.status, r.team_id) for r in GitHubAppInstallation.objects.all()]
        + [("r", r.installation_id, r.github_repo_id, r.full_name, r.removed_at is not None)
           for r in InstallationRepository.objects.all()]
        + [("t", t.github_repo_id, t.is_active, t.inactive_reason) for t in TrackedRepository.objects.all()]
    )  # fmt: skip


def mock_github(github, *, gone_status: int = 404) -> None:
    github.mock.get(f"{API}/app/installations", json=api_example("apps-list-installations.json"))
    github.repositories(1)  # octocat/Hello-World, id 1296269
    github.mock.get(f"{API}/app/installations/5", json={"message": "Not Found"}, status=gone_status)


def test_reconciliation_repairs_the_mirror_and_marks_missing_installations_deleted(github, ours, team):
    mock_github(github)
    report = installations_reconcile()

    assert (report.installations_seen, report.installations_deleted) == (1, 1)
    assert (report.repositories_added, report.repositories_removed) == (1, 1)
    ours.refresh_from_db()
    assert ours.account_login == "octocat" and ours.team == team and ours.status == InstallationStatus.ACTIVE
    assert set(ours.repositories.filter(removed_at__isnull=True).values_list("full_name", flat=True)) == {
        "octocat/Hello-World"
    }
    assert TrackedRepository.objects.get().inactive_reason == InactiveReason.ACCESS_REMOVED
    assert GitHubAppInstallation.objects.get(installation_id=5).status == InstallationStatus.DELETED

    again = snapshot()
    mock_github(github)
    installations_reconcile()
    assert snapshot() == again


def test_a_rate_limited_listing_changes_nothing(github, ours):
    before = snapshot()
    github.mock.get(f"{API}/app/installations", **RATE_LIMITED)
    report = installations_reconcile()
    assert "RateLimited" in report.aborted
    assert snapshot() == before


def test_a_rate_limit_on_an_installations_repositories_leaves_it_and_the_rest_as_they_were(github, ours):
    """Installation 1 is rate-limited half-way: never taken for lost access; the run stops there."""
    before = snapshot()
    github.mock.get(f"{API}/app/installations", json=api_example("apps-list-installations.json"))
    github.installation_token(1)
    github.mock.get(f"{API}/installation/repositories", **RATE_LIMITED)
    report = installations_reconcile()
    assert "RateLimited at installation 1" in report.aborted
    assert snapshot() == before


def test_a_rate_limit_on_one_installation_keeps_what_was_reconciled_before_it(github, ours):
    github.mock.get(f"{API}/app/installations", json=api_example("apps-list-installations.json"))
    github.repositories(1)
    github.mock.get(f"{API}/app/installations/5", **RATE_LIMITED)
    report = installations_reconcile()
    assert "RateLimited at installation 5" in report.aborted
    assert GitHubAppInstallation.objects.get(installation_id=1).account_login == "octocat"  # its own transaction
    assert GitHubAppInstallation.objects.get(installation_id=5).status == InstallationStatus.ACTIVE  # not "deleted"


IP_ALLOW_LIST = (
    "Although you appear to have the correct authorization credentials, the organization has an IP allow list"
)


def test_one_installations_error_is_reported_and_never_stops_the_others_or_counts_as_deletion(github, ours):
    """Installation 5 answers 403 (an organization's IP allow list, say): installation 1 is still repaired, 5 is
    neither deleted nor changed, and the report names it with GitHub's reason."""
    github.mock.get(f"{API}/app/installations", json=api_example("apps-list-installations.json"))
    github.repositories(1)
    github.mock.get(f"{API}/app/installations/5", json={"message": IP_ALLOW_LIST}, status=403)

    report = installations_reconcile()

    assert not report.aborted
    assert (report.installations_seen, report.repositories_added, report.repositories_removed) == (1, 1, 1)
    assert list(report.failed) == [5] and "IP allow list" in report.failed[5]
    assert GitHubAppInstallation.objects.get(installation_id=5).status == InstallationStatus.ACTIVE
    assert GitHubAppInstallation.objects.get(installation_id=1).account_login == "octocat"


def test_the_command_names_the_installations_that_failed(github, ours):
    github.mock.get(f"{API}/app/installations", json=api_example("apps-list-installations.json"))
    github.repositories(1)
    github.mock.get(f"{API}/app/installations/5", json={"message": IP_ALLOW_LIST}, status=403)
    out = StringIO()
    call_command("reconcile_installations", stdout=out)
    assert "1 installations on GitHub" in out.getvalue()
    assert "Installation 5 not reconciled" in out.getvalue() and "IP allow list" in out.getvalue()


def test_dry_run_reports_and_changes_nothing(github, ours):
    before = snapshot()
    mock_github(github)
    out = StringIO()
    call_command("reconcile_installations", "--dry-run", stdout=out)
    assert "Would change (dry run): 1 installations on GitHub, 1 marked deleted" in out.getvalue()
    assert snapshot() == before


def test_the_command_fails_loudly_when_aborted(github, ours):
    github.mock.get(f"{API}/app/installations", **RATE_LIMITED)
    with pytest.raises(CommandError, match="nothing else changed"):
        call_command("reconcile_installations", stdout=StringIO())


def test_the_hourly_task_reconciles_that_hours_installations_one_task_each(github, ours, settings):
    """Installation 5 is in slot 5 (5 % 24): the 05:00 run reconciles it (GitHub: 404, so deleted), and only it."""
    github.mock.get(f"{API}/app/installations/5", json={"message": "Not Found"}, status=404)
    assert installations_reconcile_due(hour=5) == 1
    assert GitHubAppInstallation.objects.get(installation_id=5).status == InstallationStatus.DELETED
    assert GitHubAppInstallation.objects.get(installation_id=1).account_login == "old-login"  # slot 1, not yet
    schedule = settings.CELERY_BEAT_SCHEDULE["reconcile-installations"]["schedule"]
    assert schedule.hour == set(range(24)) and schedule.minute == {1}  # every hour, on the clock


def test_every_installation_falls_in_exactly_one_hour_of_the_day(team):
    GitHubAppInstallation.objects.bulk_create(GitHubAppInstallation(installation_id=i) for i in range(100, 160))
    slots = [set(installations_due(slot=h)) for h in range(24)]
    assert sum(len(s) for s in slots) == 60 and set().union(*slots) == set(range(100, 160))


def test_the_midnight_run_also_reconciles_installations_github_has_and_we_never_heard_of(github, team):
    github.mock.get(f"{API}/app/installations", json=api_example("apps-list-installations.json"))  # id 1
    github.installation(1)
    github.repositories(1)
    assert installations_reconcile_due(hour=0) == 1
    assert GitHubAppInstallation.objects.get(installation_id=1).account_login == "octocat"


def test_the_hourly_task_queues_nothing_without_an_app_configured(settings, ours):
    settings.GITHUB_APP_ID = ""
    with pytest.raises(GitHubAppNotConfigured):
        installations_reconcile_due(hour=5)  # installation 5's slot: no task queued to fail
    assert reconcile_installations() == 0


def test_reconciling_an_unchanged_installation_writes_nothing(github, ours):
    mock_github(github)
    installations_reconcile()
    before = {i.installation_id: i.updated_at for i in GitHubAppInstallation.objects.all()}
    repos_before = list(InstallationRepository.objects.values_list("pk", "updated_at").order_by("pk"))
    github.installation(1)
    github.repositories(1)
    with CaptureQueriesContext(connection) as ctx:
        outcome = installation_reconcile(installation_id=1)
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert outcome.seen and (outcome.added, outcome.removed) == (0, 0)
    assert writes == []
    assert {i.installation_id: i.updated_at for i in GitHubAppInstallation.objects.all()} == before
    assert list(InstallationRepository.objects.values_list("pk", "updated_at").order_by("pk")) == repos_before


def test_a_renamed_repository_is_the_one_row_written(github, ours):
    mock_github(github)
    installations_reconcile()
    github.installation(1)
    github.repositories(1, [(1296269, "octocat/Renamed")])
    with CaptureQueriesContext(connection) as ctx:
        installation_reconcile(installation_id=1)
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert len(writes) == 1 and "integrations_installationrepository" in writes[0]
    assert InstallationRepository.objects.get(github_repo_id=1296269).full_name == "octocat/Renamed"


def test_an_installations_error_is_recorded_on_it_and_cleared_once_it_reconciles(github, ours):
    github.mock.get(f"{API}/app/installations/5", json={"message": IP_ALLOW_LIST}, status=403)
    assert "IP allow list" in installation_reconcile(installation_id=5).failed
    assert "IP allow list" in GitHubAppInstallation.objects.get(installation_id=5).reconcile_error
    github.mock.replace(responses.GET, f"{API}/app/installations/5", json={"message": "Not Found"}, status=404)
    installation_reconcile(installation_id=5)
    assert GitHubAppInstallation.objects.get(installation_id=5).reconcile_error == ""


def repositories_with_etag(github, etag: str, repos: list[tuple[int, str]]) -> None:
    """``GET /installation/repositories``: 304 to a request naming ``etag``, else the list carrying ``etag``."""
    body = api_example("apps-list-repos-accessible-to-installation.json")
    template = body["repositories"][0]
    body["repositories"] = [{**template, "id": i, "full_name": n} for i, n in repos]
    body["total_count"] = len(repos)
    github.installation_token(1)

    def answer(request):
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, ""
        return 200, {"ETag": etag, "Content-Type": "application/json"}, json.dumps(body)

    github.mock.add_callback(responses.GET, f"{API}/installation/repositories", callback=answer)


def test_an_unchanged_repository_list_is_asked_conditionally_and_its_304_applies_nothing(github, ours):
    """GitHub: a 304 to a conditional request does not count against the primary rate limit. The second day's read
    names the first day's ETag; GitHub's 304 leaves the mirror as it is."""
    github.installation(1)
    repositories_with_etag(github, 'W/"day-one"', [(1296269, "octocat/Hello-World")])
    installation_reconcile(installation_id=1)
    first = [c.request for c in github.mock.calls if c.request.url.startswith(f"{API}/installation/repositories")]

    with CaptureQueriesContext(connection) as ctx:
        outcome = installation_reconcile(installation_id=1)

    asked = [c.request for c in github.mock.calls if c.request.url.startswith(f"{API}/installation/repositories")]
    assert "If-None-Match" not in first[0].headers
    assert asked[-1].headers["If-None-Match"] == 'W/"day-one"' and len(asked) == 2
    assert outcome.seen and (outcome.added, outcome.removed) == (0, 0)
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert list(InstallationRepository.objects.filter(removed_at=None).values_list("github_repo_id", flat=True)) == [
        1296269
    ]


def test_a_mirror_changed_since_the_last_answer_is_read_again_in_full(github, ours):
    """The ETag is trusted only while our mirror equals the answer it belongs to: a repository lost from the mirror
    (a wrong or lost event) is read again without ``If-None-Match`` and comes back."""
    github.installation(1)
    repositories_with_etag(github, 'W/"day-one"', [(1296269, "octocat/Hello-World")])
    installation_reconcile(installation_id=1)
    InstallationRepository.objects.filter(github_repo_id=1296269).delete()

    installation_reconcile(installation_id=1)

    asked = [c.request for c in github.mock.calls if c.request.url.startswith(f"{API}/installation/repositories")]
    assert "If-None-Match" not in asked[-1].headers
    assert InstallationRepository.objects.filter(github_repo_id=1296269, removed_at=None).exists()


def test_against_the_emulator_an_unchanged_day_costs_the_installation_no_rate_limit(github_app_settings, settings):
    """The emulator answers the second day's conditional read 304, which gives its rate-limit point back."""
    from github_app.emulator import EmulatorConfig, EmulatorServer

    with EmulatorServer(EmulatorConfig(port=0, scenario="demo")) as gh:
        settings.GITHUB_API_URL = settings.GITHUB_WEB_URL = gh.url
        settings.GITHUB_APP_ID, settings.GITHUB_APP_PRIVATE_KEY = str(gh.app.id), gh.app.private_key_pem
        settings.GITHUB_APP_CLIENT_ID = gh.app.client_id
        acme = gh.state.installation_for(gh.app, "acme") or gh.state.add_installation(
            gh.app, gh.state.account("acme"), "all", [], "octo-admin"
        )
        installation_reconcile(installation_id=acme.id)
        assert InstallationRepository.objects.filter(installation__installation_id=acme.id).count() == 3
        gh.state.budgets.clear()
        gh.state.request_counts.clear()

        outcome = installation_reconcile(installation_id=acme.id)

        assert outcome.seen and (outcome.added, outcome.removed) == (0, 0)
        assert gh.state.request_counts["/installation/repositories"] == 1
        assert gh.state.budget("core", f"installation:{acme.id}").used == 0
