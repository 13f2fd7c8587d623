"""App JWT verification, installation token minting, and installation-token authentication."""

from __future__ import annotations

import jwt
import pytest
import requests

from ..crypto import generate_private_key_pem
from ..models import DEFAULT_PERMISSIONS
from .conftest import app_jwt, fixture_json, install, installation_token


def get_app(emulator, token: str) -> requests.Response:
    return requests.get(f"{emulator.url}/app", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_valid_jwt_reads_the_app_with_rate_limit_headers(emulator, private_key):
    response = get_app(emulator, app_jwt(private_key))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["slug"], body["client_id"]) == (1, "tformance-dev", "Iv1.emulator")
    assert set(fixture_json("api/apps-get-authenticated.json")) <= set(body)
    for header in ("limit", "remaining", "used", "reset", "resource"):
        assert f"x-ratelimit-{header}" in response.headers


def test_client_id_is_accepted_as_issuer(emulator, private_key):
    assert get_app(emulator, app_jwt(private_key, iss="Iv1.emulator")).status_code == 200
    assert get_app(emulator, app_jwt(private_key, iss=1)).status_code == 200


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("expired", {"iat_offset": -700, "lifetime": 600}),
        ("iat too far in the future", {"iat_offset": 120, "lifetime": 300}),
        ("lifetime over ten minutes", {"iat_offset": -30, "lifetime": 660}),
        ("wrong issuer", {"iss": "999"}),
    ],
)
def test_bad_jwts_are_401_with_github_error_body(emulator, private_key, case, kwargs):
    response = get_app(emulator, app_jwt(private_key, **kwargs))
    assert response.status_code == 401, case
    assert set(response.json()) >= {"message", "documentation_url"}


def test_jwt_signed_by_another_key_is_401(emulator):
    assert get_app(emulator, app_jwt(generate_private_key_pem())).status_code == 401


def test_hs256_jwt_is_rejected(emulator):
    token = jwt.encode({"iat": 0, "exp": 10**10, "iss": "1"}, "a-shared-secret-of-at-least-32-bytes", algorithm="HS256")
    assert get_app(emulator, token).status_code == 401


def test_missing_authorization_is_401(emulator):
    assert requests.get(f"{emulator.url}/app/installations", timeout=10).status_code == 401


def test_minted_token_has_documented_shape_and_one_hour_expiry(emulator, app_headers):
    from datetime import UTC, datetime

    installation_id = install(emulator)
    response = requests.post(f"{emulator.url}/app/installations/{installation_id}/access_tokens", headers=app_headers)
    assert response.status_code == 201
    body = response.json()
    assert {"token", "expires_at", "permissions", "repository_selection"} <= set(body)
    assert body["token"].startswith("ghs_")
    assert body["permissions"] == DEFAULT_PERMISSIONS  # the installation was granted what the App asks
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 3500 < (expires - datetime.now(UTC)).total_seconds() <= 3600


def test_unknown_installation_is_404(emulator, app_headers):
    response = requests.post(f"{emulator.url}/app/installations/12345/access_tokens", headers=app_headers)
    assert response.status_code == 404


def test_suspended_installation_cannot_mint_and_its_tokens_stop_working(emulator, app_headers):
    installation_id = install(emulator)
    token = installation_token(emulator, app_headers, installation_id)
    requests.post(f"{emulator.url}/_emulator/installations/{installation_id}/suspend", timeout=10)
    response = requests.post(f"{emulator.url}/app/installations/{installation_id}/access_tokens", headers=app_headers)
    assert response.status_code == 403
    assert response.json()["message"] == "This installation has been suspended"
    listed = requests.get(f"{emulator.url}/installation/repositories", headers={"Authorization": f"token {token}"})
    assert listed.status_code == 403
    requests.post(f"{emulator.url}/_emulator/installations/{installation_id}/unsuspend", timeout=10)
    assert installation_token(emulator, app_headers, installation_id).startswith("ghs_")


def test_installation_token_auth_unknown_and_expired_are_401(emulator, app_headers):
    token = installation_token(emulator, app_headers, install(emulator))
    url = f"{emulator.url}/installation/repositories"
    assert requests.get(url, headers={"Authorization": f"token {token}"}).status_code == 200
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert requests.get(url, headers={"Authorization": "token ghs_unknown"}).status_code == 401
    requests.post(f"{emulator.url}/_emulator/tokens", json={"expire": True}, timeout=10)
    response = requests.get(url, headers={"Authorization": f"token {token}"})
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


def test_app_installation_endpoints(emulator, app_headers):
    installation_id = install(emulator)
    listed = requests.get(f"{emulator.url}/app/installations", headers=app_headers)
    assert [i["id"] for i in listed.json()] == [installation_id]
    one = requests.get(f"{emulator.url}/app/installations/{installation_id}", headers=app_headers).json()
    assert set(fixture_json("api/apps-get-installation.json")) <= set(one)
    assert (one["account"]["login"], one["target_type"], one["repository_selection"]) == ("acme", "Organization", "all")
    by_org = requests.get(f"{emulator.url}/orgs/acme/installation", headers=app_headers)
    assert by_org.json()["id"] == installation_id


def test_ghes_before_3_14_takes_only_the_app_id_as_issuer(make_emulator, private_key):
    """GitHub's docs for GHES 3.13 and earlier: `iss` is the App's id; 3.14 added the client id."""
    old = make_emulator(ghes=True, ghes_version="3.13")
    by_client_id = {"Authorization": f"Bearer {app_jwt(private_key, iss='Iv1.emulator')}"}
    by_app_id = {"Authorization": f"Bearer {app_jwt(private_key, iss='1')}"}
    assert requests.get(f"{old.url}/api/v3/app", headers=by_client_id, timeout=5).status_code == 401
    assert requests.get(f"{old.url}/api/v3/app", headers=by_app_id, timeout=5).status_code == 200
    new = make_emulator(ghes=True, ghes_version="3.14")
    assert requests.get(f"{new.url}/api/v3/app", headers=by_client_id, timeout=5).status_code == 200
