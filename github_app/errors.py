"""One exception tree for everything GitHub can answer, mapped from status codes in one place.

Callers catch the class they can act on: `RateLimited` (wait until `retry_at`), `NotFound`
(the installation or repository is gone), `Unauthorized` (credentials rejected), and so on.
No exception message or repr ever contains a token, a JWT or a secret: messages are built from
the HTTP method, the URL path and GitHub's own `message` field only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

# GitHub does not say how long to wait after a secondary rate limit without headers; its docs
# ask clients to wait at least one minute.
DEFAULT_RATE_LIMIT_WAIT = 60.0


class GitHubError(Exception):
    """Base of every error this library raises about GitHub."""

    def __init__(self, message: str, *, status: int | None = None, documentation_url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.documentation_url = documentation_url


class NotFound(GitHubError):
    """404: the resource does not exist or the credentials cannot see it (GitHub hides both the same way)."""


class Unauthorized(GitHubError):
    """401: the JWT or token was rejected (expired, revoked, wrong key)."""


class Forbidden(GitHubError):
    """403 that is not a rate limit: missing permission, suspended installation, blocked resource."""


class RateLimited(GitHubError):
    """Primary or secondary rate limit. `retry_at` is the epoch second when a retry may succeed.

    The client never sleeps through a rate limit (that can be an hour); the caller reschedules.
    """

    def __init__(
        self, message: str, *, retry_at: float, status: int | None = None, secondary: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(message, status=status, **kwargs)
        self.retry_at = retry_at
        self.secondary = secondary


def is_secondary_limit(headers: Mapping[str, str]) -> bool:
    """A rate-limited answer is the primary limit when it says the budget is spent (`x-ratelimit-remaining: 0`
    without `retry-after`: wait for `x-ratelimit-reset`, exactly); anything else is a secondary limit, where
    GitHub asks for exponentially longer waits if it keeps happening ("Rate limits for the REST API")."""
    return headers.get("retry-after") is not None or headers.get("x-ratelimit-remaining") != "0"


class ValidationFailed(GitHubError):
    """422: GitHub understood the request but rejected its content (`errors` holds GitHub's details)."""

    def __init__(self, message: str, *, errors: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = tuple(errors)


class ServerError(GitHubError):
    """5xx: GitHub failed; retried with backoff before this is raised."""


class TransportError(GitHubError):
    """The request never got an HTTP answer: DNS, connection refused/reset, timeout, TLS."""


class UnexpectedResponse(GitHubError):
    """GitHub answered successfully but with a body this library cannot read (not JSON, wrong shape)."""


class GraphQLError(GitHubError):
    """A GraphQL request answered 200 with an `errors` list; `errors` keeps GitHub's list as sent."""

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, Any]], data: Any = None) -> None:
        super().__init__(message, status=200)
        self.errors = tuple(errors)
        self.data = data


class InstallationNotFound(NotFound):
    """`POST /app/installations/{id}/access_tokens` answered 404: the app was uninstalled."""


class InstallationSuspended(Forbidden):
    """`POST /app/installations/{id}/access_tokens` answered 403 "This installation has been suspended"."""


class OAuthError(GitHubError):
    """The OAuth code exchange answered 200 with `error` (bad_verification_code, redirect_uri_mismatch...)."""

    def __init__(self, message: str, *, error: str) -> None:
        super().__init__(message, status=200)
        self.error = error


def _body_message(response: requests.Response) -> tuple[str, str | None, list[Any]]:
    """GitHub error bodies look like `{"message": "...", "documentation_url": "...", "errors": [...]}`."""
    try:
        body = response.json()
    except ValueError:
        return (response.reason or "").strip(), None, []
    if not isinstance(body, Mapping):
        return "", None, []
    message = body.get("message")
    doc = body.get("documentation_url")
    errors = body.get("errors")
    return (
        message if isinstance(message, str) else "",
        doc if isinstance(doc, str) else None,
        errors if isinstance(errors, list) else [],
    )


def rate_limit_retry_at(headers: Mapping[str, str], now: float) -> float | None:
    """When a rate-limited request may be retried, or None if the headers do not say it is rate limited.

    `retry-after: <seconds>` (secondary limits, 429) wins; otherwise `x-ratelimit-remaining: 0`
    with `x-ratelimit-reset: <epoch seconds>` (primary limit).
    """
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return now + max(0.0, float(retry_after))
        except ValueError:
            return now + DEFAULT_RATE_LIMIT_WAIT
    if headers.get("x-ratelimit-remaining") == "0":
        try:
            return float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return now + DEFAULT_RATE_LIMIT_WAIT
    return None


