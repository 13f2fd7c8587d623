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


def _control(emulator: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{emulator.url}{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return dict(response.json())


def test_compare_reads_every_commit_of_a_range_past_githubs_250_unpaged(
    emulator: Any, emulator_credentials: AppCredentials
) -> None:
    """GitHub lists at most 250 commits of an unpaged compare: a deployment after 260 commits must see all 260."""
    installation_id = _installation_id(emulator)
    session = requests.Session()
    tokens = InstallationTokenProvider(emulator_credentials, session, MemoryCache())
    api = InstallationAPI(emulator_credentials, session, tokens, installation_id)
    base = _control(emulator, "/_emulator/commits", {"repository": "acme/infra", "messages": ["base"]})["shas"][-1]
    pushed = _control(
        emulator, "/_emulator/commits", {"repository": "acme/infra", "messages": [str(i) for i in range(260)]}
    )

    ahead = api.compare("acme", "infra", base, pushed["shas"][-1])
    assert (ahead.status, ahead.ahead_by, ahead.behind_by, ahead.total_commits) == ("ahead", 260, 0, 260)
    assert ahead.commit_shas == tuple(pushed["shas"]) and ahead.complete

    behind = api.compare("acme", "infra", pushed["shas"][-1], base)
    assert (behind.status, behind.behind_by, behind.commit_shas) == ("behind", 260, ())
    same = api.compare("acme", "infra", base, base)
    assert (same.status, same.total_commits, same.complete) == ("identical", 0, True)


def test_compare_bounded_by_pages_says_it_is_incomplete(emulator: Any, emulator_credentials: AppCredentials) -> None:
    from github_app.api.compare import compare_commits

    installation_id = _installation_id(emulator)
    session = requests.Session()
    tokens = InstallationTokenProvider(emulator_credentials, session, MemoryCache())
    api = InstallationAPI(emulator_credentials, session, tokens, installation_id)
    base = _control(emulator, "/_emulator/commits", {"repository": "acme/web", "messages": ["base"]})["shas"][-1]
    pushed = _control(emulator, "/_emulator/commits", {"repository": "acme/web", "messages": ["x"] * 150})["shas"]

    bounded = compare_commits(api.client, "acme", "web", base, pushed[-1], max_pages=1)
    assert (bounded.total_commits, len(bounded.commit_shas), bounded.complete) == (150, 100, False)
    assert bounded.commit_shas == tuple(pushed[:100])  # the oldest first, as GitHub pages them


def test_the_import_reads_a_merged_pull_requests_merge_commit_as_the_webhook_names_it(
    emulator: Any, emulator_credentials: AppCredentials
) -> None:
    """``mergeCommit.oid`` of the import and ``pull_request.merge_commit_sha`` of the webhook are the same commit;
    an open PR's test merge (set by GitHub on the webhook's PR) is never taken for a merge."""
    from github_app.emulator.payloads import pull_request_json
    from github_app.webhooks.models import payload_reader, read_pull_request

    installation_id = _installation_id(emulator)
    session = requests.Session()
    tokens = InstallationTokenProvider(emulator_credentials, session, MemoryCache())
    api = InstallationAPI(emulator_credentials, session, tokens, installation_id)
    state = emulator.state
    repo = state.repo_by_full_name("acme/api")
    nodes = api.pull_requests_page("acme", "api", first=50).pull_requests
    merged = [node for node in nodes if node.merged_at is not None]
    unmerged = [node for node in nodes if node.merged_at is None]
    test_merges = 0
    assert merged and unmerged
    for node in nodes:
        payload = pull_request_json(state, repo, state.pull_request(repo, node.number))
        from_webhook = read_pull_request(payload_reader(payload))
        assert from_webhook.merge_commit_sha == node.merge_commit_oid
        if node.merged_at is None:
            assert node.merge_commit_oid is None
            test_merges += payload["merge_commit_sha"] is not None
        else:
            assert node.merge_commit_oid and len(node.merge_commit_oid) == 40
    assert test_merges  # open PRs whose webhook names a test merge, read as no merge commit
