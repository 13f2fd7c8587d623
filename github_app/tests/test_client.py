"""The HTTP client: headers, the exception tree, retries, rate limits, pagination, GraphQL errors."""

from __future__ import annotations

import json

import pytest
import requests
import responses
from responses.matchers import query_param_matcher

from github_app import (
    GitHubClient,
    GraphQLError,
    NotFound,
    RateLimit,
    RateLimited,
    RetryPolicy,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    ValidationFailed,
)
from github_app.tests.conftest import API, FakeClock
from github_app.tests.fixtures import api_example


@pytest.fixture
def client(session: requests.Session, clock: FakeClock) -> GitHubClient:
    return GitHubClient(API, session, clock=clock, sleep=clock.sleep, rand=lambda: 0.5)


def test_sends_githubs_media_type_version_user_agent_and_timeout(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/app", json=api_example("apps-get-authenticated.json"))
    assert client.get("/app")["slug"] == api_example("apps-get-authenticated.json")["slug"]
    headers = mocked.calls[0].request.headers
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert headers["User-Agent"] == "tformance"
    assert mocked.calls[0].request.req_kwargs["timeout"] == (5.0, 30.0)


def test_primary_rate_limit_raises_with_reset_time_and_does_not_sleep(
    client: GitHubClient, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700003600"}
    mocked.get(
        f"{API}/installation/repositories", json={"message": "API rate limit exceeded"}, status=403, headers=headers
    )
    with pytest.raises(RateLimited) as info:
        client.get("/installation/repositories")
    assert info.value.retry_at == 1_700_003_600
    assert clock.sleeps == []
    assert len(mocked.calls) == 1
    assert client.rate_limit == RateLimit(limit=5000, remaining=0, reset_at=1_700_003_600, resource="core")


def test_429_with_retry_after_raises_retry_at_now_plus_seconds(
    client: GitHubClient, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.get(f"{API}/app", json={"message": "slow down"}, status=429, headers={"retry-after": "30"})
    with pytest.raises(RateLimited) as info:
        client.get("/app")
    assert info.value.retry_at == clock.now + 30
    assert clock.sleeps == []


def test_secondary_rate_limit_403_with_retry_after(
    client: GitHubClient, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    body = {"message": "You have exceeded a secondary rate limit."}
    mocked.get(f"{API}/app", json=body, status=403, headers={"retry-after": "60"})
    with pytest.raises(RateLimited) as info:
        client.get("/app")
    assert info.value.retry_at == clock.now + 60


def test_server_error_then_success_is_retried_after_a_jittered_sleep(
    client: GitHubClient, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.get(f"{API}/app", status=502)
    mocked.get(f"{API}/app", json={"id": 1})
    assert client.get("/app") == {"id": 1}
    assert clock.sleeps == [0.25]  # rand 0.5 x base 0.5 for the first retry


def test_server_errors_give_up_after_max_attempts(
    session: requests.Session, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    client = GitHubClient(API, session, clock=clock, sleep=clock.sleep, retry=RetryPolicy(max_attempts=4))
    mocked.get(f"{API}/app", status=503)
    with pytest.raises(ServerError):
        client.get("/app")
    assert len(mocked.calls) == 4
    assert len(clock.sleeps) == 3


def test_connection_error_then_success(client: GitHubClient, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/app", body=requests.ConnectionError("connection reset"))
    mocked.get(f"{API}/app", json={"id": 1})
    assert client.get("/app") == {"id": 1}
    assert len(mocked.calls) == 2


def test_persistent_timeout_becomes_transport_error(client: GitHubClient, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/app", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransportError):
        client.get("/app")
    assert len(mocked.calls) == 3


@pytest.mark.parametrize(
    ("status", "exc"),
    [(401, Unauthorized), (404, NotFound), (422, ValidationFailed)],
)
def test_client_errors_map_to_the_tree_without_retry(
    client: GitHubClient, mocked: responses.RequestsMock, status: int, exc: type[Exception]
) -> None:
    mocked.get(f"{API}/app", json={"message": "nope", "errors": [{"code": "invalid"}]}, status=status)
    with pytest.raises(exc, match="nope") as info:
        client.get("/app")
    assert info.value.status == status
    assert len(mocked.calls) == 1


def test_validation_failed_keeps_githubs_errors(client: GitHubClient, mocked: responses.RequestsMock) -> None:
    mocked.post(f"{API}/x", json={"message": "Validation Failed", "errors": [{"field": "name"}]}, status=422)
    with pytest.raises(ValidationFailed) as info:
        client.post("/x", {})
    assert info.value.errors == ({"field": "name"},)


def _link(next_url: str | None) -> dict[str, str]:
    parts = [f'<{next_url}>; rel="next"'] if next_url else []
    parts.append(f'<{API}/app/installations?per_page=1&page=1>; rel="first"')
    return {"Link": ", ".join(parts)}


def test_pagination_follows_link_headers_over_several_pages(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    page = api_example("apps-list-installations.json")
    for number in (1, 2, 3):
        items = [{**page[0], "id": number}]
        nxt = f"{API}/app/installations?per_page=1&page={number + 1}" if number < 3 else None
        query = {"per_page": "1", **({"page": str(number)} if number > 1 else {})}
        mocked.get(f"{API}/app/installations", json=items, headers=_link(nxt), match=[query_param_matcher(query)])
    assert [i["id"] for i in client.paginate("/app/installations", per_page=1)] == [1, 2, 3]
    assert len(mocked.calls) == 3


def test_pagination_reads_items_under_key(client: GitHubClient, mocked: responses.RequestsMock) -> None:
    body = api_example("apps-list-repos-accessible-to-installation.json")
    mocked.get(f"{API}/installation/repositories", json=body)
    repos = list(client.paginate("/installation/repositories", key="repositories"))
    assert [r["full_name"] for r in repos] == ["octocat/Hello-World"]


def test_pagination_refuses_to_follow_a_link_to_another_host(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/app/installations", json=[{"id": 1}], headers={"Link": '<https://evil.test/x>; rel="next"'})
    items = client.paginate("/app/installations")
    assert next(items) == {"id": 1}
    with pytest.raises(UnexpectedResponse):
        next(items)


def test_graphql_errors_in_a_200_raise_with_the_list(client: GitHubClient, mocked: responses.RequestsMock) -> None:
    errors = [{"type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve to a Repository"}]
    mocked.post(f"{API}/graphql", json={"data": {"repository": None}, "errors": errors})
    with pytest.raises(GraphQLError, match="Could not resolve") as info:
        client.graphql("query { viewer { login } }", {"a": 1})
    assert info.value.errors == tuple(errors)


def test_graphql_rate_limited_error_raises_rate_limited(client: GitHubClient, mocked: responses.RequestsMock) -> None:
    errors = [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]
    mocked.post(
        f"{API}/graphql",
        json={"errors": errors},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700009999"},
    )
    with pytest.raises(RateLimited) as info:
        client.graphql("query { viewer { login } }")
    assert info.value.retry_at == 1_700_009_999


def test_graphql_sends_query_and_variables_and_returns_data(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(f"{API}/graphql", json={"data": {"viewer": {"login": "octocat"}}})
    assert client.graphql("query($n: Int!) { x }", {"n": 3}) == {"viewer": {"login": "octocat"}}
    assert json.loads(mocked.calls[0].request.body) == {"query": "query($n: Int!) { x }", "variables": {"n": 3}}


def test_non_json_success_body_is_unexpected_response(client: GitHubClient, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/app", body="<html>proxy</html>")
    with pytest.raises(UnexpectedResponse):
        client.get("/app")


SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


@pytest.mark.parametrize(
    ("status", "headers", "body", "wait"),
    [
        # Primary limit: 200, an untyped error, x-ratelimit-remaining 0 -> until x-ratelimit-reset.
        (200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700003600"}, {"errors": [{"message": "x"}]}, None),
        # Secondary limit answered 200 with Retry-After.
        (200, {"Retry-After": "30"}, {"errors": [{"message": SECONDARY}]}, 30),
        # Secondary limit answered 403 with Retry-After.
        (403, {"Retry-After": "45"}, {"message": SECONDARY}, 45),
        # An untyped 200 error about a rate limit without any header: at least a minute.
        (200, {}, {"errors": [{"message": SECONDARY}]}, 60),
        (200, {}, {"data": None, "errors": [{"message": "API rate limit exceeded for installation ID 9."}]}, 60),
    ],
    ids=["primary-200", "secondary-200-retry-after", "secondary-403-retry-after", "untyped-200", "primary-untyped"],
)
def test_every_graphql_rate_limit_shape_is_rate_limited_until_reset(
    client: GitHubClient, mocked: responses.RequestsMock, clock: FakeClock, status, headers, body, wait
) -> None:
    """GitHub's GraphQL rate-limit docs: the primary limit answers 200 with x-ratelimit-remaining 0; a secondary limit
    answers 200 or 403 with an error message, Retry-After when present, else wait at least a minute."""
    mocked.post(f"{API}/graphql", json=body, status=status, headers=headers)
    with pytest.raises(RateLimited) as info:
        client.graphql("query { viewer { login } }")
    expected = 1_700_003_600 if wait is None else clock() + wait
    assert info.value.retry_at == expected
    assert len(mocked.calls) == 1  # never retried in a loop: the caller waits until reset


def test_a_graphql_error_that_is_not_a_rate_limit_stays_a_graphql_error_even_at_zero_remaining(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    """The last point spent on a query that fails for its own reason: remaining is 0 but the error is the query's."""
    errors = [{"type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve to a Repository"}]
    mocked.post(
        f"{API}/graphql",
        json={"data": {"repository": None}, "errors": errors},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700003600"},
    )
    with pytest.raises(GraphQLError):
        client.graphql("query { viewer { login } }")


def test_a_successful_graphql_answer_that_spent_the_last_point_is_data(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        f"{API}/graphql",
        json={"data": {"viewer": {"login": "octocat"}}},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700003600"},
    )
    assert client.graphql("query { viewer { login } }") == {"viewer": {"login": "octocat"}}


def test_a_graphql_timeout_answered_200_is_a_server_error_a_smaller_query_can_fix(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    message = "Something went wrong while executing your query. This may be the result of a timeout."
    mocked.post(f"{API}/graphql", json={"data": None, "errors": [{"message": message}]})
    with pytest.raises(ServerError, match="timed out") as info:
        client.graphql("query { viewer { login } }")
    assert info.value.status == 200


def test_an_endpoint_that_answers_one_object_refuses_any_other_shape(
    client: GitHubClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{API}/user", json=[{"id": 1}])
    with pytest.raises(UnexpectedResponse, match="GET /user did not return an object"):
        client.get_object("/user")


def test_a_secondary_limit_met_again_waits_twice_as_long_each_time_and_a_success_ends_the_streak(
    session: requests.Session, clock: FakeClock, mocked: responses.RequestsMock
) -> None:
    """GitHub: if requests keep failing on a secondary rate limit, wait an exponentially increasing time. The count
    lives in the shared cache, so a new client (the next task turn, another worker) waits longer too."""
    from github_app import MemoryCache, SecondaryLimitStrikes

    cache = MemoryCache(clock=lambda: clock.now)

    def fresh() -> GitHubClient:
        strikes = SecondaryLimitStrikes(cache, "installation:1")
        return GitHubClient(API, session, clock=clock, sleep=clock.sleep, rand=lambda: 0.5, strikes=strikes)

    limited = {"message": "You have exceeded a secondary rate limit."}
    waits = []
    for retry_after in ("30", "30", "30"):
        mocked.get(f"{API}/installation/repositories", status=403, json=limited, headers={"retry-after": retry_after})
        with pytest.raises(RateLimited) as info:
            fresh().get("/installation/repositories")
        waits.append(info.value.retry_at - clock.now)
    mocked.get(f"{API}/installation/repositories", status=403, json=limited)  # no header: a minute, then doubled
    with pytest.raises(RateLimited) as info:
        fresh().get("/installation/repositories")
    waits.append(info.value.retry_at - clock.now)

    assert waits == [30, 60, 120, 480]
    mocked.get(f"{API}/installation/repositories", json={"total_count": 0, "repositories": []})
    fresh().get("/installation/repositories")
    mocked.get(f"{API}/installation/repositories", status=403, json=limited, headers={"retry-after": "30"})
    with pytest.raises(RateLimited) as info:
        fresh().get("/installation/repositories")
    assert info.value.retry_at - clock.now == 30


def test_the_primary_limit_keeps_githubs_reset_time_however_often_it_is_met(
    session: requests.Session, clock: FakeClock, mocked: responses.RequestsMock
) -> None:
    from github_app import MemoryCache, SecondaryLimitStrikes

    strikes = SecondaryLimitStrikes(MemoryCache(clock=lambda: clock.now), "installation:1")
    client = GitHubClient(API, session, clock=clock, sleep=clock.sleep, strikes=strikes)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(clock.now) + 100)}
    for _ in range(3):
        mocked.get(f"{API}/app", status=403, json={"message": "API rate limit exceeded"}, headers=headers)
        with pytest.raises(RateLimited) as info:
            client.get("/app")
        assert info.value.retry_at == int(clock.now) + 100
