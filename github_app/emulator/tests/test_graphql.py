"""GraphQL import queries: pagination over PRs and reviews, access, rate limit, unsupported queries."""

from __future__ import annotations

import pytest
import requests

from github_app.api.installation import PULL_REQUEST_REVIEWS_QUERY, REPOSITORY_PULL_REQUESTS_QUERY

from .conftest import install, installation_token

PRS_QUERY = REPOSITORY_PULL_REQUESTS_QUERY
REVIEWS_QUERY = PULL_REQUEST_REVIEWS_QUERY
INT32_MAX = 2**31 - 1


@pytest.fixture
def gql(emulator, app_headers):
    requests.post(f"{emulator.url}/_emulator/repositories", json={"owner": "acme", "name": "big", "pull_requests": 250})
    headers = {"Authorization": f"bearer {installation_token(emulator, app_headers, install(emulator))}"}

    def post(query: str, **variables):
        return requests.post(f"{emulator.url}/graphql", json={"query": query, "variables": variables}, headers=headers)

    post.headers = headers
    return post


def all_prs(gql, name: str, first: int = 50) -> tuple[list[dict], int]:
    nodes, after, calls = [], None, 0
    while True:
        response = gql(PRS_QUERY, owner="acme", name=name, first=first, after=after)
        assert response.status_code == 200 and "errors" not in response.json()
        connection = response.json()["data"]["repository"]["pullRequests"]
        assert connection["totalCount"] == 250 or name != "big"
        nodes += connection["nodes"]
        calls += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes, calls
        after = connection["pageInfo"]["endCursor"]


def test_paginating_all_prs_of_a_250_pr_repository(gql):
    nodes, calls = all_prs(gql, "big", first=100)
    assert calls == 3
    assert sorted(n["number"] for n in nodes) == list(range(1, 251))
    updated = [n["updatedAt"] for n in nodes]
    assert updated == sorted(updated, reverse=True)
    states = {n["state"] for n in nodes}
    assert states <= {"OPEN", "CLOSED", "MERGED"} and "MERGED" in states
    merged = next(n for n in nodes if n["state"] == "MERGED")
    assert merged["mergedAt"] and merged["closedAt"]
    reviewed = [n for n in nodes if n["reviews"]["totalCount"]]
    assert reviewed, "a realistic history has reviews"
    review = reviewed[0]["reviews"]["nodes"][0]
    assert review["state"] in {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"}
    assert int(review["fullDatabaseId"]) > INT32_MAX and review["author"]["__typename"] == "User"
    assert all(int(n["fullDatabaseId"]) > INT32_MAX and n["author"]["login"] for n in nodes)


def test_demo_history_has_drafts_reverts_hotfixes_and_bots(gql):
    nodes, _ = all_prs(gql, "api")
    assert any(n["timelineItems"]["nodes"] for n in nodes)
    assert any(n["title"].startswith('Revert "') and n["headRefName"].startswith("revert-") for n in nodes)
    assert any(n["headRefName"].startswith("hotfix/") for n in nodes)
    bots = [n for n in nodes if n["author"]["__typename"] == "Bot"]
    assert bots and bots[0]["author"]["login"] == "dependabot"
    assert any(n["state"] == "MERGED" and n["reviews"]["totalCount"] == 0 for n in nodes)
    assert any(n["state"] == "CLOSED" for n in nodes)


def test_history_is_deterministic_for_a_seed(make_emulator, app_headers):
    def titles() -> list[str]:
        emulator = make_emulator(scenario="demo", seed=7)
        token = installation_token(emulator, app_headers, install(emulator))
        response = requests.post(
            f"{emulator.url}/graphql",
            json={"query": PRS_QUERY, "variables": {"owner": "acme", "name": "web", "first": 30}},
            headers={"Authorization": f"bearer {token}"},
        )
        return [(n["number"], n["title"], n["reviews"]["totalCount"]) for n in response.json()["data"]["repository"]
                ["pullRequests"]["nodes"]]  # fmt: skip

    assert titles() == titles()


def test_pr_with_150_reviews_is_paged_through_pull_request_reviews(emulator, gql):
    created = requests.post(f"{emulator.url}/_emulator/pulls", json={"repository": "acme/api", "reviews": 150}).json()
    ids, after, pages = [], None, 0
    while True:
        body = gql(REVIEWS_QUERY, owner="acme", name="api", number=created["number"], after=after).json()
        reviews = body["data"]["repository"]["pullRequest"]["reviews"]
        assert reviews["totalCount"] == 150
        ids += [r["fullDatabaseId"] for r in reviews["nodes"]]
        pages += 1
        if not reviews["pageInfo"]["hasNextPage"]:
            break
        after = reviews["pageInfo"]["endCursor"]
    assert pages == 2 and len(ids) == len(set(ids)) == 150
    # The PR listing shows its first 100 and says there are more.
    first_page = gql(PRS_QUERY, owner="acme", name="api", first=5).json()["data"]["repository"]["pullRequests"]
    listed = next(n for n in first_page["nodes"] if n["number"] == created["number"])
    assert listed["reviews"]["pageInfo"]["hasNextPage"] and len(listed["reviews"]["nodes"]) == 100


def test_inaccessible_repository_is_not_found(emulator, app_headers):
    headers = {
        "Authorization": f"bearer {installation_token(emulator, app_headers, install(emulator, 'acme', ['acme/web']))}"
    }
    body = requests.post(
        f"{emulator.url}/graphql",
        json={"query": PRS_QUERY, "variables": {"owner": "acme", "name": "api", "first": 10}},
        headers=headers,
    ).json()
    assert body["errors"][0]["type"] == "NOT_FOUND"
    assert body["data"]["repository"] is None


def test_a_field_github_does_not_have_is_refused_as_github_refuses_it(gql):
    response = gql("query Viewer { viewer { login } }")
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {"message": "Cannot query field 'viewer' on type 'Query'.", "locations": [{"line": 1, "column": 16}]}
        ]
    }
    misspelled = gql(PRS_QUERY.replace("headRefName", "headRef"), owner="acme", name="api", first=1).json()
    assert "data" not in misspelled and "headRef" in misspelled["errors"][0]["message"]
    wrong_type = gql(PRS_QUERY, owner="acme", name="api", first="ten").json()
    assert "data" not in wrong_type and "Int cannot represent" in wrong_type["errors"][0]["message"]


