"""End to end against the GitHub emulator: Connect → GitHub's install page → installation.created webhook to
our live server → callback proving access with the user's code → team linked, repositories mirrored."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from apps.integrations.models import GitHubAppInstallation
from github_app.emulator import EmulatorConfig, EmulatorServer


@pytest.fixture
def emulator(live_server, settings):
    config = EmulatorConfig(
        port=0,
        scenario="demo",
        webhook_url=live_server.url + "/webhooks/github/",
        setup_url=live_server.url + "/integrations/github/callback/",
    )
    with EmulatorServer(config) as gh:
        settings.GITHUB_API_URL = settings.GITHUB_WEB_URL = gh.url
        settings.GITHUB_APP_ID, settings.GITHUB_APP_SLUG = str(config.app_id), config.slug
        settings.GITHUB_APP_CLIENT_ID, settings.GITHUB_APP_CLIENT_SECRET = config.client_id, config.client_secret
        settings.GITHUB_APP_PRIVATE_KEY = gh.app.private_key_pem
        settings.GITHUB_APP_WEBHOOK_SECRET = config.webhook_secret
        yield gh


def install_on_github(install_url: str, *, user: str, account: str) -> str:
    """Submit the emulator's install page as the user would; returns where GitHub sends the browser."""
    state = parse_qs(urlsplit(install_url).query)["state"][0]
    response = requests.post(
        install_url,
        data={"state": state, "user": user, "account": account, "repository_selection": "all"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text
    return response.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_connecting_through_the_emulator_links_the_team(emulator, admin_client, team):
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    callback = install_on_github(connect["Location"], user="octo-admin", account="acme")

    target = urlsplit(callback)
    response = admin_client.get(f"{target.path}?{target.query}")

    assert response.status_code == 302, response.content
    row = GitHubAppInstallation.objects.get(account_login="acme")
    assert row.team == team
    assert set(row.repositories.values_list("full_name", flat=True)) >= {"acme/api", "acme/web", "acme/infra"}


@pytest.mark.django_db(transaction=True)
def test_an_outsider_cannot_link_someone_elses_installation_through_the_emulator(emulator, admin_client, team):
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    acme_callback = urlsplit(install_on_github(connect["Location"], user="octo-admin", account="acme"))
    acme_id = parse_qs(acme_callback.query)["installation_id"][0]

    # mona installs on her own account, then swaps in acme's installation id
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    mona = urlsplit(install_on_github(connect["Location"], user="mona", account="mona"))
    params = {k: v[0] for k, v in parse_qs(mona.query).items()}
    params["installation_id"] = acme_id
    response = admin_client.get(mona.path, params)

    assert response.status_code == 403 and b"is not an owner of the GitHub organization acme" in response.content
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).team is None


def sign_in_and_return(gh, *, connect_location: str, user: str, installation_id: str) -> str:
    """A GitHub user signs in to the App (GitHub's authorize page) and is sent to tformance's callback for
    ``installation_id``: the forged return of someone who can see the installation but does not own it."""
    state = parse_qs(urlsplit(connect_location).query)["state"][0]
    callback = f"{gh.app.setup_url}?installation_id={installation_id}&setup_action=install"
    response = requests.post(
        f"{gh.url}/login/oauth/authorize",
        params={"client_id": gh.app.client_id},
        data={"user": user, "redirect_uri": callback, "state": state},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_plain_member_is_refused_and_the_owner_connects_afterwards(emulator, client, make_user, team, other_team):
    """alice-chen is a plain member of acme: she sees acme's installation in /user/installations, which used to be
    enough. Her team is refused with an explanation; acme's owner then connects it to his team."""
    from apps.teams.models import Membership, Role

    owner_admin = Membership.objects.get(team=team, role=Role.ADMIN).user
    client.force_login(owner_admin)
    connect = client.post(f"/a/{team.slug}/integrations/github/connect/")
    # The owner installs on acme but leaves before GitHub sends him back: the installation exists, free.
    acme_callback = urlsplit(install_on_github(connect["Location"], user="octo-admin", account="acme"))
    acme_id = parse_qs(acme_callback.query)["installation_id"][0]

    client.force_login(Membership.objects.get(team=other_team, role=Role.ADMIN).user)
    connect = client.post(f"/a/{other_team.slug}/integrations/github/connect/")
    forged = urlsplit(
        sign_in_and_return(emulator, connect_location=connect["Location"], user="alice-chen", installation_id=acme_id)
    )
    refused = client.get(f"{forged.path}?{forged.query}")

    assert refused.status_code == 403
    assert b"alice-chen is a member of acme, but not one of its owners" in refused.content
    assert b"Ask an owner of acme to connect it" in refused.content
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).team is None

    client.force_login(owner_admin)
    connect = client.post(f"/a/{team.slug}/integrations/github/connect/")
    back = urlsplit(
        sign_in_and_return(emulator, connect_location=connect["Location"], user="octo-admin", installation_id=acme_id)
    )
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).team == team


