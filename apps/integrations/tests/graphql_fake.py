"""A small GitHub GraphQL endpoint on a ``responses`` mock, answering the two import queries in GitHub's shape.

``RepositoryPullRequests`` pages through ``pullRequests(first, after, orderBy: UPDATED_AT DESC)`` with
``{"data": {"rateLimit": {...}, "repository": {"nameWithOwner", "pullRequests": {"totalCount",
"pageInfo": {"hasNextPage", "endCursor"}, "nodes": [...]}}}}``; ``PullRequestReviews`` pages one PR's reviews and
``PullRequestTimeline`` its timeline items (a node's ``all_timeline``), 100 at a time.
Faults (HTTP statuses) can be queued, and the reported budget set.

A node's ``all_timeline`` holds every timeline item of the PR, oldest first, each a dict with its ``__typename``
and fields as GitHub documents them (``ReadyForReviewEvent`` / ``ConvertToDraftEvent`` ``{createdAt, actor}``,
``ReviewRequestedEvent`` / ``ReviewRequestRemovedEvent`` ``{createdAt, actor, requestedReviewer}``): the fake
answers ``timelineItems`` with the items whose type the query's ``itemTypes`` names (``READY_FOR_REVIEW_EVENT``…),
as GitHub does. A node's ``reviewRequests`` (the requests pending now) is
answered only when the query asks for ``reviewRequests``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import responses

GRAPHQL = "https://api.github.com/graphql"
REPO_ID, FULL_NAME = 4242, "acme/api"
BASE = datetime(2026, 11, 1, tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def item_type(typename: str) -> str:
    """``ReviewRequestedEvent`` → ``REVIEW_REQUESTED_EVENT``: the ``PullRequestTimelineItemsItemType`` naming it."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", typename).upper()


def asked_item_types(query: str) -> set[str]:
    """The ``itemTypes: [...]`` of the query's ``timelineItems`` (empty: the query names none)."""
    found = re.search(r"itemTypes:\s*\[([^\]]*)\]", query)
    return {name.strip() for name in found.group(1).split(",") if name.strip()} if found else set()


def asked(items: list[dict[str, Any]], types: set[str]) -> list[dict[str, Any]]:
    """The timeline items whose type the query's ``itemTypes`` names (all of them when it names none)."""
    return [item for item in items if not types or item_type(item["__typename"]) in types]


def cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def offset_after(after: str | None) -> int:
    return int(base64.b64decode(after).decode().rsplit(":", 1)[1]) + 1 if after else 0


def pr_id(number: int) -> int:
    return 2**32 + number


def review_id(number: int, k: int) -> int:
    return 2**33 + 1000 * number + k


def actor(login: str, database_id: int, *, bot: bool = False) -> dict[str, Any]:
    return {"__typename": "Bot" if bot else "User", "login": login, "avatarUrl": "", "databaseId": database_id}


def review(review_id: int, *, reviewer: dict | None = None, state: str = "APPROVED", at: datetime = BASE) -> dict:
    author = reviewer or actor("bob", 2)
    return {"fullDatabaseId": str(review_id), "state": state, "submittedAt": iso(at), "author": author}


def pr_node(number: int, *, updated: datetime, reviews: int = 2, **fields: Any) -> dict[str, Any]:
    """A PR (``fullDatabaseId`` = 2^32 + number) with ``reviews`` reviews (ids 2^33 + 1000·number + k): ids
    past 2^31, as GitHub's are today, sent as ``BigInt`` strings."""
    created = updated - timedelta(days=2)
    node = {
        "fullDatabaseId": str(pr_id(number)),
        "number": number,
        "title": f"PR {number}",
        "body": "",
        "state": "MERGED",
        "isDraft": False,
        "createdAt": iso(created),
        "updatedAt": iso(updated),
        "closedAt": iso(updated),
        "mergedAt": iso(updated),
        "headRefName": f"feature/{number}",
        "baseRefName": "main",
        "additions": 10,
        "deletions": 2,
        "changedFiles": 1,
        "author": actor("alice", 1),
        "labels": {"nodes": []},
        "all_reviews": [review(review_id(number, k), at=created + timedelta(hours=k + 1)) for k in range(reviews)],
        "all_timeline": [],
    }
    node.update(fields)
    return node


