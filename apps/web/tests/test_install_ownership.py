"""Who may connect an installation (invariant 3): the account itself, an active owner (admin) of the
organization, or the user who installed the App. Everyone else is refused with a page saying why and what to do;
nothing is linked and the installation stays free for its owners. Both orders: webhook first, callback first.

GitHub is mocked at the HTTP layer with ``responses``; the payloads and answers are the project's own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from apps.integrations.models import GitHubAppInstallation
from apps.integrations.tests.payloads import installation_event, installation_object
from apps.teams.models import Membership, Role

pytestmark = pytest.mark.django_db

API = "https://api.github.com"
ACME_INSTALLATION, ACME_ID = 4401, 3001
OCTO_ADMIN, DEV_LEAD, BOB, OUTSIDER = ("octo-admin", 11), ("dev-lead", 12), ("bob", 13), ("mallory", 14)


class GitHub:
    """The GitHub answers one callback needs, registered on a ``responses`` mock."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock

    def sign_in(self, who: tuple[str, int]) -> None:
        self.mock.post("https://github.com/login/oauth/access_token", json={"access_token": f"ghu_{who[0]}"})
        self.mock.get(f"{API}/user", json={"login": who[0], "id": who[1], "type": "User"})

    def membership(self, org: str, role: str | None, state: str = "active") -> None:
        url = f"{API}/user/memberships/orgs/{org}"
        if role is None:
            self.mock.get(url, status=404, json={"message": "Not Found"})
        else:
            self.mock.get(url, json={"state": state, "role": role, "organization": {"login": org}, "user": {}})

    def installation(self, installation_id: int, *, login: str, account_id: int, kind: str = "Organization") -> None:
        """``GET /app/installations/{id}``, a token and ``GET /installation/repositories`` (one repository)."""
        body = installation_object(installation_id, login=login, account_id=account_id, kind=kind)
        self.mock.get(f"{API}/app/installations/{installation_id}", json=body)
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.mock.post(
            f"{API}/app/installations/{installation_id}/access_tokens",
            json={"token": "ghs_installation", "expires_at": expires},
            status=201,
        )
        repos = [{"id": 7001, "full_name": f"{login}/api", "private": True}]
        self.mock.get(f"{API}/installation/repositories", json={"total_count": 1, "repositories": repos})

    def user_installations_list_everything(self) -> None:
        """What GitHub's ``/user/installations`` shows any member; it must never be what decides."""
        body = {"total_count": 1, "installations": [{"id": ACME_INSTALLATION, "account": {"login": "acme"}}]}
        self.mock.get(f"{API}/user/installations", json=body)


