"""Installation, installation_repositories, installation_target and authorization events, sent through the
real webhook endpoint: each one twice and out of order ends in the same state, and nothing is deleted."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.integrations.github import token_provider
from apps.integrations.models import (
    DeliveryStatus,
    GitHubAppInstallation,
    InactiveReason,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
    WebhookDelivery,
)
from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory

pytestmark = pytest.mark.django_db


def state_of(installation_id: int) -> dict:
    """Everything a user could notice about an installation, for comparing end states."""
    row = GitHubAppInstallation.objects.get(installation_id=installation_id)
    repos = sorted(
        (r.github_repo_id, r.full_name, r.private, r.archived, r.removed_at is not None)
        for r in InstallationRepository.objects.filter(installation=row)
    )
    tracked = sorted(
        (t.github_repo_id, t.full_name, t.is_active, t.inactive_reason)
        for t in TrackedRepository.objects.filter(installation=row)
    )
    return {
        "account": (row.account_id, row.account_login, row.account_type),
        "status": row.status,
        "selection": row.repository_selection,
        "permissions": row.permissions,
        "team": row.team_id,
        "repos": repos,
        "tracked": tracked,
    }


def send(signed_webhook, event: str, payload: dict) -> WebhookDelivery:
    response = signed_webhook(event, payload, delivery_id=None)
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.order_by("-pk").first()
    assert delivery.status == DeliveryStatus.PROCESSED, delivery.reason
    return delivery


def test_installation_created_mirrors_account_and_repositories_without_linking_a_team(signed_webhook, github_payload):
    payload = github_payload("installation/created.payload.json")
    send(signed_webhook, "installation", payload)
    first = state_of(957387)
    send(signed_webhook, "installation", payload)

    assert state_of(957387) == first
    assert first["account"] == (21031067, "Codertocat", "User")
    assert first["status"] == InstallationStatus.ACTIVE and first["team"] is None
    assert first["repos"] == [(186853002, "Codertocat/Hello-World", False, False, False)]


def test_deleted_before_created_ends_deleted_and_keeps_the_rows(signed_webhook, github_payload):
    deleted = github_payload("installation/deleted.payload.json")
    created = github_payload("installation/created.payload.json")
    created["installation"] = copy.deepcopy(deleted["installation"])

    send(signed_webhook, "installation", deleted)
    send(signed_webhook, "installation", created)
    send(signed_webhook, "installation", deleted)

    row = GitHubAppInstallation.objects.get(installation_id=2)
    assert row.status == InstallationStatus.DELETED and row.deleted_at is not None
    assert row.account_login == "octocat"


def test_deleted_keeps_team_tracked_repositories_and_drops_the_cached_token(
    signed_webhook, github_payload, github, team
):
    created = github_payload("installation/created.payload.json")
    send(signed_webhook, "installation", created)
    row = GitHubAppInstallation.objects.get(installation_id=957387)
    row.team = team
    row.save()
    TrackedRepositoryFactory(team=team, installation=row, github_repo_id=186853002, full_name="Codertocat/Hello-World")
    github.installation_token(957387)
    assert token_provider().token(957387)
    token_key = f"github_app:{settings.GITHUB_APP_ID}:installation_token:957387"
    assert cache.get(token_key)

    deleted = copy.deepcopy(created)
    deleted["action"] = "deleted"
    send(signed_webhook, "installation", deleted)

    after = state_of(957387)
    assert after["status"] == InstallationStatus.DELETED and after["team"] == team.pk
    assert after["tracked"] == [(186853002, "Codertocat/Hello-World", True, "")]
    assert cache.get(token_key) is None


def test_suspend_and_unsuspend_twice_each(signed_webhook, github_payload):
    suspend = github_payload("installation/suspend.payload.json")
    unsuspend = github_payload("installation/unsuspend.payload.json")

    send(signed_webhook, "installation", suspend)
    send(signed_webhook, "installation", suspend)
    row = GitHubAppInstallation.objects.get(installation_id=16598467)
    assert row.status == InstallationStatus.SUSPENDED and row.suspended_at is not None

    send(signed_webhook, "installation", unsuspend)
    send(signed_webhook, "installation", unsuspend)
    row.refresh_from_db()
    assert row.status == InstallationStatus.ACTIVE and row.suspended_at is None


def test_new_permissions_accepted_updates_permissions_and_events(signed_webhook, github_payload):
    send(signed_webhook, "installation", github_payload("installation/created.payload.json"))
    accepted = github_payload("installation/new_permissions_accepted.payload.json")
    send(signed_webhook, "installation", accepted)
    send(signed_webhook, "installation", accepted)

    row = GitHubAppInstallation.objects.get(installation_id=957387)
    assert row.permissions == accepted["installation"]["permissions"]
    assert row.events == accepted["installation"]["events"]
    assert row.repository_selection == "all"


def test_repositories_added_twice_mirror_once(signed_webhook, github_payload):
    added = github_payload("installation_repositories/added.payload.json")
    send(signed_webhook, "installation_repositories", added)
    send(signed_webhook, "installation_repositories", added)
    assert state_of(957387)["repos"] == [(186853007, "Codertocat/Space", False, False, False)]


def test_removed_tracked_repository_becomes_inactive_with_its_data_kept(signed_webhook, github_payload, team):
    removed = github_payload("installation_repositories/removed.payload.json")
    added = copy.deepcopy(removed)
    added["action"], added["repositories_added"], added["repositories_removed"] = (
        "added",
        removed["repositories_removed"],
        [],
    )
    send(signed_webhook, "installation_repositories", added)
    row = GitHubAppInstallation.objects.get(installation_id=2)
    TrackedRepositoryFactory(team=team, installation=row, github_repo_id=1296269, full_name="octocat/Hello-World")

    send(signed_webhook, "installation_repositories", removed)
    once = state_of(2)
    send(signed_webhook, "installation_repositories", removed)

    assert state_of(2) == once
    assert once["repos"] == [(1296269, "octocat/Hello-World", False, False, True)]
    assert once["tracked"] == [(1296269, "octocat/Hello-World", False, InactiveReason.ACCESS_REMOVED)]

    send(signed_webhook, "installation_repositories", added)  # access given back
    assert state_of(2)["tracked"] == [(1296269, "octocat/Hello-World", True, "")]


def test_removed_before_added_heals_the_missing_installation_and_remembers_the_removal(signed_webhook, github_payload):
    removed = github_payload("installation_repositories/removed.payload.json")
    send(signed_webhook, "installation_repositories", removed)
    send(signed_webhook, "installation_repositories", removed)

    healed = state_of(2)
    assert healed["account"] == (1, "octocat", "User")
    assert healed["repos"] == [(1296269, "octocat/Hello-World", False, False, True)]


def target_renamed(installation_id: int, account_id: int, old: str, new: str) -> dict:
    """No public example of installation_target exists; this follows GitHub's documented shape."""
    return {
        "action": "renamed",
        "account": {"id": account_id, "login": new, "type": "Organization", "avatar_url": "https://x/a.png"},
        "changes": {"login": {"from": old}},
        "target_type": "Organization",
        "installation": {"id": installation_id, "node_id": "x"},
        "sender": {"id": 1, "login": "octocat", "type": "User"},
    }


