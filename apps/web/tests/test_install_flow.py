"""Connecting a team to an installation: Connect → GitHub → callback, with proof of ownership on GitHub.

GitHub is mocked at the HTTP layer with the REST examples (``responses``); the webhook goes through the real
endpoint. The callback's ``installation_id`` is never trusted on its own.
"""

from __future__ import annotations

import time
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.integrations.models import (
    GitHubAppInstallation,
    InstallationStatus,
)
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)
from apps.teams.models import Membership, Role

pytestmark = pytest.mark.django_db

INSTALLATION = 957387  # installation/created.payload.json


def connect(client, team) -> str:
    """Click Connect; returns the state GitHub would send back."""
    response = client.post(f"/a/{team.slug}/integrations/github/connect/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://github.com/apps/tformance-test/installations/new"
    )
    return parse_qs(location.query)["state"][0]


def callback(client, state: str, installation_id: int = INSTALLATION, setup_action: str = "install", code="abc"):
    return client.get(
        "/integrations/github/callback/",
        {"code": code, "installation_id": installation_id, "setup_action": setup_action, "state": state},
    )


def mock_signed_in_as_the_account(github, login: str = "Codertocat", user_id: int = 21031067) -> None:
    """The sign-in code belongs to the personal account the installation is on (its owner)."""
    github.signed_in_as(login, user_id)


def linked_team_id(installation_id: int = INSTALLATION):
    return GitHubAppInstallation.objects.get(installation_id=installation_id).team_id


def test_callback_before_webhook_fetches_the_installation_and_links_it(
    admin_client, team, github, signed_webhook, github_payload
):
    state = connect(admin_client, team)
    mock_signed_in_as_the_account(github)
    github.installation(INSTALLATION, login="Codertocat", account_id=21031067)
    github.repositories(INSTALLATION, [(186853002, "Codertocat/Hello-World"), (186853007, "Codertocat/Space")])

    response = callback(admin_client, state)

    assert response.status_code == 302 and response["Location"] == f"/a/{team.slug}/integrations/github/"
    row = GitHubAppInstallation.objects.get(installation_id=INSTALLATION)
    assert row.team == team and row.account_login == "Codertocat" and row.linked_at is not None
    assert set(row.repositories.values_list("full_name", flat=True)) == {"Codertocat/Hello-World", "Codertocat/Space"}

    signed_webhook("installation", github_payload("installation/created.payload.json"))  # arrives late
    assert linked_team_id() == team.pk
    assert GitHubAppInstallation.objects.get(installation_id=INSTALLATION).status == InstallationStatus.ACTIVE


def test_webhook_before_callback_links_without_fetching(admin_client, team, github, signed_webhook, github_payload):
    signed_webhook("installation", github_payload("installation/created.payload.json"))
    assert linked_team_id() is None
    state = connect(admin_client, team)
    mock_signed_in_as_the_account(github)

    assert callback(admin_client, state).status_code == 302
    assert linked_team_id() == team.pk
    called = [c.request.url for c in github.mock.calls]
    assert not any("/app/installations/" in url for url in called)


def test_someone_elses_personal_installation_links_nothing(admin_client, team, github):
    state = connect(admin_client, team)
    github.signed_in_as("mona", 583231)
    github.installation(INSTALLATION, login="Codertocat", account_id=21031067)

    response = callback(admin_client, state)

    assert response.status_code == 403
    assert b"is not yours" in response.content and b"Ask Codertocat to connect it" in response.content
    assert not GitHubAppInstallation.objects.filter(installation_id=INSTALLATION).exists()


def test_a_replayed_state_is_refused(admin_client, team, github, signed_webhook, github_payload):
    signed_webhook("installation", github_payload("installation/created.payload.json"))
    state = connect(admin_client, team)
    mock_signed_in_as_the_account(github)
    assert callback(admin_client, state).status_code == 302
    GitHubAppInstallation.objects.update(team=None)

    response = callback(admin_client, state)
    assert response.status_code == 400 and b"already been used" in response.content
    assert linked_team_id() is None


def test_another_users_state_is_refused(client, admin_user, team, make_user, github):
    client.force_login(admin_user)
    state = connect(client, team)
    intruder = make_user("intruder@example.com")
    Membership.objects.create(team=team, user=intruder, role=Role.ADMIN)
    client.force_login(intruder)
    mock_signed_in_as_the_account(github)

    response = callback(client, state)
    assert response.status_code == 400 and b"another user" in response.content
    assert not GitHubAppInstallation.objects.exists()


def test_an_expired_state_is_refused(admin_client, team, github):
    state = connect(admin_client, team)
    mock_signed_in_as_the_account(github)
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 3601):
        response = callback(admin_client, state)
    assert response.status_code == 400 and b"expired" in response.content
    assert not GitHubAppInstallation.objects.exists()


def test_a_forged_state_is_refused(admin_client, team, github):
    response = callback(admin_client, "not-a-signed-state")
    assert response.status_code == 400
    assert not GitHubAppInstallation.objects.exists()