def test_too_large_first_is_excessive_pagination(gql):
    body = gql(PRS_QUERY, owner="acme", name="api", first=101).json()
    assert body["errors"][0]["type"] == "EXCESSIVE_PAGINATION" and body["data"]["repository"] is None


def test_64_bit_ids_are_big_ints_as_strings_and_the_deprecated_int_cannot_carry_them(emulator, gql):
    """GitHub's ``Int`` is 32 bits: today's PR and review ids only fit ``fullDatabaseId`` (a ``BigInt`` string)."""
    created = requests.post(f"{emulator.url}/_emulator/pulls", json={"repository": "acme/api", "reviews": 1}).json()
    rest = requests.get(f"{emulator.url}/repos/acme/api/pulls/{created['number']}", headers=gql.headers).json()
    assert rest["id"] > INT32_MAX
    query = """query Ids($number: Int!) { repository(owner: "acme", name: "api") { pullRequest(number: $number) {
      fullDatabaseId databaseId reviews(first: 1) { nodes { fullDatabaseId } } } } }"""
    body = gql(query, number=created["number"]).json()
    pull = body["data"]["repository"]["pullRequest"]
    assert pull["fullDatabaseId"] == str(rest["id"]) and pull["databaseId"] is None
    assert int(pull["reviews"]["nodes"][0]["fullDatabaseId"]) > INT32_MAX
    assert body["errors"][0]["path"] == ["repository", "pullRequest", "databaseId"]
    assert "non 32-bit signed integer" in body["errors"][0]["message"]


def test_graphql_budget_exhaustion(emulator, gql):
    requests.post(f"{emulator.url}/_emulator/rate-limit", json={"graphql": 2})
    first = gql(PRS_QUERY, owner="acme", name="api", first=1)
    assert first.json()["data"]["rateLimit"] == {
        "cost": 1,
        "remaining": 1,
        "resetAt": first.json()["data"]["rateLimit"]["resetAt"],
    }
    assert first.headers["x-ratelimit-resource"] == "graphql"
    gql(PRS_QUERY, owner="acme", name="api", first=1)
    limited = gql(PRS_QUERY, owner="acme", name="api", first=1)
    assert limited.status_code == 200
    assert limited.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert limited.headers["x-ratelimit-remaining"] == "0"


