"""InstallationAPI: token-authenticated calls, including recovery from a rejected cached token."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
import responses
from responses.matchers import query_param_matcher

from github_app import (
    REPOSITORY_PULL_REQUESTS_QUERY,
    AppCredentials,
    InstallationAPI,
    InstallationTokenProvider,
    ServerError,
    Unauthorized,
)
from github_app.tests.conftest import API, FakeClock
from github_app.tests.fixtures import api_example
from github_app.tests.graphql_data import pull_request_page_data

MINT_URL = f"{API}/app/installations/42/access_tokens"


@pytest.fixture
def api(
    credentials: AppCredentials, session: requests.Session, tokens: InstallationTokenProvider, clock: FakeClock
) -> InstallationAPI:
    return InstallationAPI(credentials, session, tokens, 42, clock=clock, sleep=clock.sleep)


def mint(mocked: responses.RequestsMock, clock: FakeClock, *tokens: str) -> None:
    expires = datetime.fromtimestamp(clock.now + 3600, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for token in tokens:
        body = {**api_example("apps-create-installation-access-token.json"), "token": token, "expires_at": expires}
        mocked.post(MINT_URL, json=body, status=201)


def count(mocked: responses.RequestsMock, method: str, url_prefix: str) -> int:
    return sum(1 for c in mocked.calls if c.request.method == method and c.request.url.startswith(url_prefix))


def test_list_repositories_uses_the_installation_token_over_all_pages(
    api: InstallationAPI, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mint(mocked, clock, "ghs_one")
    body = api_example("apps-list-repos-accessible-to-installation.json")
    second = {"total_count": 2, "repositories": [{**body["repositories"][0], "id": 2, "full_name": "octocat/Two"}]}
    mocked.get(
        f"{API}/installation/repositories",
        json=body,
        headers={"Link": f'<{API}/installation/repositories?per_page=100&page=2>; rel="next"'},
        match=[query_param_matcher({"per_page": "100"})],
    )
    mocked.get(
        f"{API}/installation/repositories", json=second, match=[query_param_matcher({"per_page": "100", "page": "2"})]
    )
    names = [r["full_name"] for r in api.list_repositories()]
    assert names == ["octocat/Hello-World", "octocat/Two"]
    gets = [c.request for c in mocked.calls if c.request.method == "GET"]
    assert all(r.headers["Authorization"] == "token ghs_one" for r in gets)
    assert count(mocked, "POST", MINT_URL) == 1


def test_401_with_cached_token_remints_once_and_retries_once(
    api: InstallationAPI, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mint(mocked, clock, "ghs_revoked")
    mocked.get(f"{API}/repos/o/r", json={"id": 1})
    assert api.get("/repos/o/r") == {"id": 1}  # token now cached
    mocked.replace(responses.GET, f"{API}/repos/o/r", json={"message": "Bad credentials"}, status=401)
    mocked.add(responses.GET, f"{API}/repos/o/r", json={"id": 1})
    mocked.replace(
        responses.POST,
        MINT_URL,
        json={
            **api_example("apps-create-installation-access-token.json"),
            "token": "ghs_fresh",
            "expires_at": "2030-01-01T00:00:00Z",
        },
        status=201,
    )
    assert api.get("/repos/o/r") == {"id": 1}
    assert count(mocked, "POST", MINT_URL) == 2
    assert count(mocked, "GET", f"{API}/repos/o/r") == 3
    assert mocked.calls[-1].request.headers["Authorization"] == "token ghs_fresh"


def test_repeated_401_raises_after_exactly_one_remint(
    api: InstallationAPI, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mint(mocked, clock, "ghs_a")
    mocked.get(f"{API}/repos/o/r", json={"message": "Bad credentials"}, status=401)
    with pytest.raises(Unauthorized) as info:
        api.get("/repos/o/r")
    assert count(mocked, "POST", MINT_URL) == 2
    assert count(mocked, "GET", f"{API}/repos/o/r") == 2
    assert "ghs_a" not in str(info.value)


def test_pull_requests_page_posts_the_import_query_to_graphql(
    api: InstallationAPI, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mint(mocked, clock, "ghs_one")
    mocked.post(f"{API}/graphql", json={"data": pull_request_page_data()})
    page = api.pull_requests_page("octo", "repo", first=10, after="abc")
    assert page.pull_requests[0].number == 7
    sent = json.loads(mocked.calls[-1].request.body)
    assert sent["query"] == REPOSITORY_PULL_REQUESTS_QUERY
    assert sent["variables"] == {"owner": "octo", "name": "repo", "first": 10, "after": "abc"}
    assert mocked.calls[-1].request.headers["Authorization"] == "token ghs_one"


def test_failing_token_mint_is_retried_by_the_minter_only(
    api: InstallationAPI, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, status=502)
    mocked.get(f"{API}/repos/o/r", json={"id": 1})
    with pytest.raises(ServerError):
        api.get("/repos/o/r")
    assert count(mocked, "POST", MINT_URL) == 3  # default max_attempts, not 3 x 3
    assert count(mocked, "GET", f"{API}/repos/o/r") == 0