def _mentions_rate_limit(error: Any) -> bool:
    message = error.get("message") if isinstance(error, Mapping) else error
    return isinstance(message, str) and "rate limit" in message.lower()


def graphql_rate_limit_retry_at(errors: Sequence[Any], headers: Mapping[str, str], now: float) -> float | None:
    """When a GraphQL answer of 200 carrying `errors` is a rate limit, the epoch second a retry may succeed.

    GitHub's GraphQL rate-limit docs: the primary limit answers 200 with an error and
    `x-ratelimit-remaining: 0` (retry after `x-ratelimit-reset`); a secondary limit answers 200 (or 403,
    mapped by `error_for_response`) with an error message, and `Retry-After` when it says how long.
    Errors may be typed `RATE_LIMITED` or carry only a message. Without a header the wait is a minute.
    None: the errors are the query's own (not found, invalid), even if that query spent the last point.
    """
    types = {e.get("type") for e in errors if isinstance(e, Mapping) and e.get("type")}
    says_so = "RATE_LIMITED" in types or any(_mentions_rate_limit(e) for e in errors)
    if says_so or headers.get("retry-after") is not None or (not types and headers.get("x-ratelimit-remaining") == "0"):
        return rate_limit_retry_at(headers, now) or now + DEFAULT_RATE_LIMIT_WAIT
    return None


# GitHub's answer when a GraphQL query ran out of time: a 200 carrying an untyped error. Like a 502, a smaller
# or later query usually succeeds, so it is a ServerError (retryable), not the query's own error.
GRAPHQL_TIMEOUT_MARKERS = ("something went wrong while executing your query", "timeout", "timed out")


def graphql_error_for(
    errors: Sequence[Any], headers: Mapping[str, str], *, now: float, data: Any = None
) -> GitHubError:
    """THE mapping of a GraphQL answer of 200 carrying `errors`: a rate limit (`RateLimited`), a timeout
    (`ServerError`), or the query's own errors (`GraphQLError`, GitHub's list kept)."""
    messages = "; ".join(str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors)
    retry_at = graphql_rate_limit_retry_at(errors, headers, now)
    if retry_at is not None:
        secondary = "RATE_LIMITED" not in {e.get("type") for e in errors if isinstance(e, Mapping)} or (
            is_secondary_limit(headers)
        )
        return RateLimited(f"GraphQL rate limited: {messages}", retry_at=retry_at, status=200, secondary=secondary)
    untyped = not any(isinstance(e, Mapping) and e.get("type") for e in errors)
    if untyped and any(marker in messages.lower() for marker in GRAPHQL_TIMEOUT_MARKERS):
        return ServerError(f"GraphQL timed out: {messages}", status=200)
    mappings = [e if isinstance(e, Mapping) else {"message": str(e)} for e in errors]
    return GraphQLError(f"GraphQL errors: {messages}", errors=mappings, data=data)


def error_for_response(response: requests.Response, *, now: float, what: str) -> GitHubError | None:
    """THE mapping from an HTTP answer to the exception tree; None for a success (< 400).

    `what` names the request ("GET /app/installations") for the message; it must not hold secrets.
    """
    status = response.status_code
    if status < 400:
        return None
    message, doc, errors = _body_message(response)
    text = f"GitHub answered {status} to {what}" + (f": {message}" if message else "")
    kwargs: dict[str, Any] = {"status": status, "documentation_url": doc}
    if status in (403, 429):
        retry_at = rate_limit_retry_at(response.headers, now)
        if retry_at is None and (status == 429 or "rate limit" in message.lower()):
            retry_at = now + DEFAULT_RATE_LIMIT_WAIT
        if retry_at is not None:
            return RateLimited(text, retry_at=retry_at, secondary=is_secondary_limit(response.headers), **kwargs)
    if status >= 500:
        return ServerError(text, **kwargs)
    mapped: dict[int, type[GitHubError]] = {401: Unauthorized, 403: Forbidden, 404: NotFound}
    if status == 422:
        return ValidationFailed(text, errors=errors, **kwargs)
    return mapped.get(status, GitHubError)(text, **kwargs)
