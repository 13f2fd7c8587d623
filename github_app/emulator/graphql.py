"""GitHub's GraphQL endpoint: every document parsed, validated and executed against ``schema.graphql``.

The schema is the project's own subset of GitHub's (the types and fields tformance reads, with GitHub's
types), so a query GitHub would refuse is refused here: an unknown or misspelled field, a wrong argument
type, a fragment on a type that cannot occur. Values are serialised as GitHub serialises them: an ``Int``
holds 32 bits only (a larger id is ``null`` plus an error, as the deprecated ``databaseId`` fields answer
for today's ids) and ``BigInt`` is a string. Each query costs what GitHub's documented formula gives ("Rate limits
and node limits for the GraphQL API": the requests needed to fill every connection at its ``first``/``last`` size,
divided by 100, rounded, at least 1) from a per-installation budget; an exhausted budget is a 200 with a
``RATE_LIMITED`` error, as GitHub answers GraphQL.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    parse,
    validate,
    value_from_ast_untyped,
)

from .deploy_store import merge_commit_sha
from .httpkit import Response, json_response
from .models import Installation, PullRequest, Repository, Review, TimelineEvent, Token
from .shapes import avatar_url, iso

if TYPE_CHECKING:
    from .server import EmulatorServer

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")
MAX_FIRST = 100
GHOST_LOGIN = "ghost"  # REST and webhooks show a deleted account as this user; GraphQL's ``author`` is null
# ``TimelineEvent.kind`` -> the GraphQL type of its ``timelineItems`` node (the item type is the kind + ``_EVENT``).
TIMELINE_TYPES = {
    "READY_FOR_REVIEW": "ReadyForReviewEvent",
    "CONVERT_TO_DRAFT": "ConvertToDraftEvent",
    "REVIEW_REQUESTED": "ReviewRequestedEvent",
    "REVIEW_REQUEST_REMOVED": "ReviewRequestRemovedEvent",
    "CLOSED": "ClosedEvent",
    "REOPENED": "ReopenedEvent",
}
REQUEST_KINDS = frozenset({"REVIEW_REQUESTED", "REVIEW_REQUEST_REMOVED"})


class TypedError(Exception):
    """An error GitHub reports with a top-level ``type`` (``NOT_FOUND``, ``EXCESSIVE_PAGINATION`` …)."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_


