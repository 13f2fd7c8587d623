"""tformance on GitHub Enterprise Server: its URL layout and JWT issuer, against the emulator laid out as GHES."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from apps.integrations.github import app_api
from apps.integrations.services.import_run import tracked_repository_import
from apps.integrations.services.tracking import repository_track
from apps.integrations.tests.factories import InstallationFactory, InstallationRepositoryFactory
from apps.metrics.models import PullRequest
from github_app.emulator import EmulatorConfig, EmulatorServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ghes(settings):
    """GHES 3.13: REST under /api/v3, GraphQL at /api/graphql, and only the App id accepted as the JWT issuer."""
    config = EmulatorConfig(port=0, scenario="demo", ghes=True, ghes_version="3.13")
    with EmulatorServer(config) as gh:
        settings.GITHUB_API_URL, settings.GITHUB_WEB_URL = f"{gh.url}/api/v3", gh.url
        settings.GITHUB_APP_ID, settings.GITHUB_APP_CLIENT_ID = str(config.app_id), config.client_id
        settings.GITHUB_APP_SLUG = config.slug
        settings.GITHUB_APP_PRIVATE_KEY = gh.app.private_key_pem
        settings.GITHUB_APP_JWT_ISSUER = ""
        settings.IMPORT_HISTORY_DAYS = 0
        yield gh


def test_connect_sends_the_admin_to_ghes_install_page(ghes, admin_client, team):
    response = admin_client.post(f"/a/{team.slug}/integrations/github/connect/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/github-apps/tformance-dev/installations/new"
    assert requests.get(response["Location"], timeout=5).status_code == 200


def test_the_app_authenticates_and_imports_history_on_ghes(ghes, team):
    inst = requests.post(f"{ghes.url}/_emulator/installations", json={"account": "acme"}, timeout=5).json()
    assert inst["id"] in [i["id"] for i in app_api().list_installations()]  # the JWT's iss is the App id

    row = InstallationFactory(installation_id=inst["id"], team=team, account_login="acme")
    repo = ghes.state.repo_by_full_name("acme/api")
    InstallationRepositoryFactory(installation=row, github_repo_id=repo.id, full_name="acme/api")
    tracked = repository_track(team=team, github_repo_id=repo.id)

    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"
    assert PullRequest.objects.filter(team=team).count() == ghes.state.repo_by_full_name("acme/api").next_number - 1
