"""Browser flows: App creation from a manifest, and the install page with its redirect and webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from urllib.parse import parse_qs, urlsplit

import requests

from .conftest import WEBHOOK_SECRET, app_jwt, fixture_json


def test_manifest_flow_creates_an_app_whose_credentials_work(emulator):
    manifest = {
        "name": "tformance (local)",
        "url": "http://127.0.0.1:8000",
        "hook_attributes": {"url": "http://127.0.0.1:8000/webhooks/github/"},
        "redirect_url": "http://127.0.0.1:8000/integrations/github/manifest/callback/",
        "setup_url": "http://127.0.0.1:8000/integrations/github/callback/",
        "default_permissions": {"metadata": "read", "pull_requests": "read", "members": "read"},
        "default_events": ["pull_request", "pull_request_review", "repository"],
    }
    response = requests.post(
        f"{emulator.url}/organizations/acme/settings/apps/new?state=abc123",
        data={"manifest": json.dumps(manifest)},
        allow_redirects=False,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/integrations/github/manifest/callback/"
    query = parse_qs(location.query)
    assert query["state"] == ["abc123"]

    conversion = requests.post(f"{emulator.url}/app-manifests/{query['code'][0]}/conversions")
    assert conversion.status_code == 201
    app = conversion.json()
    assert set(fixture_json("api/apps-create-from-manifest.json")) <= set(app)
    assert app["slug"] == "tformance-local" and app["owner"]["login"] == "acme"
    assert app["pem"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert app["permissions"] == manifest["default_permissions"]
    # The returned key and id authenticate as the new App.
    me = requests.get(f"{emulator.url}/app", headers={"Authorization": f"Bearer {app_jwt(app['pem'], iss=app['id'])}"})
    assert me.status_code == 200 and me.json()["slug"] == "tformance-local"

    again = requests.post(f"{emulator.url}/app-manifests/{query['code'][0]}/conversions")
    assert again.status_code == 404


def test_personal_manifest_form_and_missing_redirect(emulator):
    page = requests.get(f"{emulator.url}/settings/apps/new?state=x")
    assert page.status_code == 200 and 'name="manifest"' in page.text
    bad = requests.post(f"{emulator.url}/settings/apps/new", data={"manifest": json.dumps({"name": "x"})})
    assert bad.status_code == 422


def test_install_page_submit_redirects_to_callback_and_sends_signed_installation_created(emulator, receiver):
    page = requests.get(f"{emulator.url}/apps/tformance-dev/installations/new?state=s1&user=octo-admin")
    assert page.status_code == 200
    for marker in (
        'name="user"',
        'name="account"',
        'id="repository_selection_all"',
        'name="repositories"',
        ">Install<",
    ):
        assert marker in page.text
    assert re.search(r'<option value="acme"( selected)?>', page.text) and "globex" not in page.text

    form = {"state": "s1", "user": "octo-admin", "account": "acme", "repository_selection": "selected",
            "repositories": ["acme/api", "acme/web"]}  # fmt: skip
    response = requests.post(
        f"{emulator.url}/apps/tformance-dev/installations/new?state=s1", data=form, allow_redirects=False
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert (location.scheme + "://" + location.netloc) == receiver.url.rsplit("/webhooks", 1)[0]
    assert location.path == "/integrations/github/callback/"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["setup_action"] == "install" and query["state"] == "s1" and query["code"]
    installation_id = int(query["installation_id"])

    (delivery,) = receiver.wait_for(1)
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-hub-signature-256"] == expected
    assert delivery.headers["x-github-event"] == "installation"
    assert delivery.headers["x-github-hook-installation-target-type"] == "integration"
    assert delivery.headers["x-github-hook-installation-target-id"] == "1"
    assert delivery.headers["user-agent"].startswith("GitHub-Hookshot/")
    assert re.fullmatch(r"[0-9a-f-]{36}", delivery.headers["x-github-delivery"])
    payload = delivery.json
    assert payload["action"] == "created" and payload["installation"]["id"] == installation_id
    assert [r["full_name"] for r in payload["repositories"]] == ["acme/api", "acme/web"]
    assert payload["sender"]["login"] == "octo-admin"
    fixture = fixture_json("webhooks/installation/created.payload.json")
    assert set(fixture) <= set(payload)
    assert set(fixture["installation"]) <= set(payload["installation"])

    # The code is for octo-admin, whose /user/installations shows the new installation.
    token = requests.post(
        f"{emulator.url}/login/oauth/access_token",
        data={"client_id": "Iv1.emulator", "client_secret": "emulator-client-secret", "code": query["code"]},
    ).json()["access_token"]
    mine = requests.get(f"{emulator.url}/user/installations", headers={"Authorization": f"Bearer {token}"}).json()
    assert [i["id"] for i in mine["installations"]] == [installation_id]


def test_install_page_update_sends_installation_repositories(emulator, receiver):
    url = f"{emulator.url}/apps/tformance-dev/installations/new"
    base = {"user": "octo-admin", "account": "acme", "repository_selection": "selected"}
    requests.post(url, data={**base, "repositories": ["acme/api"]}, allow_redirects=False)
    response = requests.post(url, data={**base, "repositories": ["acme/web"]}, allow_redirects=False)
    # With "request user authorization during installation" on, GitHub keeps the browser after an update.
    assert response.status_code == 200 and "Location" not in response.headers and 'id="saved"' in response.text
    receiver.wait_for(3)
    changes = [(d.json["action"], d.json["repositories_added"], d.json["repositories_removed"])
               for d in receiver.events("installation_repositories")]  # fmt: skip
    assert [(a, [r["full_name"] for r in add], [r["full_name"] for r in rem]) for a, add, rem in changes] == [
        ("added", ["acme/web"], []),
        ("removed", [], ["acme/api"]),
    ]
    assert set(fixture_json("webhooks/installation_repositories/added.payload.json")) <= set(receiver.events(
        "installation_repositories")[0].json)  # fmt: skip


def test_install_page_refuses_an_account_the_user_cannot_install_on(emulator, receiver):
    form = {"user": "alice-chen", "account": "globex", "repository_selection": "all"}
    response = requests.post(f"{emulator.url}/apps/tformance-dev/installations/new", data=form, allow_redirects=False)
    assert response.status_code == 403
    assert receiver.received == []


def selected(page: str, select_id: str) -> str:
    block = re.search(rf'<select name="\w+" id="{select_id}">(.*?)</select>', page).group(1)
    return re.search(r'<option value="([^"]+)" selected>', block).group(1)


def test_install_page_starts_with_an_account_the_app_is_not_installed_on(emulator, receiver):
    url = f"{emulator.url}/apps/tformance-dev/installations/new"
    first = requests.get(url, params={"state": "s1"}).text
    assert (selected(first, "user"), selected(first, "account")) == ("octo-admin", "acme")

    requests.post(url, data={"user": "octo-admin", "account": "acme", "repository_selection": "all"})
    after = requests.get(url, params={"state": "s2"}).text
    assert (selected(after, "user"), selected(after, "account")) == ("mona", "globex")  # acme is taken now
    assert "acme (organization, App installed: configure)" in after


def test_every_refusal_leads_back_to_the_install_page_with_its_state(emulator, receiver):
    url = f"{emulator.url}/apps/tformance-dev/installations/new"
    for form in (
        {"user": "alice-chen", "account": "globex", "repository_selection": "all", "state": "s9"},
        {"user": "octo-admin", "account": "acme", "repository_selection": "selected", "state": "s9"},
    ):
        refused = requests.post(url, data=form, allow_redirects=False)
        assert refused.status_code in (403, 422)
        assert '<a id="back" href="/apps/tformance-dev/installations/new?state=s9">' in refused.text


def test_the_manage_installation_page_shows_what_the_installation_holds(emulator, receiver):
    url = f"{emulator.url}/apps/tformance-dev/installations/new"
    form = {"user": "octo-admin", "account": "acme", "repository_selection": "selected", "repositories": ["acme/web"]}
    location = requests.post(url, data=form, allow_redirects=False).headers["Location"]
    installation_id = parse_qs(urlsplit(location).query)["installation_id"][0]

    page = requests.get(f"{emulator.url}/organizations/acme/settings/installations/{installation_id}")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "<li>acme/web</li>" in page.text and "acme/api" not in page.text
    assert 'id="configure" href="/apps/tformance-dev/installations/new"' in page.text
    assert (
        requests.get(f"{emulator.url}/organizations/globex/settings/installations/{installation_id}").status_code == 404
    )


def test_a_pull_requests_html_url_is_a_page(emulator, receiver):
    page = requests.get(f"{emulator.url}/acme/api/pull/1")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"] and "acme/api#1 by " in page.text
    assert requests.get(f"{emulator.url}/acme/api/pull/99999").status_code == 404
    assert requests.get(f"{emulator.url}/acme/nothing/pull/1").status_code == 404
