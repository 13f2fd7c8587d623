"""Contract check against the built-in GitHub emulator (a real local HTTP server, not a mock).

The emulator answers the same endpoints and GraphQL queries as GitHub; this proves the library and
the emulator agree on shapes: JWT auth, token minting, pagination, the import query, OAuth.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from github_app import AppAPI, AppCredentials, InstallationAPI, InstallationTokenProvider, MemoryCache

emulator_module = pytest.importorskip("github_app.emulator", reason="the GitHub emulator is not available")


@pytest.fixture(scope="module")
def emulator(private_key_pem_module: str) -> Iterator[Any]:
    config = emulator_module.EmulatorConfig(port=0, scenario="demo", private_key_pem=private_key_pem_module)
    with emulator_module.EmulatorServer(config) as server:
        yield server


@pytest.fixture(scope="module")
def private_key_pem_module() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def emulator_credentials(emulator: Any, private_key_pem_module: str) -> AppCredentials:
    config = emulator.config
    return AppCredentials(
        app_id=str(config.app_id),
        client_id=config.client_id,
        client_secret=config.client_secret,
        private_key_pem=private_key_pem_module,
        webhook_secrets=(config.webhook_secret,),
        api_url=emulator.url,
        web_url=emulator.url,
        slug=config.slug,
    )


def _installation_id(emulator: Any) -> int:
    response = requests.post(
        f"{emulator.url}/_emulator/installations",
        json={"account": "acme", "repositories": "all", "sender": "octo-admin"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_app_token_installation_and_graphql_import_round_trip(
    emulator: Any, emulator_credentials: AppCredentials
) -> None:
    installation_id = _installation_id(emulator)
    session = requests.Session()
    app = AppAPI(emulator_credentials, session)
    assert app.get_app()["slug"] == emulator.config.slug
    assert installation_id in [i["id"] for i in app.list_installations()]

    tokens = InstallationTokenProvider(emulator_credentials, session, MemoryCache())
    api = InstallationAPI(emulator_credentials, session, tokens, installation_id)
    repos = [r["full_name"] for r in api.list_repositories()]
    assert "acme/api" in repos

    page = api.pull_requests_page("acme", "api", first=20)
    assert page.name_with_owner == "acme/api"
    assert 0 < len(page.pull_requests) <= 20
    assert all(r.state == r.state.lower() for pr in page.pull_requests for r in pr.reviews)
    if page.page_info.has_next_page:
        following = api.pull_requests_page("acme", "api", first=20, after=page.page_info.end_cursor)
        first_ids = {pr.database_id for pr in page.pull_requests}
        assert first_ids.isdisjoint(pr.database_id for pr in following.pull_requests)
    assert api.rate_limit is not None and api.rate_limit.resource == "graphql"