@pytest.fixture
def github(github_app_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        gh = GitHub(mock)
        gh.user_installations_list_everything()
        yield gh


def connect(client, team) -> str:
    response = client.post(f"/a/{team.slug}/integrations/github/connect/")
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def callback(client, team, installation_id: int = ACME_INSTALLATION, setup_action: str = "install"):
    state = connect(client, team)
    return client.get(
        "/integrations/github/callback/",
        {"code": "c0de", "installation_id": installation_id, "setup_action": setup_action, "state": state},
    )


def acme_installed_by(signed_webhook, who: tuple[str, int]) -> None:
    signed_webhook(
        "installation",
        installation_event("created", ACME_INSTALLATION, login="acme", account_id=ACME_ID, sender=who),
    )


def acme_team():
    row = GitHubAppInstallation.objects.filter(installation_id=ACME_INSTALLATION).first()
    return row.team if row else None


# --- who is accepted ------------------------------------------------------------------------------------------------


def test_an_org_admin_connects_before_the_webhook_arrives(admin_client, team, github, signed_webhook):
    github.sign_in(OCTO_ADMIN)
    github.membership("acme", "admin")
    github.installation(ACME_INSTALLATION, login="acme", account_id=ACME_ID)

    response = callback(admin_client, team)

    assert response.status_code == 302 and response["Location"] == f"/a/{team.slug}/integrations/github/"
    assert acme_team() == team
    acme_installed_by(signed_webhook, OCTO_ADMIN)  # arrives late, changes nothing
    assert acme_team() == team


def test_an_org_admin_connects_after_the_webhook(admin_client, team, github, signed_webhook):
    acme_installed_by(signed_webhook, DEV_LEAD)
    github.sign_in(OCTO_ADMIN)
    github.membership("acme", "admin")

    assert callback(admin_client, team).status_code == 302
    assert acme_team() == team


def test_the_installer_connects_without_being_an_org_owner(admin_client, team, github, signed_webhook):
    acme_installed_by(signed_webhook, DEV_LEAD)
    github.sign_in(DEV_LEAD)
    github.membership("acme", "member")

    assert callback(admin_client, team).status_code == 302
    row = GitHubAppInstallation.objects.get(installation_id=ACME_INSTALLATION)
    assert row.team == team and (row.installed_by_login, row.installed_by_github_id) == DEV_LEAD


def test_a_former_installer_who_left_the_organization_is_refused(admin_client, team, github, signed_webhook):
    """dev-lead installed tformance on acme, then left acme (membership 404): installing once is not owning."""
    acme_installed_by(signed_webhook, DEV_LEAD)
    github.sign_in(DEV_LEAD)
    github.membership("acme", None)

    response = callback(admin_client, team)

    assert response.status_code == 403
    assert "dev-lead installed tformance on acme but is no longer an active member" in response.content.decode()
    assert acme_team() is None


def test_a_revoked_authorization_ends_the_installer_claim(admin_client, team, github, signed_webhook):
    """dev-lead installed tformance, then revoked their authorization of the App: still a plain member of acme,
    they can no longer connect it (an owner still can)."""
    acme_installed_by(signed_webhook, DEV_LEAD)
    revoked = {"action": "revoked", "sender": {"login": DEV_LEAD[0], "id": DEV_LEAD[1], "type": "User"}}
    assert signed_webhook("github_app_authorization", revoked).status_code == 202
    github.sign_in(DEV_LEAD)
    github.membership("acme", "member")

    response = callback(admin_client, team)

    assert response.status_code == 403 and "not one of its owners" in response.content.decode()
    assert acme_team() is None


def test_the_account_itself_connects_its_personal_installation(admin_client, team, github):
    github.sign_in(("mona", 21))
    github.installation(5501, login="mona", account_id=21, kind="User")

    assert callback(admin_client, team, installation_id=5501).status_code == 302
    assert GitHubAppInstallation.objects.get(installation_id=5501).team == team


# --- who is refused -------------------------------------------------------------------------------------------------


def test_a_plain_member_is_refused_with_an_explanation(admin_client, team, github, signed_webhook):
    acme_installed_by(signed_webhook, OCTO_ADMIN)
    github.sign_in(BOB)
    github.membership("acme", "member")

    response = callback(admin_client, team)

    assert response.status_code == 403
    page = response.content.decode()
    assert "bob is a member of acme, but not one of its owners" in page
    assert "Ask an owner of acme to connect it" in page
    assert acme_team() is None
    assert not any(c.request.url.startswith(f"{API}/user/installations") for c in github.mock.calls)


def test_a_member_before_the_webhook_is_refused_and_nothing_is_stored(admin_client, team, github):
    github.sign_in(BOB)
    github.membership("acme", "member")
    github.installation(ACME_INSTALLATION, login="acme", account_id=ACME_ID)

    response = callback(admin_client, team)

    assert response.status_code == 403 and b"Ask an owner of acme" in response.content
    assert not GitHubAppInstallation.objects.filter(installation_id=ACME_INSTALLATION).exists()


def test_the_admin_connects_after_a_member_was_refused(client, make_user, team, other_team, github, signed_webhook):
    """The member's own team tried first; the installation stayed free, so the owner's team gets it."""
    squatter = Membership.objects.get(team=other_team, role=Role.ADMIN).user
    client.force_login(squatter)
    github.sign_in(BOB)
    github.membership("acme", "member")
    github.installation(ACME_INSTALLATION, login="acme", account_id=ACME_ID)
    assert callback(client, other_team).status_code == 403
    acme_installed_by(signed_webhook, OCTO_ADMIN)

    client.force_login(Membership.objects.get(team=team, role=Role.ADMIN).user)
    github.mock.replace(responses.GET, f"{API}/user", json={"login": "octo-admin", "id": 11, "type": "User"})
    github.mock.replace(
        responses.GET,
        f"{API}/user/memberships/orgs/acme",
        json={"state": "active", "role": "admin", "organization": {"login": "acme"}, "user": {}},
    )

    assert callback(client, team).status_code == 302
    assert acme_team() == team


@pytest.mark.parametrize(
    ("role", "state", "says"),
    [(None, "", "is not an owner of the GitHub organization acme"), ("admin", "pending", "not an owner")],
)
def test_outsiders_and_pending_owners_are_refused(admin_client, team, github, signed_webhook, role, state, says):
    acme_installed_by(signed_webhook, OCTO_ADMIN)
    github.sign_in(OUTSIDER)
    github.membership("acme", role, state=state or "active")

    response = callback(admin_client, team)

    assert response.status_code == 403 and says in response.content.decode()
    assert acme_team() is None


def test_github_refusing_the_membership_check_is_a_page_not_an_error(admin_client, team, github, signed_webhook):
    acme_installed_by(signed_webhook, OCTO_ADMIN)
    github.sign_in(BOB)
    github.mock.get(f"{API}/user/memberships/orgs/acme", status=403, json={"message": "Resource not accessible"})

    response = callback(admin_client, team)

    assert response.status_code == 502 and b"try again" in response.content
    assert acme_team() is None


# --- the record on the integration page -----------------------------------------------------------------------------


def test_the_integration_page_shows_who_connected_and_disconnected_and_when(
    admin_client, admin_user, team, other_team, github, signed_webhook, client, make_user
):
    acme_installed_by(signed_webhook, OCTO_ADMIN)
    github.sign_in(OCTO_ADMIN)
    github.membership("acme", "admin")
    assert callback(admin_client, team).status_code == 302
    admin_client.post(f"/a/{team.slug}/integrations/github/{ACME_INSTALLATION}/disconnect/")

    page = admin_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    history = page[page.index('id="connection-history"') :]
    rows = history.split("<tr>")[2:]  # header first, then newest first
    assert "Disconnected" in rows[0] and admin_user.email in rows[0] and "acme" in rows[0]
    assert "Connected" in rows[1] and admin_user.email in rows[1] and "GitHub octo-admin (installer)" in rows[1]
    assert len(rows) == 2

    other_admin = Membership.objects.get(team=other_team, role=Role.ADMIN).user
    client.force_login(other_admin)
    assert 'id="connection-history"' not in client.get(f"/a/{other_team.slug}/integrations/github/").content.decode()


# --- Connect an existing installation (the reconnect path) -----------------------------------------------------------


def claim_sign_in(client, team):
    """Start "Connect an existing installation" and come back from GitHub's sign-in with a code."""
    start = client.post(f"/a/{team.slug}/integrations/github/claim/start/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    return client.get("/integrations/github/callback/", {"code": "c0de", "state": state})


def test_claiming_offers_only_the_installations_the_user_owns(admin_client, team, github, signed_webhook):
    """GET /user/installations lists acme and globex to dev-lead; dev-lead installed acme and is still a member,
    and is a plain member of globex: acme is offered, globex is shown as not theirs, and acme gets connected."""
    acme_installed_by(signed_webhook, DEV_LEAD)
    github.sign_in(DEV_LEAD)
    github.membership("acme", "member")
    github.membership("globex", "member")
    listed = [
        installation_object(ACME_INSTALLATION, login="acme", account_id=ACME_ID, kind="Organization"),
        installation_object(4402, login="globex", account_id=3002, kind="Organization"),
    ]
    github.mock.replace(responses.GET, f"{API}/user/installations", json={"total_count": 2, "installations": listed})
    github.installation(ACME_INSTALLATION, login="acme", account_id=ACME_ID)
    github.installation(4402, login="globex", account_id=3002)  # not in our mirror: GitHub describes it

    page = claim_sign_in(admin_client, team).content.decode()

    assert f'id="claim-{ACME_INSTALLATION}"' in page and 'id="claim-4402"' not in page
    assert "globex: cannot be connected by you" in page
    choice = page.split('name="choice" value="')[1].split('"')[0]
    forged = admin_client.post(
        f"/a/{team.slug}/integrations/github/claim/", {"choice": choice, "installation_id": 4402}
    )
    assert forged.status_code == 302 and acme_team() is None  # refused, and the single-use choice is spent
    page = claim_sign_in(admin_client, team).content.decode()
    choice = page.split('name="choice" value="')[1].split('"')[0]
    claimed = admin_client.post(
        f"/a/{team.slug}/integrations/github/claim/", {"choice": choice, "installation_id": ACME_INSTALLATION}
    )
    assert claimed.status_code == 302 and acme_team() == team


def test_a_former_installer_is_offered_nothing_to_claim(admin_client, team, github, signed_webhook):
    acme_installed_by(signed_webhook, DEV_LEAD)
    github.sign_in(DEV_LEAD)
    github.membership("acme", None)

    page = claim_sign_in(admin_client, team).content.decode()

    assert f'id="claim-{ACME_INSTALLATION}"' not in page and "acme: cannot be connected by you" in page
