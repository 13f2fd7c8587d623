"""InstallationAPI: token-authenticated calls, including recovery from a rejected cached token; the import's GraphQL
documents and the parsing of their answers into typed values."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
import requests
import responses
from responses.matchers import query_param_matcher

from github_app import (
    PULL_REQUEST_REVIEWS_QUERY,
    REPOSITORY_PULL_REQUESTS_QUERY,
    AppCredentials,
    InstallationAPI,
    InstallationTokenProvider,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
    parse_pull_request_page,
    parse_review_page,
)
from github_app.tests.conftest import API, FakeClock
from github_app.tests.fixtures import api_example
from github_app.tests.graphql_data import author, pull_request_page_data

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


# Parsing the import's GraphQL answers into typed values.


def test_pull_request_page_parses_to_typed_values() -> None:
    page = parse_pull_request_page(pull_request_page_data())
    assert page.rate_limit.remaining == 4999
    assert page.rate_limit.reset_at == datetime(2024, 3, 3, 13, tzinfo=UTC)
    assert (page.name_with_owner, page.total_count) == ("octocat/Hello-World", 1)
    assert page.page_info.has_next_page is False
    pr = page.pull_requests[0]
    assert (pr.database_id, pr.number, pr.state, pr.body) == (2362920014, 7, "merged", None)
    assert pr.merged_at == datetime(2024, 3, 3, 12, tzinfo=UTC)
    assert pr.labels == ("enhancement",)
    assert pr.author.database_id == 1 and not pr.author.is_bot
    review = pr.reviews[0]
    assert review.database_id == 2147483728
    assert review.state == "changes_requested"
    assert review.author.is_bot
    assert (pr.reviews_total_count, pr.reviews_page_info.end_cursor) == (101, "Y3Vyc29y")
    assert [t.typename for t in pr.timeline_items] == ["ConvertToDraftEvent", "ReadyForReviewEvent"]


def test_deleted_author_ghost_and_mannequin_without_database_id() -> None:
    data = pull_request_page_data()
    node = data["repository"]["pullRequests"]["nodes"][0]
    node["author"] = None
    node["reviews"]["nodes"][0]["author"] = author("Mannequin", "old-user", None)
    pr = parse_pull_request_page(data).pull_requests[0]
    assert pr.author is None
    assert pr.reviews[0].author.database_id is None


def test_malformed_answer_names_the_field() -> None:
    data = copy.deepcopy(pull_request_page_data())
    del data["repository"]["pullRequests"]["nodes"][0]["number"]
    with pytest.raises(UnexpectedResponse, match=r"repository\.pullRequests\.nodes\[0\]\.number"):
        parse_pull_request_page(data)


def test_review_page_parses() -> None:
    reviews = {
        "totalCount": 2,
        "pageInfo": {"hasNextPage": False, "endCursor": "Yw"},
        "nodes": [
            {"fullDatabaseId": "1", "state": "APPROVED", "submittedAt": "2024-01-01T00:00:00Z", "author": author()},
            {"fullDatabaseId": "2", "state": "PENDING", "submittedAt": None, "author": None},
        ],
    }
    page = parse_review_page({"rateLimit": None, "repository": {"pullRequest": {"reviews": reviews}}})
    assert [r.state for r in page.reviews] == ["approved", "pending"]
    assert page.reviews[1].submitted_at is None
    assert page.rate_limit is None


def test_the_queries_ask_for_64_bit_ids_not_the_deprecated_32_bit_ones() -> None:
    """`PullRequest.databaseId` / `PullRequestReview.databaseId` are 32-bit and null for today's ids."""
    for query in (REPOSITORY_PULL_REQUESTS_QUERY, PULL_REQUEST_REVIEWS_QUERY):
        assert "fullDatabaseId state" in query
        assert "... on User { databaseId }" in query
        assert query.count("databaseId") == query.count("{ databaseId }")


@pytest.mark.parametrize("value", [2362920014, None, "12a", ""])
def test_a_big_int_id_that_is_not_a_decimal_string_names_the_field(value: object) -> None:
    data = pull_request_page_data()
    data["repository"]["pullRequests"]["nodes"][0]["fullDatabaseId"] = value
    with pytest.raises(UnexpectedResponse, match=r"nodes\[0\]\.fullDatabaseId"):
        parse_pull_request_page(data)
