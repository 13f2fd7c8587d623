"""The one HTTP client every GitHub call goes through.

It owns what is true of all REST/GraphQL calls: base URL, GitHub's media type and API version
headers, timeouts, mapping statuses to exceptions (`errors.error_for_response`), retrying 5xx and
transport failures with jittered backoff, one re-authentication after a 401, Link pagination,
GraphQL `errors`, and remembering the last rate-limit budget GitHub reported.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from github_app.auth import Auth
from github_app.errors import (
    GitHubError,
    RateLimited,
    TransportError,
    UnexpectedResponse,
    error_for_response,
    graphql_error_for,
)
from github_app.pagination import parse_link_header, same_origin
from github_app.retry import RetryPolicy, SecondaryLimitStrikes, backoff_delay, secondary_limit_wait, should_retry

API_VERSION = "2022-11-28"
DEFAULT_TIMEOUT = (5.0, 30.0)


@dataclass(frozen=True)
class RateLimit:
    """The budget from `x-ratelimit-limit/-remaining/-reset/-resource` of the latest response."""

    limit: int
    remaining: int
    reset_at: float
    resource: str


def rate_limit_from_headers(headers: Mapping[str, str]) -> RateLimit | None:
    try:
        return RateLimit(
            limit=int(headers["x-ratelimit-limit"]),
            remaining=int(headers["x-ratelimit-remaining"]),
            reset_at=float(headers["x-ratelimit-reset"]),
            resource=headers.get("x-ratelimit-resource", "core"),
        )
    except (KeyError, ValueError):
        return None


def parse_json(response: requests.Response, what: str) -> Any:
    """Decoded body; None for empty bodies (204, some 202s)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponse(f"{what} answered {response.status_code} with a body that is not JSON") from None