def test_team_b_cannot_claim_team_as_installation(client, team, other_team, github, signed_webhook, github_payload):
    signed_webhook("installation", github_payload("installation/created.payload.json"))
    GitHubAppInstallation.objects.update(team=team)
    client.force_login(Membership.objects.get(team=other_team).user)
    state = connect(client, other_team)
    mock_signed_in_as_the_account(github)

    response = callback(client, state)

    assert response.status_code == 403 and b"already connected to another tformance team" in response.content
    assert linked_team_id() == team.pk


def test_a_refused_oauth_code_renders_a_page_not_an_error(admin_client, team, github):
    state = connect(admin_client, team)
    github.oauth_code_refused()
    response = callback(admin_client, state)
    assert response.status_code == 403 and b"did not accept the sign-in" in response.content


def test_github_down_renders_a_page_not_an_error(admin_client, team, github):
    state = connect(admin_client, team)
    github.oauth_code()
    github.mock.get("https://api.github.com/user", status=503)
    response = callback(admin_client, state)
    assert response.status_code == 502 and b"try again" in response.content


def test_a_missing_installation_id_renders_a_page(admin_client, team, github):
    state = connect(admin_client, team)
    response = admin_client.get("/integrations/github/callback/", {"state": state, "code": "x"})
    assert response.status_code == 400


def test_an_install_request_awaiting_approval_says_so(admin_client):
    response = admin_client.get("/integrations/github/callback/", {"setup_action": "request", "code": "x"})
    assert response.status_code == 200 and b"Installation requested" in response.content


def test_the_callback_requires_signing_in(client):
    response = client.get("/integrations/github/callback/", {"installation_id": 1, "state": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_who_stopped_being_admin_cannot_finish_connecting(admin_client, admin_user, team, github):
    state = connect(admin_client, team)
    Membership.objects.filter(user=admin_user).update(role=Role.MEMBER)
    mock_signed_in_as_the_account(github)
    assert callback(admin_client, state).status_code == 403
    assert not GitHubAppInstallation.objects.exists()


def test_setup_action_update_refreshes_from_github(admin_client, team, github):
    InstallationFactory(
        installation_id=INSTALLATION, account_login="Codertocat", team=team, permissions={"metadata": "read"}
    )
    state = connect(admin_client, team)
    mock_signed_in_as_the_account(github)
    body = github.installation(INSTALLATION, login="Codertocat", account_id=21031067)
    github.repositories(INSTALLATION, [(186853002, "Codertocat/Hello-World")])

    assert callback(admin_client, state, setup_action="update").status_code == 302
    row = GitHubAppInstallation.objects.get(installation_id=INSTALLATION)
    assert row.permissions == body["permissions"] and row.team == team
    assert row.repositories.count() == 1


def test_reinstall_on_the_same_account_moves_tracked_repositories_to_the_new_installation(admin_client, team, github):
    old = InstallationFactory(
        installation_id=111, account_id=1, account_login="octocat", team=team, status=InstallationStatus.DELETED
    )
    InstallationRepositoryFactory(installation=old, github_repo_id=1296269, full_name="octocat/Hello-World")
    tracked = TrackedRepositoryFactory(
        team=team, installation=old, github_repo_id=1296269, full_name="octocat/Hello-World"
    )
    state = connect(admin_client, team)
    mock_signed_in_as_the_account(github, "octocat", 1)
    github.installation(222, login="octocat", account_id=1)
    github.repositories(222, [(1296269, "octocat/Hello-World")])

    assert callback(admin_client, state, installation_id=222).status_code == 302

    tracked.refresh_from_db()
    old.refresh_from_db()
    assert tracked.installation.installation_id == 222 and tracked.is_active
    assert old.team is None and old.status == InstallationStatus.DELETED
    assert linked_team_id(222) == team.pk


def test_members_cannot_connect_and_strangers_get_404(member_client, client, make_user, team):
    assert member_client.post(f"/a/{team.slug}/integrations/github/connect/").status_code == 403
    client.force_login(make_user("stranger@example.com"))
    assert client.post(f"/a/{team.slug}/integrations/github/connect/").status_code == 404


def test_connect_without_a_configured_app_explains_it(admin_client, team, settings):
    settings.GITHUB_APP_SLUG = ""
    response = admin_client.post(f"/a/{team.slug}/integrations/github/connect/", follow=True)
    assert b"not configured" in response.content


def test_a_new_installation_on_a_linked_account_waits_for_the_callback(signed_webhook, github_payload, team):
    """The link moves only through the callback (proof of who installed it), never on installation.created."""
    InstallationFactory(
        installation_id=111, account_id=21031067, account_login="Codertocat", team=team, status="deleted"
    )
    signed_webhook("installation", github_payload("installation/created.payload.json"))
    assert linked_team_id() is None
    assert linked_team_id(111) == team.pk
