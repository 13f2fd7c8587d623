"""The team's GitHub page: what members see, what only admins can do, and Disconnect keeping the data."""

from __future__ import annotations

import pytest

from apps.integrations.models import (
    GitHubAppInstallation,
    InactiveReason,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
)
from apps.integrations.selectors import installation_team_for_event
from apps.integrations.services.registration import app_permissions
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(team, github_app_settings):
    row = InstallationFactory(
        installation_id=42,
        account_id=9,
        account_login="acme-org",
        account_type="Organization",
        repository_selection="selected",
        permissions={"metadata": "read", "pull_requests": "read"},
        team=team,
    )
    InstallationRepositoryFactory(installation=row, github_repo_id=1, full_name="acme-org/api")
    InstallationRepositoryFactory(installation=row, github_repo_id=2, full_name="acme-org/web")
    TrackedRepositoryFactory(team=team, installation=row, github_repo_id=1, full_name="acme-org/api")
    return row


def test_members_see_the_connection_but_no_admin_buttons(member_client, team, linked):
    response = member_client.get(f"/a/{team.slug}/integrations/github/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "acme-org" in html and "Selected repositories · 2 reachable" in html
    assert "pull_requests: read" in html
    assert "https://github.com/organizations/acme-org/settings/installations/42" in html
    assert "Disconnect" not in html and "Connect GitHub" not in html


def test_admins_see_connect_and_disconnect_and_what_disconnect_does(admin_client, team, linked):
    html = admin_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    assert "Connect another GitHub account" in html and "Disconnect" in html
    assert 'class="secondary">Connect another' in html  # once connected, connecting is no longer the main action


def test_after_connecting_choosing_repositories_is_the_primary_action(admin_client, team, linked):
    TrackedRepository.objects.all().delete()
    html = admin_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    assert f'class="button primary" href="/a/{team.slug}/integrations/github/repos/"' in html
    assert "not</strong> uninstall the App on GitHub" in html


def test_a_user_account_links_to_its_personal_settings(admin_client, team, linked):
    GitHubAppInstallation.objects.update(account_type="User")
    html = admin_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    assert "https://github.com/settings/installations/42" in html


def test_the_team_nav_links_to_the_github_page(admin_client, team):
    html = admin_client.get(f"/a/{team.slug}/").content.decode()
    assert f'href="/a/{team.slug}/integrations/github/"' in html


def test_disconnect_unlinks_keeps_data_and_stops_routing_events(admin_client, team, linked):
    assert installation_team_for_event(42) == team
    response = admin_client.post(f"/a/{team.slug}/integrations/github/42/disconnect/", follow=True)
    assert b"still installed on GitHub" in response.content

    linked.refresh_from_db()
    assert linked.team is None
    assert installation_team_for_event(42) is None
    assert InstallationRepository.objects.filter(installation=linked).count() == 2
    tracked = TrackedRepository.objects.get()
    assert (tracked.is_active, tracked.inactive_reason) == (False, InactiveReason.DISCONNECTED)


def test_members_cannot_disconnect(member_client, team, linked):
    assert member_client.post(f"/a/{team.slug}/integrations/github/42/disconnect/").status_code == 403
    linked.refresh_from_db()
    assert linked.team == team


def test_an_admin_cannot_disconnect_another_teams_installation(client, team, other_team, linked):
    from apps.teams.models import Membership

    client.force_login(Membership.objects.get(team=other_team).user)
    response = client.post(f"/a/{other_team.slug}/integrations/github/42/disconnect/", follow=True)
    assert b"not connected to this team" in response.content
    linked.refresh_from_db()
    assert linked.team == team


def test_strangers_get_404(client, make_user, team, linked):
    client.force_login(make_user("stranger@example.com"))
    assert client.get(f"/a/{team.slug}/integrations/github/").status_code == 404
    assert client.post(f"/a/{team.slug}/integrations/github/42/disconnect/").status_code == 404


def test_a_permission_the_app_needs_and_the_installation_has_not_accepted_is_named_with_where_to_accept(
    member_client, team, linked
):
    """``linked`` was granted metadata and pull_requests only; the manifest also asks for members (read)."""
    assert app_permissions()["members"] == "read"
    html = member_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    warning = html.split('id="permissions-42">')[1].split("</div>")[0]
    assert "<strong>Members</strong> (read)" in warning
    assert "Pull requests" not in warning and "Metadata" not in warning  # granted
    assert 'href="https://github.com/organizations/acme-org/settings/installations/42"' in warning


def test_a_higher_level_grants_what_a_lower_one_asks_and_nothing_missing_shows_nothing(member_client, team, linked):
    linked.permissions = {name: "write" for name in app_permissions()}
    linked.save()
    html = member_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    assert 'id="permissions-42"' not in html


def test_an_uninstalled_installation_asks_for_nothing(member_client, team, linked):
    GitHubAppInstallation.objects.update(status=InstallationStatus.DELETED)
    html = member_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    assert 'id="permissions-42"' not in html and "uninstalled" in html


def test_accepting_on_github_clears_the_request_once_its_event_arrives(
    member_client, team, signed_webhook, github_payload
):
    accepted = github_payload("installation/new_permissions_accepted.payload.json")
    installation_id = accepted["installation"]["id"]
    InstallationFactory(
        installation_id=installation_id,
        account_login=accepted["installation"]["account"]["login"],
        permissions={"metadata": "read"},
        team=team,
    )
    page = f"/a/{team.slug}/integrations/github/"
    assert f'id="permissions-{installation_id}"' in member_client.get(page).content.decode()

    accepted["installation"]["permissions"] = {**app_permissions(), "issues": "read"}
    assert signed_webhook("installation", accepted).status_code == 202

    assert f'id="permissions-{installation_id}"' not in member_client.get(page).content.decode()
    assert GitHubAppInstallation.objects.get(installation_id=installation_id).team == team
