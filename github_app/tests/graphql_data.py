"""GraphQL answers shaped as GitHub returns them for the import queries (the emulator answers the same)."""

from __future__ import annotations

from typing import Any


def author(typename: str = "User", login: str = "octocat", database_id: int | None = 1) -> dict[str, Any]:
    author: dict[str, Any] = {"__typename": typename, "login": login, "avatarUrl": "https://a.test/1"}
    if database_id is not None:
        author["databaseId"] = database_id
    return author


def pull_request_page_data() -> dict[str, Any]:
    """A `data` object shaped as GitHub answers REPOSITORY_PULL_REQUESTS_QUERY (ids past 2^31, as today's are)."""
    review = {
        "fullDatabaseId": "2147483728",
        "state": "CHANGES_REQUESTED",
        "submittedAt": "2024-03-02T10:00:00Z",
        "author": author("Bot", "renovate[bot]", 29139614),
    }
    node = {
        "fullDatabaseId": "2362920014",
        "number": 7,
        "title": "Add retries",
        "body": None,
        "state": "MERGED",
        "isDraft": False,
        "createdAt": "2024-03-01T09:00:00Z",
        "updatedAt": "2024-03-03T12:00:00Z",
        "closedAt": "2024-03-03T12:00:00Z",
        "mergedAt": "2024-03-03T12:00:00Z",
        "headRefName": "feature",
        "baseRefName": "main",
        "additions": 10,
        "deletions": 2,
        "changedFiles": 3,
        "author": author(),
        "labels": {"nodes": [{"name": "enhancement"}]},
        "reviews": {"totalCount": 101, "pageInfo": {"hasNextPage": True, "endCursor": "Y3Vyc29y"}, "nodes": [review]},
        "timelineItems": {
            "nodes": [
                {"__typename": "ConvertToDraftEvent", "createdAt": "2024-03-01T09:05:00Z"},
                {"__typename": "ReadyForReviewEvent", "createdAt": "2024-03-01T11:00:00Z"},
            ]
        },
    }
    return {
        "rateLimit": {"cost": 1, "remaining": 4999, "resetAt": "2024-03-03T13:00:00Z"},
        "repository": {
            "nameWithOwner": "octocat/Hello-World",
            "pullRequests": {"totalCount": 1, "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [node]},
        },
    }
