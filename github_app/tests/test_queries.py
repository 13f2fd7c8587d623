"""Parsing the backfill GraphQL answers into typed values."""

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
    assert (page.repository_database_id, page.name_with_owner, page.total_count) == (1296269, "octocat/Hello-World", 1)
    assert page.page_info.has_next_page is False
    pr = page.pull_requests[0]
    assert (pr.database_id, pr.number, pr.state, pr.body) == (279147437, 7, "merged", None)
    assert pr.merged_at == datetime(2024, 3, 3, 12, tzinfo=UTC)
    assert pr.labels == ("enhancement",)
    assert pr.author.database_id == 1 and not pr.author.is_bot
    review = pr.reviews[0]
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
            {"databaseId": 1, "state": "APPROVED", "submittedAt": "2024-01-01T00:00:00Z", "author": author()},
            {"databaseId": 2, "state": "PENDING", "submittedAt": None, "author": None},
        ],
    }
    page = parse_review_page({"rateLimit": None, "repository": {"pullRequest": {"reviews": reviews}}})
    assert [r.state for r in page.reviews] == ["approved", "pending"]
    assert page.reviews[1].submitted_at is None
    assert page.rate_limit is None