class GitHubClient:
    """REST + GraphQL over an injected `requests.Session` (so connection pooling and test mocks are the caller's)."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        *,
        auth: Auth | None = None,
        graphql_url: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        user_agent: str = "tformance",
        strikes: SecondaryLimitStrikes | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.graphql_url = graphql_url or self.base_url + "/graphql"
        self.rate_limit: RateLimit | None = None
        self._session, self._auth, self._timeout = session, auth, timeout
        self._retry = retry or RetryPolicy()
        self._clock, self._sleep, self._rand = clock, sleep, rand
        self._user_agent = user_agent
        self._strikes, self._calm = strikes, False

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, auth={self._auth!r})"

    def url(self, path_or_url: str) -> str:
        """Absolute URL for a path; absolute URLs (Link headers, GraphQL) pass through unchanged."""
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": self._user_agent,
        }
        if self._auth is not None:
            headers["Authorization"] = self._auth.authorization()
        headers.update(extra or {})
        return headers

    def _attempt(self, method: str, url: str, what: str, kwargs: dict[str, Any]) -> requests.Response:
        """One HTTP exchange, failures raised as the library's exceptions."""
        try:
            response = self._session.request(method, url, timeout=self._timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransportError(f"No answer from GitHub to {what}: {type(exc).__name__}") from None
        limit = rate_limit_from_headers(response.headers)
        if limit is not None:
            self.rate_limit = limit
        error = error_for_response(response, now=self._clock(), what=what)
        if error is not None:
            raise error
        return response

    def send(
        self, method: str, path_or_url: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send with retries and one re-authentication; returns the successful `requests.Response`.

        kwargs go to `requests` (params, json, data). Raises a `GitHubError` subclass otherwise.
        """
        url = self.url(path_or_url)
        what = f"{method} {urlsplit(url).path}"
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            request_headers = self._headers(headers)  # may mint a token: its errors are not retried twice
            try:
                response = self._attempt(method, url, what, {"headers": request_headers, **kwargs})
            except RateLimited as exc:
                raise self._limited(exc) from None
            except GitHubError as exc:
                if exc.status == 401 and not refreshed and self._auth is not None and self._auth.refresh():
                    refreshed = True
                    continue
                if not should_retry(attempt=attempt, max_attempts=self._retry.max_attempts, status=exc.status):
                    raise
                self._sleep(backoff_delay(attempt, base=self._retry.base, cap=self._retry.cap, rand=self._rand()))
                continue
            return response

    def _limited(self, exc: RateLimited) -> RateLimited:
        """A secondary limit met again waits longer each time (`retry.secondary_limit_wait`), counted per credential
        across workers; the primary limit's reset time is exact and left as GitHub gave it."""
        if exc.secondary and self._strikes is not None:
            now = self._clock()
            strike = self._strikes.strike()
            exc.retry_at = now + secondary_limit_wait(strike, github_wait=max(0.0, exc.retry_at - now))
            self._calm = False
        return exc

    def _answered(self) -> None:
        """An answer that is not a rate limit ends a streak of secondary limits (checked once per client)."""
        if self._strikes is not None and not self._calm:
            self._strikes.clear()
            self._calm = True

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        """Send and return the decoded JSON body (None when empty)."""
        response = self.send(method, path_or_url, **kwargs)
        self._answered()
        return parse_json(response, f"{method} {urlsplit(response.url or '').path}")

    def get(self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET `path` (relative to the base URL, or absolute) with query `params`; decoded JSON."""
        return self.request("GET", path, params=params, **kwargs)

    def get_object(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET an endpoint whose body is one JSON object (`GET /app`, `GET /user`); anything else is
        `UnexpectedResponse`, so callers index the answer without re-checking its shape."""
        body = self.get(path, params)
        if not isinstance(body, dict):
            raise UnexpectedResponse(f"GET {urlsplit(self.url(path)).path} did not return an object")
        return body

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """POST a JSON body (or `data=` form fields); decoded JSON, None for an empty answer (202/204)."""
        return self.request("POST", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, key: str | None = None, per_page: int = 100
    ) -> Iterator[Any]:
        """Yield every item of every page, following `Link: <...>; rel="next"`.

        Bodies are either a bare JSON array (`GET /app/installations`) or an object
        `{"total_count": n, "<key>": [...]}` (`GET /installation/repositories`, key "repositories").
        """
        url: str | None = self.url(path)
        query: dict[str, Any] | None = {"per_page": per_page, **(params or {})}
        while url is not None:
            response = self.send("GET", url, params=query)
            self._answered()
            body = parse_json(response, f"GET {urlsplit(url).path}")
            items = body.get(key) if key is not None and isinstance(body, Mapping) else body
            if not isinstance(items, list):
                where = f" under {key!r}" if key else ""
                raise UnexpectedResponse(f"GET {urlsplit(url).path} did not return a list{where}")
            yield from items
            url, query = parse_link_header(response.headers.get("Link")).get("next"), None
            if url is not None and not same_origin(url, self.base_url):
                raise UnexpectedResponse("GitHub's Link header points at another host; not following it")

    def list_if_changed(
        self, path: str, *, key: str, etag: str | None, per_page: int = 100
    ) -> tuple[list[Any] | None, str | None]:
        """A list read with a conditional request (GitHub's "Best practices for using the REST API": send the
        `ETag` of the last answer as `If-None-Match`; a `304 Not Modified` does not count against the primary rate
        limit). Returns `(None, etag)` when GitHub answers 304, else `(items, etag)` — every page's items, and the
        new `ETag` when the list fits on one page (None for a longer list, read again with `paginate`: a 304 carries
        no `Link`, so only a one-page list can be known unchanged from its first page)."""
        headers = {"If-None-Match": etag} if etag else None
        url = self.url(path)
        response = self.send("GET", url, params={"per_page": per_page}, headers=headers)
        self._answered()
        if response.status_code == 304:
            return None, etag
        body = parse_json(response, f"GET {urlsplit(url).path}")
        items = body.get(key) if isinstance(body, Mapping) else body
        if not isinstance(items, list):
            raise UnexpectedResponse(f"GET {urlsplit(url).path} did not return a list under {key!r}")
        if "next" not in parse_link_header(response.headers.get("Link")):
            return list(items), response.headers.get("ETag")
        return list(self.paginate(path, key=key, per_page=per_page)), None  # rare: read again, page by page

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST the query; return `data`. A 200 carrying `errors` raises what `errors.graphql_error_for` maps it to:
        `RateLimited` for every rate-limit shape GitHub documents for GraphQL, `ServerError` for a timeout,
        `GraphQLError` otherwise (a 403 limit is mapped with every other status by `errors.error_for_response`)."""
        response = self.send("POST", self.graphql_url, json={"query": query, "variables": dict(variables or {})})
        body = parse_json(response, "POST graphql")
        if not isinstance(body, Mapping):
            raise UnexpectedResponse("GraphQL answered with a body that is not an object")
        errors = body.get("errors")
        if errors:
            errors = list(errors) if isinstance(errors, list) else [{"message": str(errors)}]
            error = graphql_error_for(errors, response.headers, now=self._clock(), data=body.get("data"))
            raise self._limited(error) if isinstance(error, RateLimited) else error
        self._answered()
        data = body.get("data")
        if not isinstance(data, dict):
            raise UnexpectedResponse("GraphQL answered without a `data` object")
        return data