def test_account_rename_renames_the_installation_and_its_repositories(signed_webhook, github_payload, team):
    send(signed_webhook, "installation", github_payload("installation/created.payload.json"))
    row = GitHubAppInstallation.objects.get(installation_id=957387)
    TrackedRepositoryFactory(team=team, installation=row, github_repo_id=186853002, full_name="Codertocat/Hello-World")
    renamed = target_renamed(957387, 21031067, "Codertocat", "Codercat")
    send(signed_webhook, "installation_target", renamed)
    once = state_of(957387)
    send(signed_webhook, "installation_target", renamed)

    assert state_of(957387) == once
    assert once["account"][1] == "Codercat"
    assert once["repos"][0][1] == "Codercat/Hello-World"
    assert once["tracked"][0][1] == "Codercat/Hello-World"


def test_account_rename_for_an_unknown_installation_creates_it(signed_webhook):
    send(signed_webhook, "installation_target", target_renamed(77, 88, "old-org", "new-org"))
    row = GitHubAppInstallation.objects.get(installation_id=77)
    assert (row.account_id, row.account_login) == (88, "new-org")


def test_account_rename_keeps_the_account_type_an_installation_event_recorded(signed_webhook):
    InstallationFactory(installation_id=77, account_id=88, account_login="old-org", account_type="Organization")
    payload = target_renamed(77, 88, "old-org", "new-org")
    payload["account"]["type"] = "User"  # a back-fill would write this; a known account keeps its recorded type
    send(signed_webhook, "installation_target", payload)
    row = GitHubAppInstallation.objects.get(installation_id=77)
    assert (row.account_login, row.account_type) == ("new-org", "Organization")


def test_authorization_revoked_is_processed_and_stores_nothing(signed_webhook, github_payload):
    before = GitHubAppInstallation.objects.count()
    delivery = send(
        signed_webhook, "github_app_authorization", github_payload("github_app_authorization/revoked.payload.json")
    )
    assert delivery.event == "github_app_authorization"
    assert GitHubAppInstallation.objects.count() == before


def test_an_unknown_installation_action_is_ignored_not_failed(signed_webhook, github_payload):
    payload = github_payload("installation/created.payload.json")
    payload["action"] = "something_new"
    signed_webhook("installation", payload)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.IGNORED