def _serialize_big_int(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise GraphQLError(f"BigInt cannot represent value: {value!r}")
    return str(int(value))


@cache
def schema() -> GraphQLSchema:
    """The subset schema, built once; ``BigInt`` serialises to a string as on GitHub."""
    built = build_schema(SCHEMA_FILE.read_text())
    big_int = built.type_map["BigInt"]
    big_int.serialize = _serialize_big_int  # type: ignore[attr-defined]  # graphql-core 3.2
    big_int.coerce_output_value = _serialize_big_int  # type: ignore[attr-defined]  # 3.3 renamed it
    return built


@lru_cache(maxsize=64)
def _document(query: str) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
    """Parsed and validated once per distinct query text (tformance sends two): ``(document, errors)``."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, (dict(exc.formatted),)
    errors = validate(schema(), document)
    return (None, tuple(dict(e.formatted) for e in errors)) if errors else (document, ())


def check_document(query: str) -> list[str]:
    """Why GitHub would refuse this document (syntax, unknown fields, wrong types); empty when it is valid."""
    return [error["message"] for error in _document(query)[1]]


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """Offset after which the next page starts; ``None`` means from the beginning."""
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1]) + 1
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise TypedError("INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor.") from exc


def _errors(result_errors: list[GraphQLError] | None) -> list[dict[str, Any]]:
    """GraphQL errors as GitHub lists them: GitHub's own kinds carry a top-level ``type``."""
    out = []
    for error in result_errors or []:
        formatted = dict(error.formatted)
        if isinstance(error.original_error, TypedError):
            formatted["type"] = error.original_error.type
        out.append(formatted)
    return out


def query_cost(document: DocumentNode, variables: dict[str, Any] | None, operation: str | None = None) -> int:
    """GitHub's documented point cost of a query: every connection (a field given ``first`` or ``last``) needs as many
    requests as the product of its enclosing connections' sizes (1 at the top level); their sum divided by 100 and
    rounded to the nearest whole number is the cost, and a call costs at least 1 point."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next((o for o in operations if operation and o.name and o.name.value == operation), None)
    op = chosen or (operations[0] if operations else None)
    if op is None:
        return 1
    values = dict(variables or {})
    for definition in op.variable_definitions or ():
        if definition.variable.name.value not in values and definition.default_value is not None:
            values[definition.variable.name.value] = value_from_ast_untyped(definition.default_value)

    def size(field: FieldNode) -> int | None:
        for argument in field.arguments or ():
            if argument.name.value in ("first", "last"):
                value = value_from_ast_untyped(argument.value, values)
                return int(value) if isinstance(value, int) else MAX_FIRST
        return None

    def requests(selection_set: SelectionSetNode | None, multiplier: int, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                first = size(selection)
                if first is not None:
                    total += multiplier + requests(selection.selection_set, multiplier * first, seen)
                else:
                    total += requests(selection.selection_set, multiplier, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += requests(selection.selection_set, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    total += requests(fragment.selection_set, multiplier, seen | {selection.name.value})
        return total

    return max(1, math.floor(requests(op.selection_set, 1, frozenset()) / 100 + 0.5))


def execute(emulator: EmulatorServer, inst: Installation, body: Any, token: Token | None = None) -> Response:
    from .server import rate_headers

    state = emulator.state
    query = body.get("query") if isinstance(body, dict) else None
    variables = body.get("variables") if isinstance(body, dict) else None
    budget = state.budget("graphql", f"installation:{inst.id}")
    headers = rate_headers(budget, "graphql")
    if not isinstance(query, str) or not query.strip():
        return json_response({"errors": [{"message": "A query attribute must be specified and must be a string."}]})
    document, errors = _document(query)
    if document is None:
        return json_response({"errors": list(errors)}, headers=headers)
    operation = body.get("operationName")
    cost = query_cost(
        document,
        variables if isinstance(variables, dict) else None,
        operation if isinstance(operation, str) else None,
    )
    with state.lock:
        if budget.remaining < cost:
            error = {"type": "RATE_LIMITED", "message": f"API rate limit exceeded for installation ID {inst.id}."}
            return json_response({"errors": [error]}, headers=rate_headers(budget, "graphql"))
        budget.used += cost
        rate = {
            "cost": cost,
            "limit": budget.limit,
            "nodeCount": 0,
            "remaining": budget.remaining,
            "resetAt": iso(budget.reset_at),
            "used": budget.used,
        }
        headers = rate_headers(budget, "graphql")
        root = {"rateLimit": rate, "repository": _repository_resolver(emulator, inst, token)}
        result = execute_sync(
            schema(),
            document,
            root_value=root,
            variable_values=variables if isinstance(variables, dict) else None,
            operation_name=operation if isinstance(operation, str) else None,
        )
    # Variables that do not fit their types fail before execution: then, as the spec says, there is no `data`.
    answer: dict[str, Any] = {} if result.data is None else {"data": result.data}
    if result.errors:
        answer["errors"] = _errors(result.errors)
    return json_response(answer, headers=headers)


def _repository_resolver(
    emulator: EmulatorServer, inst: Installation, token: Token | None = None
) -> Callable[..., dict[str, Any]]:
    def repository(info: Any, owner: str, name: str, **_: Any) -> dict[str, Any]:
        state = emulator.state
        full_name = f"{owner}/{name}"
        repo = state.repo_by_full_name(full_name)
        if repo is None or repo.id not in {r.id for r in state.installation_repos(inst, token)}:
            raise TypedError("NOT_FOUND", f"Could not resolve to a Repository with the name '{full_name}'.")
        return _repository(emulator, repo)

    return repository


def _first(value: Any, connection: str) -> int:
    first = int(value if value is not None else MAX_FIRST)
    if first < 1 or first > MAX_FIRST:
        raise TypedError(
            "EXCESSIVE_PAGINATION",
            f"Requesting {first} records on the `{connection}` connection "
            f"exceeds the `first` limit of {MAX_FIRST} records.",
        )
    return first


def _page(total: int, offset: int, first: int) -> tuple[range, dict[str, Any]]:
    window = range(offset, min(total, offset + first))
    start = encode_cursor(window[0]) if window else None
    end = encode_cursor(window[-1]) if window else None
    return window, {
        "hasNextPage": window.stop < total,
        "hasPreviousPage": offset > 0,
        "startCursor": start,
        "endCursor": end,
    }


def _repository(emulator: EmulatorServer, repo: Repository) -> dict[str, Any]:
    state = emulator.state

    def pull_requests(info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
        order = state.pr_order(repo)
        window, page_info = _page(len(order), decode_cursor(after), _first(first, "pullRequests"))
        nodes = []
        for index in window:
            pr = state.pull_request(repo, order[index])
            if pr is None:
                raise RuntimeError("the emulator's state is inconsistent")
            nodes.append(_pr_node(emulator, pr))
        return {"totalCount": len(order), "pageInfo": page_info, "nodes": nodes}

    def pull_request(info: Any, number: int) -> dict[str, Any] | None:
        pr = state.pull_request(repo, number)
        if pr is None:
            raise TypedError("NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}.")
        return _pr_node(emulator, pr)

    return {
        "databaseId": repo.id,
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "pullRequests": pull_requests,
        "pullRequest": pull_request,
    }


def _reviews(emulator: EmulatorServer, reviews: list[Review], offset: int, first: int | None) -> dict[str, Any]:
    window, page_info = _page(len(reviews), offset, _first(first, "reviews"))
    nodes = [
        {
            "databaseId": r.id,
            "fullDatabaseId": r.id,
            "state": r.state,
            "submittedAt": iso(r.submitted_at),
            "body": r.body or "",
            "author": _actor(emulator, r.user),
        }
        for r in (reviews[i] for i in window)
    ]
    return {"totalCount": len(reviews), "pageInfo": page_info, "nodes": nodes}


def _actor(emulator: EmulatorServer, login: str) -> dict[str, Any] | None:
    """GraphQL ``Actor``: ``None`` for a deleted account (GitHub's "ghost"); bots are ``Bot`` and, as on GitHub,
    their login has no ``[bot]`` suffix; a ``Mannequin`` (a placeholder for an imported user) has its own id."""
    if login == GHOST_LOGIN:
        return None
    state = emulator.state
    account = state.account(login) or state.add_account(login)
    typename = {"Bot": "Bot", "Mannequin": "Mannequin"}.get(account.type, "User")
    return {
        "__typename": typename,
        "login": account.login.removesuffix("[bot]") if typename == "Bot" else account.login,
        "avatarUrl": avatar_url(state, account),
        "databaseId": account.id,
    }


def _timeline_node(emulator: EmulatorServer, event: TimelineEvent) -> dict[str, Any]:
    """A ``timelineItems`` node: ``createdAt`` and ``actor``; a review request also names ``requestedReviewer``,
    a ``User``/``Bot`` (null for a deleted account) or a ``Team``."""
    node: dict[str, Any] = {
        "__typename": TIMELINE_TYPES[event.kind],
        "createdAt": iso(event.at),
        "actor": _actor(emulator, event.actor) if event.actor else None,
    }
    if event.kind in REQUEST_KINDS:
        if event.team:
            node["requestedReviewer"] = {"__typename": "Team", "slug": event.team, "name": event.team}
        else:
            node["requestedReviewer"] = _actor(emulator, event.reviewer) if event.reviewer else None
    return node


def _pr_node(emulator: EmulatorServer, pr: PullRequest) -> dict[str, Any]:
    def reviews(info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
        return _reviews(emulator, pr.reviews, decode_cursor(after), first)

    def labels(info: Any, first: int | None = None, **_: Any) -> dict[str, Any]:
        names = pr.labels[: _first(first, "labels")]
        return {"totalCount": len(pr.labels), "nodes": [{"name": name} for name in names]}

    def timeline_items(
        info: Any, first: int | None = None, after: str | None = None, itemTypes: list[str] | None = None, **_: Any
    ) -> dict[str, Any]:
        events = sorted(pr.timeline, key=lambda event: event.at)  # GitHub lists a timeline oldest first
        if itemTypes is not None:
            events = [event for event in events if f"{event.kind}_EVENT" in itemTypes]
        window, page_info = _page(len(events), decode_cursor(after), _first(first, "timelineItems"))
        nodes = [_timeline_node(emulator, events[i]) for i in window]
        return {"totalCount": len(events), "pageInfo": page_info, "nodes": nodes}

    return {
        "databaseId": pr.id,
        "fullDatabaseId": pr.id,
        "number": pr.number,
        "title": pr.title,
        "body": pr.body or "",
        "state": "MERGED" if pr.merged else pr.state.upper(),
        "isDraft": pr.draft,
        "createdAt": iso(pr.created_at),
        "updatedAt": iso(pr.updated_at),
        "closedAt": iso(pr.closed_at),
        "mergedAt": iso(pr.merged_at),
        "mergeCommit": {"oid": merge_commit_sha(pr)} if pr.merged else None,
        "headRefName": pr.head_ref,
        "baseRefName": pr.base_ref,
        "additions": pr.additions,
        "deletions": pr.deletions,
        "changedFiles": pr.changed_files,
        "author": _actor(emulator, pr.user),
        "labels": labels,
        "reviews": reviews,
        "timelineItems": timeline_items,
    }
