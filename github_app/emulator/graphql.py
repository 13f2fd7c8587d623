"""The two GraphQL queries tformance sends for backfill, answered in GitHub's schema shapes.

Queries are recognised by operation name, not parsed: the emulator serves the fields tformance
asks for. Each query costs 1 point of a per-installation GraphQL budget; an exhausted budget is
a 200 with a ``RATE_LIMITED`` error, as GitHub answers GraphQL.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

from .httpkit import Response, json_response
from .models import Installation, PullRequest, Repository, Review
from .shapes import avatar_url, iso

if TYPE_CHECKING:
    from .server import EmulatorServer

SUPPORTED = ("RepositoryPullRequests", "PullRequestReviews")
MAX_FIRST = 100
_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+(\w+)")
_REVIEWS_FIRST = re.compile(r"reviews\s*\(\s*first\s*:\s*(\d+)")


class GraphQLError(Exception):
    def __init__(self, type_: str, message: str, path: list[str] | None = None) -> None:
        super().__init__(message)
        self.body = {"type": type_, "message": message, **({"path": path} if path else {})}


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """Offset after which the next page starts; ``None`` means from the beginning."""
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1]) + 1
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise GraphQLError("INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor.") from exc


def execute(emulator: EmulatorServer, inst: Installation, body: Any) -> Response:
    from .server import rate_headers

    state = emulator.state
    query = str(body.get("query", "")) if isinstance(body, dict) else ""
    variables = (body.get("variables") or {}) if isinstance(body, dict) else {}
    found = _OPERATION.search(query)
    name = found.group(1) if found else None
    budget = state.budget("graphql", f"installation:{inst.id}")
    with state.lock:
        if name not in SUPPORTED:
            message = f"The emulator only answers {', '.join(SUPPORTED)} (got {name or 'an anonymous operation'})."
            return json_response(
                {"errors": [{"type": "NOT_SUPPORTED", "message": message}]}, headers=rate_headers(budget, "graphql")
            )
        if budget.remaining <= 0:
            error = {"type": "RATE_LIMITED", "message": f"API rate limit exceeded for installation ID {inst.id}."}
            return json_response({"errors": [error]}, headers=rate_headers(budget, "graphql"))
        budget.used += 1
        rate = {"cost": 1, "remaining": budget.remaining, "resetAt": iso(budget.reset_at)}
        headers = rate_headers(budget, "graphql")
        try:
            repo = _repository(emulator, inst, variables)
            reviews_first = int(m.group(1)) if (m := _REVIEWS_FIRST.search(query)) else MAX_FIRST
            if name == "RepositoryPullRequests":
                data = {"rateLimit": rate, "repository": _pull_requests(emulator, repo, variables, reviews_first)}
            else:
                data = {"rateLimit": rate, "repository": _reviews_of(emulator, repo, variables, reviews_first)}
        except GraphQLError as exc:
            return json_response(
                {"data": {"rateLimit": rate, "repository": None}, "errors": [exc.body]}, headers=headers
            )
    return json_response({"data": data}, headers=headers)


def _repository(emulator: EmulatorServer, inst: Installation, variables: dict[str, Any]) -> Repository:
    state = emulator.state
    full_name = f"{variables.get('owner')}/{variables.get('name')}"
    repo = state.repo_by_full_name(full_name)
    if repo is None or repo.id not in {r.id for r in state.installation_repos(inst)}:
        raise GraphQLError(
            "NOT_FOUND", f"Could not resolve to a Repository with the name '{full_name}'.", ["repository"]
        )
    return repo


def _first(value: Any, connection: str) -> int:
    first = int(value if value is not None else MAX_FIRST)
    if first < 1 or first > MAX_FIRST:
        raise GraphQLError(
            "EXCESSIVE_PAGINATION",
            f"Requesting {first} records on the `{connection}` connection "
            f"exceeds the `first` limit of {MAX_FIRST} records.",
        )
    return first


def _page(total: int, offset: int, first: int) -> tuple[range, dict[str, Any]]:
    window = range(offset, min(total, offset + first))
    end = encode_cursor(window[-1]) if window else None
    return window, {"hasNextPage": window.stop < total, "endCursor": end}


def _pull_requests(emulator: EmulatorServer, repo: Repository, variables: dict[str, Any], reviews_first: int) -> dict:
    state = emulator.state
    order = state.pr_order(repo)
    window, page_info = _page(
        len(order), decode_cursor(variables.get("after")), _first(variables.get("first"), "pullRequests")
    )
    nodes = []
    for index in window:
        pr = state.pull_request(repo, order[index])
        assert pr is not None
        nodes.append(_pr_node(emulator, pr, reviews_first))
    return {
        "databaseId": repo.id,
        "nameWithOwner": repo.full_name,
        "pullRequests": {"totalCount": len(order), "pageInfo": page_info, "nodes": nodes},
    }


def _reviews_of(emulator: EmulatorServer, repo: Repository, variables: dict[str, Any], first: int) -> dict:
    number = variables.get("number")
    pr = (
        emulator.state.pull_request(repo, int(number))
        if isinstance(number, int | str) and str(number).isdigit()
        else None
    )
    if pr is None:
        raise GraphQLError(
            "NOT_FOUND",
            f"Could not resolve to a PullRequest with the number of {number}.",
            ["repository", "pullRequest"],
        )
    return {"pullRequest": {"reviews": _reviews(emulator, pr.reviews, decode_cursor(variables.get("after")), first)}}


def _reviews(emulator: EmulatorServer, reviews: list[Review], offset: int, first: int) -> dict[str, Any]:
    window, page_info = _page(len(reviews), offset, _first(first, "reviews"))
    nodes = [
        {"databaseId": r.id, "state": r.state, "submittedAt": iso(r.submitted_at), "author": _actor(emulator, r.user)}
        for r in (reviews[i] for i in window)
    ]
    return {"totalCount": len(reviews), "pageInfo": page_info, "nodes": nodes}


def _actor(emulator: EmulatorServer, login: str) -> dict[str, Any]:
    """GraphQL ``Actor``: bots are ``Bot`` and, as on GitHub, their login has no ``[bot]`` suffix."""
    state = emulator.state
    account = state.account(login) or state.add_account(login)
    bot = account.type == "Bot"
    return {
        "__typename": "Bot" if bot else "User",
        "login": account.login.removesuffix("[bot]") if bot else account.login,
        "avatarUrl": avatar_url(state, account),
        "databaseId": account.id,
    }


def _pr_node(emulator: EmulatorServer, pr: PullRequest, reviews_first: int) -> dict[str, Any]:
    state = "MERGED" if pr.merged else pr.state.upper()
    timeline = [
        {
            "__typename": "ReadyForReviewEvent" if kind == "READY_FOR_REVIEW" else "ConvertToDraftEvent",
            "createdAt": iso(at),
        }
        for kind, at in pr.timeline
    ]
    return {
        "databaseId": pr.id,
        "number": pr.number,
        "title": pr.title,
        "body": pr.body,
        "state": state,
        "isDraft": pr.draft,
        "createdAt": iso(pr.created_at),
        "updatedAt": iso(pr.updated_at),
        "closedAt": iso(pr.closed_at),
        "mergedAt": iso(pr.merged_at),
        "headRefName": pr.head_ref,
        "baseRefName": pr.base_ref,
        "additions": pr.additions,
        "deletions": pr.deletions,
        "changedFiles": pr.changed_files,
        "author": _actor(emulator, pr.user),
        "labels": {"nodes": [{"name": name} for name in pr.labels[:20]]},
        "reviews": _reviews(emulator, pr.reviews, 0, reviews_first),
        "timelineItems": {"nodes": timeline},
    }