def test_graphql_requires_an_installation_token(emulator):
    response = requests.post(
        f"{emulator.url}/graphql", json={"query": PRS_QUERY}, headers={"Authorization": "bearer x"}
    )
    assert response.status_code == 401


def test_ten_thousand_prs_with_three_reviews_are_each_served_once(emulator, gql):
    """The import benchmark's shape: every PR and review is served once (how fast is bench_import.py's to say)."""
    created = requests.post(
        f"{emulator.url}/_emulator/repositories",
        json={"owner": "acme", "name": "bench", "pull_requests": 10_000, "reviews_per_pr": 3},
    )
    assert created.status_code == 201
    numbers, reviews, after = set(), 0, None
    while True:
        data = gql(PRS_QUERY, owner="acme", name="bench", first=100, after=after).json()["data"]
        connection = data["repository"]["pullRequests"]
        numbers.update(n["number"] for n in connection["nodes"])
        reviews += sum(n["reviews"]["totalCount"] for n in connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(numbers) == 10_000 and reviews == 30_000


def test_the_demo_history_answers_review_requests_as_timeline_items_in_githubs_shape(gql):
    """Each reviewer of the demo's history was asked when the PR became ready: a ``ReviewRequestedEvent`` with
    ``createdAt``, the ``actor`` who asked and the ``requestedReviewer`` (a ``User``), oldest item first."""
    nodes, _ = all_prs(gql, "api")
    requests_made = [
        item
        for node in nodes
        for item in node["timelineItems"]["nodes"]
        if item["__typename"] == "ReviewRequestedEvent"
    ]
    assert requests_made
    item = requests_made[0]
    assert item["createdAt"].endswith("Z") and item["actor"]["__typename"] == "User"
    assert item["requestedReviewer"]["__typename"] == "User" and item["requestedReviewer"]["databaseId"] > 0
    for node in nodes:
        times = [item["createdAt"] for item in node["timelineItems"]["nodes"]]
        assert times == sorted(times)
        reviewers = {r["author"]["login"] for r in node["reviews"]["nodes"] if r["author"]}
        asked = {
            i["requestedReviewer"]["login"]
            for i in node["timelineItems"]["nodes"]
            if i["__typename"] == "ReviewRequestedEvent"
        }
        assert reviewers - {node["author"]["login"]} <= asked


def test_a_request_removed_and_a_team_requested_are_answered_and_paged(emulator, gql):
    from datetime import UTC, datetime, timedelta

    from github_app.api.installation import PULL_REQUEST_TIMELINE_QUERY
    from github_app.emulator.models import TimelineEvent

    repo = emulator.state.repo_by_full_name("acme/big")
    pr = emulator.state.materialize(repo, 1)
    at = datetime(2026, 1, 5, tzinfo=UTC)
    pr.timeline = [TimelineEvent("REVIEW_REQUESTED", at, actor="octocat", team="platform")]
    pr.timeline += [
        TimelineEvent("REVIEW_REQUEST_REMOVED", at + timedelta(seconds=k + 1), actor="octocat", reviewer="hubot")
        for k in range(120)
    ]
    first = gql(PULL_REQUEST_TIMELINE_QUERY, owner="acme", name="big", number=1).json()["data"]
    items = first["repository"]["pullRequest"]["timelineItems"]
    assert len(items["nodes"]) == 100 and items["pageInfo"]["hasNextPage"]
    assert items["nodes"][0]["requestedReviewer"] == {"__typename": "Team", "slug": "platform"}
    removed = items["nodes"][1]
    assert removed["__typename"] == "ReviewRequestRemovedEvent" and removed["requestedReviewer"]["login"] == "hubot"
    after = items["pageInfo"]["endCursor"]
    rest = gql(PULL_REQUEST_TIMELINE_QUERY, owner="acme", name="big", number=1, after=after).json()["data"]
    items = rest["repository"]["pullRequest"]["timelineItems"]
    assert len(items["nodes"]) == 21 and not items["pageInfo"]["hasNextPage"]
