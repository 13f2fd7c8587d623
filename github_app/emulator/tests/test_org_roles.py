"""Organization roles: owners (``admin``) and plain members, as GitHub's membership endpoint and install page
show them. acme's owner is octo-admin; alice-chen is a plain member."""

from __future__ import annotations

import requests

from .conftest import install
from .test_oauth import user_token


def membership(emulator, login: str, org: str = "acme") -> requests.Response:
    headers = {"Authorization": f"Bearer {user_token(emulator, login)}", "Accept": "application/vnd.github+json"}
    return requests.get(f"{emulator.url}/user/memberships/orgs/{org}", headers=headers)


def test_an_owner_is_an_active_admin(emulator):
    response = membership(emulator, "octo-admin")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["role"]) == ("active", "admin")
    assert body["organization"]["login"] == "acme" and body["user"]["login"] == "octo-admin"
    assert body["url"].endswith("/orgs/acme/memberships/octo-admin") and body["organization_url"].endswith("/orgs/acme")


def test_a_plain_member_is_an_active_member(emulator):
    body = membership(emulator, "alice-chen").json()
    assert (body["state"], body["role"]) == ("active", "member")


def test_the_org_name_is_not_case_sensitive(emulator):
    assert membership(emulator, "octo-admin", org="ACME").json()["role"] == "admin"


def test_a_non_member_and_an_unknown_org_are_404(emulator):
    for login, org in (("mona", "acme"), ("octo-admin", "no-such-org"), ("octo-admin", "mona")):
        response = membership(emulator, login, org=org)
        assert response.status_code == 404 and response.json()["message"] == "Not Found"


def test_the_membership_endpoint_needs_a_user_token(emulator):
    assert requests.get(f"{emulator.url}/user/memberships/orgs/acme").status_code == 401


def test_an_app_without_the_members_permission_is_refused(emulator):
    emulator.app.permissions.pop("members", None)
    response = membership(emulator, "octo-admin")
    assert response.status_code == 403 and response.json()["message"] == "Resource not accessible by integration"


def test_a_plain_member_sees_the_orgs_installation_but_cannot_install_there(emulator):
    acme = install(emulator, "acme")
    headers = {"Authorization": f"Bearer {user_token(emulator, 'alice-chen')}"}
    listed = requests.get(f"{emulator.url}/user/installations", headers=headers).json()
    assert [i["id"] for i in listed["installations"]] == [acme]

    page = requests.get(f"{emulator.url}/apps/{emulator.app.slug}/installations/new", params={"user": "alice-chen"})
    assert 'value="acme"' not in page.text  # only her personal account is offered
    submitted = requests.post(
        f"{emulator.url}/apps/{emulator.app.slug}/installations/new",
        data={"state": "st", "user": "alice-chen", "account": "acme", "repository_selection": "all"},
        allow_redirects=False,
    )
    # The App is already there: GitHub shows the installation's settings page, requests nothing, sends nothing back.
    assert submitted.status_code == 303
    assert submitted.headers["Location"] == f"/organizations/acme/settings/installations/{acme}"


def test_a_plain_member_asks_the_owners_of_an_organization_without_the_app(emulator):
    submitted = requests.post(
        f"{emulator.url}/apps/{emulator.app.slug}/installations/new",
        data={"state": "st", "user": "alice-chen", "account": "acme", "repository_selection": "all"},
        allow_redirects=False,
    )
    assert submitted.status_code == 303 and "setup_action=request" in submitted.headers["Location"]
    assert "installation_id" not in submitted.headers["Location"]


def test_roles_are_set_through_the_control_api(emulator):
    created = requests.post(
        f"{emulator.url}/_emulator/accounts",
        json={"login": "initech", "type": "Organization", "members": ["peter"], "admins": ["bill"]},
    )
    assert created.status_code == 201
    assert membership(emulator, "bill", org="initech").json()["role"] == "admin"
    assert membership(emulator, "peter", org="initech").json()["role"] == "member"
