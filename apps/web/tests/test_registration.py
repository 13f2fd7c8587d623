"""Registering the App from the staff-only pages: the manifest posted to GitHub, the code converted into credentials
stored with mode 0600, never overwriting a stored file, a failed conversion shown as a page."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from github_app.tests.fixtures import api_example


@pytest.fixture
def staff_client(client, make_user):
    user = make_user("staff@example.com")
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


@pytest.fixture
def credentials_file(settings, tmp_path) -> Path:
    settings.GITHUB_APP_CREDENTIALS_FILE = str(tmp_path / "var" / "github-app.json")
    settings.GITHUB_API_URL = "https://api.github.com"
    settings.GITHUB_WEB_URL = "https://github.com"
    return Path(settings.GITHUB_APP_CREDENTIALS_FILE)


def start(staff_client, organization: str = "") -> tuple[str, str]:
    response = staff_client.post("/integrations/github/register/", {"organization": organization})
    html = response.content.decode()
    assert response.status_code == 200
    marker = '<form id="github-manifest" method="post" action="'
    action = html.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&")
    return action, parse_qs(urlsplit(action).query)["state"][0]


@pytest.mark.django_db
def test_registration_posts_the_manifest_to_the_organization(staff_client, credentials_file):
    action, _ = start(staff_client, "acme-org")
    assert action.startswith("https://github.com/organizations/acme-org/settings/apps/new?state=")
    action, _ = start(staff_client)
    assert action.startswith("https://github.com/settings/apps/new?state=")


@pytest.mark.django_db
def test_registration_converts_the_code_into_stored_credentials(staff_client, credentials_file):
    import responses

    _, state = start(staff_client)
    example = api_example("apps-create-from-manifest.json")
    with responses.RequestsMock() as mock:
        mock.post("https://api.github.com/app-manifests/the-code/conversions", json=example, status=201)
        response = staff_client.get("/integrations/github/manifest/callback/", {"code": "the-code", "state": state})

    assert response.status_code == 200 and b"GitHub App registered" in response.content
    assert example["pem"].encode() not in response.content and example["client_secret"].encode() not in response.content
    assert stat.S_IMODE(os.stat(credentials_file).st_mode) == 0o600
    stored = json.loads(credentials_file.read_text())
    assert stored["GITHUB_APP_ID"] == str(example["id"]) and stored["GITHUB_APP_SLUG"] == example["slug"]
    assert stored["GITHUB_APP_PRIVATE_KEY"] == example["pem"]
    assert stored["GITHUB_APP_WEBHOOK_SECRET"] == example["webhook_secret"]

    replay = staff_client.get("/integrations/github/manifest/callback/", {"code": "the-code", "state": state})
    assert replay.status_code == 400  # single-use state


@pytest.mark.django_db
def test_an_existing_credentials_file_is_never_overwritten(staff_client, credentials_file):
    credentials_file.parent.mkdir(parents=True)
    credentials_file.write_text('{"GITHUB_APP_ID": "1"}')
    _, state = start(staff_client)
    response = staff_client.get("/integrations/github/manifest/callback/", {"code": "c", "state": state})
    assert response.status_code == 400 and b"already exists" in response.content
    assert credentials_file.read_text() == '{"GITHUB_APP_ID": "1"}'


@pytest.mark.django_db
def test_a_failed_conversion_renders_a_page(staff_client, credentials_file):
    import responses

    _, state = start(staff_client)
    with responses.RequestsMock() as mock:
        mock.post("https://api.github.com/app-manifests/bad/conversions", json={"message": "Not Found"}, status=404)
        response = staff_client.get("/integrations/github/manifest/callback/", {"code": "bad", "state": state})
    assert response.status_code == 502 and not credentials_file.exists()


@pytest.mark.django_db
def test_registration_is_staff_only(admin_client):
    assert admin_client.get("/integrations/github/register/").status_code == 403
    assert admin_client.get("/integrations/github/manifest/callback/", {"code": "x", "state": "y"}).status_code == 403