@pytest.mark.django_db(transaction=True)
def test_a_personal_account_connects_its_own_installation(emulator, admin_client, team):
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    back = urlsplit(install_on_github(connect["Location"], user="mona", account="mona"))
    assert admin_client.get(f"{back.path}?{back.query}").status_code == 302
    assert GitHubAppInstallation.objects.get(account_login="mona").team == team


@pytest.mark.django_db(transaction=True)
def test_an_org_owner_who_did_not_install_connects(emulator, admin_client, team):
    """octo-admin installs; erin-kim, made a second owner of acme on GitHub, connects it (membership: admin)."""
    emulator.state.add_account("acme", "Organization", admins=["erin-kim"])
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    acme_id = parse_qs(urlsplit(install_on_github(connect["Location"], user="octo-admin", account="acme")).query)[
        "installation_id"
    ][0]

    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    back = urlsplit(
        sign_in_and_return(emulator, connect_location=connect["Location"], user="erin-kim", installation_id=acme_id)
    )
    assert admin_client.get(f"{back.path}?{back.query}").status_code == 302
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).team == team
    from apps.integrations.models import InstallationConnectionEvent

    assert InstallationConnectionEvent.objects.get(team=team).how == "organization admin"


@pytest.mark.django_db(transaction=True)
def test_an_installer_who_left_the_organization_cannot_connect_it(emulator, admin_client, team):
    """erin-kim, an owner of acme, installs tformance there and leaves acme before connecting it: GitHub answers
    her membership with 404, so her sign-in no longer proves ownership."""
    emulator.state.add_account("acme", "Organization", admins=["erin-kim"])
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    acme_id = parse_qs(urlsplit(install_on_github(connect["Location"], user="erin-kim", account="acme")).query)[
        "installation_id"
    ][0]
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).installed_by_login == "erin-kim"
    requests.post(f"{emulator.url}/_emulator/accounts/acme/leave", json={"login": "erin-kim"}, timeout=10)

    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    back = urlsplit(
        sign_in_and_return(emulator, connect_location=connect["Location"], user="erin-kim", installation_id=acme_id)
    )
    response = admin_client.get(f"{back.path}?{back.query}")

    assert response.status_code == 403 and b"no longer an active member" in response.content
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).team is None


@pytest.mark.django_db(transaction=True)
def test_an_installer_who_revoked_the_app_cannot_connect_it(emulator, admin_client, team):
    """erin-kim installs on acme, is made a plain member, and revokes her authorization of the App (GitHub sends
    github_app_authorization.revoked): signing in again, she is a plain member and is refused."""
    emulator.state.add_account("acme", "Organization", admins=["erin-kim"])
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    acme_id = parse_qs(urlsplit(install_on_github(connect["Location"], user="erin-kim", account="acme")).query)[
        "installation_id"
    ][0]
    acme = emulator.state.account("acme")
    acme.admins.discard("erin-kim")
    acme.members.add("erin-kim")
    revoked = requests.post(f"{emulator.url}/_emulator/authorizations/revoke", json={"login": "erin-kim"}, timeout=10)
    assert revoked.json()["delivery"]
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).installed_by_github_id is None

    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    back = urlsplit(
        sign_in_and_return(emulator, connect_location=connect["Location"], user="erin-kim", installation_id=acme_id)
    )
    response = admin_client.get(f"{back.path}?{back.query}")

    assert (
        response.status_code == 403 and b"erin-kim is a member of acme, but not one of its owners" in response.content
    )
    assert GitHubAppInstallation.objects.get(installation_id=int(acme_id)).team is None


