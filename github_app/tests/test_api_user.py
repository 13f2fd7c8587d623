"""User-token calls: the OAuth code exchange and the installations a user can access."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
import responses

from github_app import AppCredentials, OAuthError, exchange_oauth_code
from github_app.tests.conftest import API

TOKEN_URL = "https://github.com/login/oauth/access_token"


def test_exchange_code_posts_client_credentials_and_returns_token(
    credentials: AppCredentials, session: requests.Session, mocked: responses.RequestsMock
) -> None:
    mocked.post(TOKEN_URL, json={"access_token": "ghu_user", "token_type": "bearer", "scope": ""})
    token = exchange_oauth_code(credentials, session, "the-code", redirect_uri="https://app.test/cb/")
    assert token == "ghu_user"
    request = mocked.calls[0].request
    assert request.headers["Accept"] == "application/json"
    form = parse_qs(request.body)
    assert form == {
        "client_id": ["Iv1.testclient"],
        "client_secret": ["client-secret-value"],
        "code": ["the-code"],
        "redirect_uri": ["https://app.test/cb/"],
    }


def test_exchange_code_error_in_200_raises_oauth_error_with_description(
    credentials: AppCredentials, session: requests.Session, mocked: responses.RequestsMock
) -> None:
    body = {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
    mocked.post(TOKEN_URL, json=body)
    with pytest.raises(OAuthError, match="incorrect or expired") as info:
        exchange_oauth_code(credentials, session, "stale")
    assert info.value.error == "bad_verification_code"
    assert "client-secret-value" not in str(info.value)


def membership_body(role: str, state: str = "active") -> dict:
    """Our own example of GitHub's membership object (the fields tformance reads, and their neighbours)."""
    return {
        "url": f"{API}/orgs/acme/memberships/mona",
        "state": state,
        "role": role,
        "organization_url": f"{API}/orgs/acme",
        "organization": {"login": "acme", "id": 10},
        "user": {"login": "mona", "id": 20, "type": "User"},
    }


@pytest.mark.parametrize("role", ["admin", "member"])
def test_org_membership_is_read_with_the_user_token(
    credentials: AppCredentials, session: requests.Session, mocked: responses.RequestsMock, role: str
) -> None:
    from github_app import UserAPI

    mocked.get(f"{API}/user/memberships/orgs/acme", json=membership_body(role))
    membership = UserAPI(credentials, session, "ghu_user").get_org_membership("acme")
    assert membership is not None and (membership["state"], membership["role"]) == ("active", role)
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer ghu_user"


def test_org_membership_of_a_non_member_is_none(
    credentials: AppCredentials, session: requests.Session, mocked: responses.RequestsMock
) -> None:
    from github_app import UserAPI

    mocked.get(f"{API}/user/memberships/orgs/acme", status=404, json={"message": "Not Found"})
    assert UserAPI(credentials, session, "ghu_user").get_org_membership("acme") is None


def test_the_membership_call_needs_a_permission_the_manifest_asks_for() -> None:
    import json

    from github_app.api.user import ORG_MEMBERSHIP_PERMISSION
    from github_app.tests.fixtures import REPO_ROOT

    name, access = ORG_MEMBERSHIP_PERMISSION
    manifest = json.loads((REPO_ROOT / "app-manifest.json").read_text())
    assert manifest["default_permissions"].get(name) == access


def test_a_5xx_to_the_code_exchange_is_not_retried_because_the_code_is_single_use(
    credentials: AppCredentials, session: requests.Session, mocked: responses.RequestsMock
) -> None:
    """GitHub may have redeemed the code before failing; a retry could only end in bad_verification_code."""
    from github_app import ServerError

    mocked.post(TOKEN_URL, status=502, body="<html>Unicorn!</html>")
    mocked.post(TOKEN_URL, json={"access_token": "ghu_user", "token_type": "bearer", "scope": ""})
    with pytest.raises(ServerError, match="502"):
        exchange_oauth_code(credentials, session, "the-code")
    assert len(mocked.calls) == 1
