"""A repository transferred between the team's two organizations, end to end against the GitHub emulator: its
``/_emulator/transfers`` sends the events GitHub sends to our live server, or (webhooks lost) the daily
reconciliation reads the new state; either way the tracking follows and the dashboard keeps every PR."""

from __future__ import annotations

import pytest

from apps.integrations.models import GitHubAppInstallation, ImportStatus, TrackedRepository
from apps.integrations.services.linking import installation_link_to_team
from apps.integrations.services.reconcile import installations_reconcile
from apps.integrations.services.tracking import repository_track
from apps.integrations.tests.conftest import emulator_control as control
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def emulator(live_emulator, settings):
    settings.IMPORT_HISTORY_DAYS = 0
    return live_emulator


@pytest.fixture
def two_organizations(emulator, team, admin_user, django_capture_on_commit_callbacks):
    """acme and acme-labs, each with the App on all repositories, both connected to the team; acme/infra tracked
    and its history imported. Returns acme/infra's tracking."""
    control(emulator, "/_emulator/accounts", {"login": "acme-labs", "type": "Organization", "admins": ["octo-admin"]})
    for account in ("acme", "acme-labs"):
        installed = control(emulator, "/_emulator/installations", {"account": account, "repositories": "all"})
        installation_link_to_team(installation_id=installed["id"], team=team, user=admin_user)
    infra = GitHubAppInstallation.objects.get(account_login="acme").repositories.get(full_name="acme/infra")
    with django_capture_on_commit_callbacks(execute=True):
        tracked = repository_track(team=team, github_repo_id=infra.github_repo_id)
    tracked.refresh_from_db()
    assert tracked.import_status == ImportStatus.IDLE and PullRequest.objects.filter(team=team).count() == 60
    return tracked


def assert_followed(team, tracked: TrackedRepository) -> None:
    row = TrackedRepository.objects.get(team=team, github_repo_id=tracked.github_repo_id)
    assert (row.is_active, row.full_name, row.installation.account_login) == (True, "acme-labs/infra", "acme-labs")
    assert set(PullRequest.objects.filter(team=team).values_list("github_repo", flat=True)) == {"acme-labs/infra"}


def test_a_transfer_sent_as_github_sends_it_keeps_the_tracking_and_the_history(emulator, team, two_organizations):
    sent = control(emulator, "/_emulator/transfers", {"repository": "acme/infra", "new_owner": "acme-labs"})
    assert sent["full_name"] == "acme-labs/infra" and sent["deliveries"]  # repository.transferred to acme-labs

    control(emulator, "/_emulator/activity", {"repository": "acme-labs/infra", "actions": ["open"]})

    assert_followed(team, two_organizations)
    assert PullRequest.objects.filter(team=team).count() == 61  # the next PR counts


def test_a_transfer_whose_webhooks_were_lost_is_repaired_by_reconciliation(
    emulator, team, two_organizations, django_capture_on_commit_callbacks
):
    control(emulator, "/_emulator/webhook-url", {"url": ""})  # GitHub's deliveries do not reach tformance
    control(emulator, "/_emulator/transfers", {"repository": "acme/infra", "new_owner": "acme-labs"})
    control(emulator, "/_emulator/pulls", {"repository": "acme-labs/infra", "reviews": 1})  # during the gap

    with django_capture_on_commit_callbacks(execute=True):
        installations_reconcile()

    assert_followed(team, two_organizations)
    assert PullRequest.objects.filter(team=team).count() == 61  # the gap, imported


def test_an_unsuspend_whose_webhook_was_lost_is_caught_up_by_reconciliation(
    emulator, team, two_organizations, django_capture_on_commit_callbacks
):
    acme = two_organizations.installation
    control(emulator, f"/_emulator/installations/{acme.installation_id}/suspend", {})  # delivered
    control(emulator, "/_emulator/pulls", {"repository": "acme/infra", "reviews": 1})  # while suspended
    control(emulator, "/_emulator/webhook-url", {"url": ""})
    control(emulator, f"/_emulator/installations/{acme.installation_id}/unsuspend", {})  # lost

    with django_capture_on_commit_callbacks(execute=True):
        installations_reconcile()

    acme.refresh_from_db()
    assert acme.status == "active"
    assert PullRequest.objects.filter(team=team).count() == 61