def sign_in_with_github(location: str, *, user: str) -> str:
    """Submit GitHub's authorize page (the OAuth web flow) as ``user``; returns where GitHub sends the browser."""
    target = urlsplit(location)
    assert target.path == "/login/oauth/authorize"
    response = requests.post(
        f"{target.scheme}://{target.netloc}{target.path}?{target.query}",
        data={"user": user, **{k: v[0] for k, v in parse_qs(target.query).items()}},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_team_that_disconnected_reconnects_by_claiming_its_installation(emulator, admin_client, team):
    """GitHub never returns from its install page for an account that already has the App (OAuth during
    installation on), so the admin reconnects by signing in with GitHub and claiming the installation."""
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    first = urlsplit(install_on_github(connect["Location"], user="octo-admin", account="acme"))
    assert admin_client.get(f"{first.path}?{first.query}").status_code == 302
    acme = GitHubAppInstallation.objects.get(account_login="acme")
    admin_client.post(f"/a/{team.slug}/integrations/github/{acme.installation_id}/disconnect/")

    # The install page for acme again: GitHub saves and keeps the browser; nothing comes back to tformance.
    connect = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    state = parse_qs(urlsplit(connect["Location"]).query)["state"][0]
    stays = requests.post(
        connect["Location"],
        data={"state": state, "user": "octo-admin", "account": "acme", "repository_selection": "all"},
        allow_redirects=False,
        timeout=10,
    )
    assert stays.status_code == 200 and "Location" not in stays.headers

    page = admin_client.get(f"/a/{team.slug}/integrations/github/").content.decode()
    assert "Connect an existing installation" in page
    start = admin_client.post(f"/a/{team.slug}/integrations/github/claim/start/")
    back = urlsplit(sign_in_with_github(start["Location"], user="octo-admin"))
    claim_page = admin_client.get(f"{back.path}?{back.query}")
    assert claim_page.status_code == 200
    html = claim_page.content.decode()
    assert f'id="claim-{acme.installation_id}"' in html and "Connect acme" in html
    choice = html.split('name="choice" value="')[1].split('"')[0]

    claimed = admin_client.post(
        f"/a/{team.slug}/integrations/github/claim/", {"choice": choice, "installation_id": acme.installation_id}
    )

    assert claimed.status_code == 302
    acme.refresh_from_db()
    assert acme.team == team
    from apps.integrations.models import InstallationConnectionEvent

    latest = InstallationConnectionEvent.objects.filter(team=team).order_by("-id").first()
    assert (latest.action, latest.github_login) == ("connected", "octo-admin")


@pytest.mark.django_db(transaction=True)
def test_a_plain_member_sees_the_installation_but_cannot_claim_it(emulator, client, team, other_team):
    """alice-chen, a plain member of acme, sees acme's installation in /user/installations: the claim page says she
    cannot connect it, and a forged claim of its id is refused."""
    from apps.teams.models import Membership, Role

    client.force_login(Membership.objects.get(team=team, role=Role.ADMIN).user)
    connect = client.post(f"/a/{team.slug}/integrations/github/connect/")
    acme_id = int(
        parse_qs(urlsplit(install_on_github(connect["Location"], user="octo-admin", account="acme")).query)[
            "installation_id"
        ][0]
    )

    client.force_login(Membership.objects.get(team=other_team, role=Role.ADMIN).user)
    connect = client.post(f"/a/{other_team.slug}/integrations/github/connect/")
    install_on_github(connect["Location"], user="alice-chen", account="alice-chen")  # hers: she may claim it
    start = client.post(f"/a/{other_team.slug}/integrations/github/claim/start/")
    back = urlsplit(sign_in_with_github(start["Location"], user="alice-chen"))
    html = client.get(f"{back.path}?{back.query}").content.decode()
    assert f'id="claim-{acme_id}"' not in html and "acme: cannot be connected by you" in html
    assert "Connect alice-chen" in html
    choice = html.split('name="choice" value="')[1].split('"')[0]

    forged = client.post(
        f"/a/{other_team.slug}/integrations/github/claim/", {"choice": choice, "installation_id": acme_id}
    )

    assert forged.status_code == 302
    assert GitHubAppInstallation.objects.get(installation_id=acme_id).team is None
