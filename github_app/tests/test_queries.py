"""Parsing the import GraphQL answers into typed values."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from github_app import UnexpectedResponse, parse_pull_request_page, parse_review_page
from github_app.tests.graphql_data import author, pull_request_page_data


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
    from github_app.queries import PULL_REQUEST_REVIEWS_QUERY, REPOSITORY_PULL_REQUESTS_QUERY

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
