"""GitHub mocked at the HTTP layer (``responses``) with the shared API examples, for the integration tests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import responses

from github_app.tests.fixtures import api_example

API = "https://api.github.com"
WEB = "https://github.com"


class GitHubMock:
    """Registers GitHub answers on a ``responses`` mock; each method is one endpoint."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock

    def installation_token(self, installation_id: int) -> None:
        body = api_example("apps-create-installation-access-token.json")
        body["expires_at"] = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.mock.post(f"{API}/app/installations/{installation_id}/access_tokens", json=body, status=201)

    def installation(self, installation_id: int, *, login: str = "octocat", account_id: int = 1, **fields) -> dict:
        body = api_example("apps-get-installation.json")
        body.update(id=installation_id, **fields)
        body["account"] = {**body["account"], "login": login, "id": account_id}
        self.mock.get(f"{API}/app/installations/{installation_id}", json=body)
        return body

    def repositories(self, installation_id: int, repos: list[tuple[int, str]] | None = None) -> None:
        self.installation_token(installation_id)
        body = api_example("apps-list-repos-accessible-to-installation.json")
        template = body["repositories"][0]
        if repos is not None:
            body["repositories"] = [{**copy.deepcopy(template), "id": i, "full_name": n} for i, n in repos]
        body["total_count"] = len(body["repositories"])
        self.mock.get(f"{API}/installation/repositories", json=body)

    def oauth_code(self, token: str = "ghu_usertoken") -> None:
        self.mock.post(f"{WEB}/login/oauth/access_token", json={"access_token": token, "token_type": "bearer"})

    def oauth_code_refused(self) -> None:
        self.mock.post(
            f"{WEB}/login/oauth/access_token",
            json={"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."},
        )

    def signed_in_as(self, login: str, user_id: int, token: str = "ghu_usertoken") -> None:
        """The callback's sign-in code belongs to this GitHub user (``GET /user`` with their token)."""
        self.oauth_code(token)
        self.mock.get(f"{API}/user", json={"login": login, "id": user_id, "type": "User"})

    def membership(self, org: str, role: str | None, *, state: str = "active") -> None:
        """``GET /user/memberships/orgs/{org}``: ``role`` None means not a member (404, as GitHub answers)."""
        url = f"{API}/user/memberships/orgs/{org}"
        if role is None:
            self.mock.get(url, status=404, json={"message": "Not Found", "status": "404"})
            return
        body = {
            "url": f"{API}/orgs/{org}/memberships/someone",
            "state": state,
            "role": role,
            "organization_url": f"{API}/orgs/{org}",
            "organization": {"login": org, "id": 1},
            "user": {"login": "someone", "id": 2, "type": "User"},
        }
        self.mock.get(url, json=body)

    def user_installations(self, ids: list[int], *, per_page_split: int | None = None) -> None:
        body = api_example("apps-list-installations-for-authenticated-user.json")
        template = body["installations"][0]
        items = [{**copy.deepcopy(template), "id": i} for i in ids]
        if per_page_split is None:
            self.mock.get(f"{API}/user/installations", json={"total_count": len(items), "installations": items})
            return
        first, second = items[:per_page_split], items[per_page_split:]
        link = f'<{API}/user/installations?page=2>; rel="next"'
        self.mock.get(
            f"{API}/user/installations",
            json={"total_count": len(items), "installations": second},
            match=[responses.matchers.query_param_matcher({"page": "2"})],
        )
        self.mock.get(
            f"{API}/user/installations",
            json={"total_count": len(items), "installations": first},
            headers={"Link": link},
            match=[responses.matchers.query_param_matcher({"per_page": "100"})],
        )


@pytest.fixture
def github(github_app_settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield GitHubMock(mock)


@pytest.fixture
def live_emulator(live_server, settings):
    """The GitHub emulator (the demo world) delivering its webhooks, signed, to this test's live server, and the App's
    settings pointing at it. Needs ``django_db(transaction=True)``: the live server reads what the test wrote."""
    from github_app.emulator import EmulatorConfig, EmulatorServer

    config = EmulatorConfig(port=0, scenario="demo", webhook_url=live_server.url + "/webhooks/github/")
    with EmulatorServer(config) as gh:
        settings.GITHUB_API_URL = settings.GITHUB_WEB_URL = gh.url
        settings.GITHUB_APP_ID, settings.GITHUB_APP_SLUG = str(config.app_id), config.slug
        settings.GITHUB_APP_PRIVATE_KEY = gh.app.private_key_pem
        settings.GITHUB_APP_WEBHOOK_SECRET = config.webhook_secret
        yield gh


def emulator_control(gh, path: str, body: dict) -> dict:
    """A call to the emulator's control API (``/_emulator/...``), which must succeed; its answer."""
    import requests

    response = requests.post(gh.url + path, json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()