def requested(login: str, database_id: int, at: datetime, *, removed: bool = False, by: str = "alice") -> dict:
    """A ``ReviewRequestedEvent`` (or ``ReviewRequestRemovedEvent``) naming a user, as GitHub answers it."""
    return {
        "__typename": "ReviewRequestRemovedEvent" if removed else "ReviewRequestedEvent",
        "createdAt": iso(at),
        "actor": actor(by, 1),
        "requestedReviewer": actor(login, database_id),
    }


def history(count: int, *, newest: datetime = BASE, step: timedelta = timedelta(hours=6), reviews: int = 2) -> list:
    """``count`` PRs, most recently updated first, one every ``step``."""
    return [pr_node(count - i, updated=newest - i * step, reviews=reviews) for i in range(count)]


class FakeGraphQL:
    def __init__(self, mock: responses.RequestsMock, nodes: list[dict[str, Any]]) -> None:
        self.nodes = nodes
        self.faults: list[int] = []
        self.remaining, self.reset_at = 4999, BASE + timedelta(hours=1)
        self.requests: list[dict[str, Any]] = []
        self.before_page: Callable[[int], None] | None = None  # called with the page index before answering
        mock.add_callback(responses.POST, GRAPHQL, callback=self._answer)

    def page_sizes(self) -> list[int]:
        return [r["variables"]["first"] for r in self.requests if "first" in r["variables"]]

    def _answer(self, request) -> tuple[int, dict, str]:
        body = json.loads(request.body)
        self.requests.append(body)
        if self.faults:
            return self.faults.pop(0), {}, json.dumps({"message": "Server Error"})
        rate = {"cost": 1, "remaining": self.remaining, "resetAt": iso(self.reset_at)}
        variables = body["variables"]
        if "PullRequestReviews" in body["query"]:
            data = {"rateLimit": rate, "repository": {"pullRequest": {"reviews": self._reviews(variables)}}}
        elif "PullRequestTimeline" in body["query"]:
            data = {
                "rateLimit": rate,
                "repository": {"pullRequest": {"timelineItems": self._timeline(variables, body["query"])}},
            }
        else:
            if self.before_page is not None:
                self.before_page(len([r for r in self.requests if "first" in r["variables"]]) - 1)
            data = {"rateLimit": rate, "repository": self._repository(variables, body["query"])}
        return 200, {}, json.dumps({"data": data})

    def _repository(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        start, first = offset_after(variables.get("after")), int(variables["first"])
        window = self.nodes[start : start + first]
        nodes, types = [], asked_item_types(query)
        for node in window:
            reviews = node["all_reviews"]
            timeline = asked(node.get("all_timeline", []), types)
            shown = {k: v for k, v in node.items() if k not in {"all_reviews", "all_timeline", "reviewRequests"}}
            shown.setdefault(
                "timelineItems",
                {
                    "totalCount": len(timeline),
                    "pageInfo": {"hasNextPage": len(timeline) > 100, "endCursor": cursor(min(len(timeline), 100) - 1)},
                    "nodes": timeline[:100],
                },
            )
            if "reviewRequests" in node and "reviewRequests" in query:
                shown["reviewRequests"] = node["reviewRequests"]
            shown["reviews"] = {
                "totalCount": len(reviews),
                "pageInfo": {"hasNextPage": len(reviews) > 100, "endCursor": cursor(min(len(reviews), 100) - 1)},
                "nodes": reviews[:100],
            }
            nodes.append(shown)
        end = start + len(window)
        return {
            "nameWithOwner": FULL_NAME,
            "pullRequests": {
                "totalCount": len(self.nodes),
                "pageInfo": {"hasNextPage": end < len(self.nodes), "endCursor": cursor(end - 1) if window else None},
                "nodes": nodes,
            },
        }

    def _reviews(self, variables: dict[str, Any]) -> dict[str, Any]:
        node = next(n for n in self.nodes if n["number"] == variables["number"])
        start = offset_after(variables.get("after"))
        window = node["all_reviews"][start : start + 100]
        end = start + len(window)
        return {
            "totalCount": len(node["all_reviews"]),
            "pageInfo": {"hasNextPage": end < len(node["all_reviews"]), "endCursor": cursor(end - 1)},
            "nodes": window,
        }

    def _timeline(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        node = next(n for n in self.nodes if n["number"] == variables["number"])
        start = offset_after(variables.get("after"))
        timeline = asked(node["all_timeline"], asked_item_types(query))
        window = timeline[start : start + 100]
        end = start + len(window)
        return {
            "pageInfo": {"hasNextPage": end < len(timeline), "endCursor": cursor(end - 1)},
            "nodes": window,
        }
