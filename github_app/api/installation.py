"""Calls made on behalf of one installation, with its installation token (`Authorization: token ...`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from github_app.auth import InstallationAuth
from github_app.client import GitHubClient, RateLimit
from github_app.credentials import AppCredentials
from github_app.queries import (
    PULL_REQUEST_REVIEWS_QUERY,
    PULL_REQUEST_TIMELINE_QUERY,
    REPOSITORY_PULL_REQUESTS_QUERY,
    PullRequestPage,
    ReviewPage,
    TimelinePage,
    parse_pull_request_page,
    parse_review_page,
    parse_timeline_page,
)
from github_app.retry import RetryPolicy, SecondaryLimitStrikes
from github_app.tokens import InstallationTokenProvider

# GitHub's "Permissions required for GitHub Apps": every App has "Metadata" (read), which covers
# GET /installation/repositories and the repository events; the pull requests, their reviews and timeline items read
# through GraphQL (and the pull_request / pull_request_review events) need "Pull requests" (read).
METADATA_PERMISSION = ("metadata", "read")
PULL_REQUESTS_PERMISSION = ("pull_requests", "read")


class InstallationAPI:
    """REST and GraphQL as one installation. A 401 drops the cached token, mints once more and retries once."""

    def __init__(
        self,
        credentials: AppCredentials,
        session: requests.Session,
        tokens: InstallationTokenProvider,
        installation_id: int,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
        strikes: SecondaryLimitStrikes | None = None,
        repository_ids: tuple[int, ...] | None = None,
    ) -> None:
        """`repository_ids`: call with a token scoped to those repositories only (an import needs one)."""
        self.installation_id = int(installation_id)
        self.client = GitHubClient(
            credentials.api_url,
            session,
            auth=InstallationAuth(tokens, self.installation_id, repository_ids),
            graphql_url=credentials.graphql_url,
            clock=clock,
            sleep=sleep,
            retry=retry,
            strikes=strikes,
        )

    def __repr__(self) -> str:
        return f"InstallationAPI(installation_id={self.installation_id})"

    @property
    def rate_limit(self) -> RateLimit | None:
        """The budget GitHub reported on the latest response (None before the first call)."""
        return self.client.rate_limit

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Any REST GET as this installation, decoded JSON."""
        return self.client.get(path, params)

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A GraphQL query as this installation; returns `data`."""
        return self.client.graphql(query, variables)

    def list_repositories(self) -> Iterator[dict[str, Any]]:
        """`GET /installation/repositories`, every page: the repositories this installation can see.

        Body: `{"total_count": n, "repositories": [{"id", "full_name", "private", "archived", ...}]}`.
        """
        return self.client.paginate("/installation/repositories", key="repositories")

    def list_repositories_if_changed(self, etag: str | None) -> tuple[list[dict[str, Any]] | None, str | None]:
        """`GET /installation/repositories` as a conditional request: `(None, etag)` when unchanged since the answer
        that carried `etag` (304, free of the primary rate limit), else every repository and the new `ETag`."""
        return self.client.list_if_changed("/installation/repositories", key="repositories", etag=etag)

    def pull_requests_page(
        self, owner: str, name: str, *, first: int = 50, after: str | None = None
    ) -> PullRequestPage:
        """One page of a repository's pull requests (most recently updated first) for import."""
        variables = {"owner": owner, "name": name, "first": first, "after": after}
        return parse_pull_request_page(self.graphql(REPOSITORY_PULL_REQUESTS_QUERY, variables))

    def reviews_page(self, owner: str, name: str, number: int, *, after: str | None = None) -> ReviewPage:
        """Further reviews of one pull request, when it has more than the 100 the page query returns."""
        variables = {"owner": owner, "name": name, "number": number, "after": after}
        return parse_review_page(self.graphql(PULL_REQUEST_REVIEWS_QUERY, variables))

    def timeline_page(self, owner: str, name: str, number: int, *, after: str | None = None) -> TimelinePage:
        """Further timeline items of one pull request, when it has more than the 100 the page query returns."""
        variables = {"owner": owner, "name": name, "number": number, "after": after}
        return parse_timeline_page(self.graphql(PULL_REQUEST_TIMELINE_QUERY, variables))
