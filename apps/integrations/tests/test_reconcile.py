"""Daily reconciliation against GitHub (mocked with the REST examples): lost events are repaired, a 404 means
deleted, and a rate-limited run — whatever call hits the limit — changes nothing."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.integrations.models import (
    GitHubAppInstallation,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
)
from apps.integrations.services.reconcile import installations_reconcile
from apps.integrations.tasks import reconcile_installations
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)
from github_app.tests.fixtures import api_example

pytestmark = pytest.mark.django_db

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
    assert TrackedRepository.objects.get().inactive_reason == "access removed"
    assert GitHubAppInstallation.objects.get(installation_id=5).status == InstallationStatus.DELETED

    again = snapshot()
    mock_github(github)
    installations_reconcile()
    assert snapshot() == again


@pytest.mark.parametrize("limited", ["list", "repositories", "installation"])
def test_a_rate_limited_run_changes_nothing(github, ours, limited):
    before = snapshot()
    if limited == "list":
        github.mock.get(f"{API}/app/installations", **RATE_LIMITED)
    else:
        github.mock.get(f"{API}/app/installations", json=api_example("apps-list-installations.json"))
        if limited == "repositories":
            github.installation_token(1)
            github.mock.get(f"{API}/installation/repositories", **RATE_LIMITED)
        else:
            github.repositories(1)
            github.mock.get(f"{API}/app/installations/5", **RATE_LIMITED)

    report = installations_reconcile()

    assert "RateLimited" in report.aborted
    assert snapshot() == before


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
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("reconcile_installations", stdout=StringIO())


def test_the_daily_task_runs_the_reconciliation(github, ours, settings):
    mock_github(github)
    assert reconcile_installations()["installations_deleted"] == 1
    assert "reconcile-installations" in settings.CELERY_BEAT_SCHEDULE
