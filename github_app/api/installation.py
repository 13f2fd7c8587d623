"""Calls made on behalf of one installation, with its installation token (`Authorization: token ...`), and the
GraphQL documents the import sends with the parsing of their answers into typed values.

Import reads 50 pull requests per request with up to 100 reviews and 100 timeline items each (draft/ready
transitions, review requests and their removals), so one query replaces ~100 REST calls. Every field is checked
against GitHub's schema (the emulator validates each document; tests/conformance checks it against GitHub's
published schema).
Review and pull-request states are lower-cased to match the REST/webhook spelling (`approved`,
`changes_requested`, `open`, `merged`).

Ids: pull requests and reviews are read from `fullDatabaseId` (a `BigInt`, sent as a string), equal to
the webhook's `pull_request.id` / `review.id`. Their `databaseId` is a deprecated 32-bit `Int`, and
today's ids no longer fit it (GitHub answers null or an error). People keep `User`/`Bot.databaseId`,
the only id GitHub's schema has for them; user ids are far below 2^31.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from github_app._reader import Reader
from github_app.accounts import is_bot_account
from github_app.api.compare import Comparison, compare_commits
from github_app.auth import InstallationAuth
from github_app.client import GitHubClient, RateLimit
from github_app.credentials import AppCredentials
from github_app.errors import UnexpectedResponse
from github_app.retry import RetryPolicy, SecondaryLimitStrikes
from github_app.tokens import InstallationTokenProvider

# GitHub's "Permissions required for GitHub Apps": every App has "Metadata" (read), which covers
# GET /installation/repositories and the repository events; the pull requests, their reviews and timeline items read
# through GraphQL (and the pull_request / pull_request_review events) need "Pull requests" (read).
METADATA_PERMISSION = ("metadata", "read")
PULL_REQUESTS_PERMISSION = ("pull_requests", "read")
# "Contents" (read) covers GET /repos/{owner}/{repo}/compare/{basehead}, which tells a deployment's commits.
CONTENTS_PERMISSION = ("contents", "read")


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

    def compare(self, owner: str, name: str, base: str, head: str) -> Comparison:
        """`GET /repos/{owner}/{repo}/compare/{base}...{head}`, every page of its commits (github_app.api.compare)."""
        return compare_commits(self.client, owner, name, base, head)

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


# The GraphQL documents of the import: a page of pull requests, and the further reviews or timeline items
# of one pull request that has more than a page holds.

_PERSON = "__typename login avatarUrl ... on User { databaseId } ... on Bot { databaseId }"
_ACTOR = f"author {{ {_PERSON} }}"
_REVIEW_FIELDS = f"fullDatabaseId state submittedAt {_ACTOR}"
# ``requestedReviewer`` is the union ``RequestedReviewer = Bot | Mannequin | Team | User``: a person is read through
# the ``Actor`` interface its members share; a team has only its slug (webhooks: ``requested_team``).
_REQUESTED = (
    "requestedReviewer { __typename ... on Actor { login avatarUrl } ... on User { databaseId } "
    "... on Bot { databaseId } ... on Team { slug } }"
)
_WHEN_WHO = f"createdAt actor {{ {_PERSON} }}"
# The timeline items the metrics read, in GitHub's order (oldest first). A PR with more than one page of them is
# completed with ``PULL_REQUEST_TIMELINE_QUERY``.
TIMELINE_ITEM_TYPES = (
    "READY_FOR_REVIEW_EVENT",
    "CONVERT_TO_DRAFT_EVENT",
    "REVIEW_REQUESTED_EVENT",
    "REVIEW_REQUEST_REMOVED_EVENT",
    "CLOSED_EVENT",
    "REOPENED_EVENT",
)
_TIMELINE_NODES = (
    f"nodes {{ __typename ... on ReadyForReviewEvent {{ {_WHEN_WHO} }} ... on ConvertToDraftEvent {{ {_WHEN_WHO} }} "
    f"... on ReviewRequestedEvent {{ {_WHEN_WHO} {_REQUESTED} }} "
    f"... on ReviewRequestRemovedEvent {{ {_WHEN_WHO} {_REQUESTED} }} "
    f"... on ClosedEvent {{ createdAt }} ... on ReopenedEvent {{ {_WHEN_WHO} }} }}"
)
_TIMELINE_ARGS = f"itemTypes: [{', '.join(TIMELINE_ITEM_TYPES)}]"

REPOSITORY_PULL_REQUESTS_QUERY = f"""
query RepositoryPullRequests($owner: String!, $name: String!, $first: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    nameWithOwner
    pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        fullDatabaseId number title body state isDraft createdAt updatedAt closedAt mergedAt mergeCommit {{ oid }}
        headRefName baseRefName additions deletions changedFiles
        {_ACTOR}
        labels(first: 20) {{ nodes {{ name }} }}
        reviews(first: 100) {{
          totalCount
          pageInfo {{ hasNextPage endCursor }}
          nodes {{ {_REVIEW_FIELDS} }}
        }}
        timelineItems(first: 100, {_TIMELINE_ARGS}) {{
          pageInfo {{ hasNextPage endCursor }}
          {_TIMELINE_NODES}
        }}
      }}
    }}
  }}
}}
""".strip()

PULL_REQUEST_REVIEWS_QUERY = f"""
query PullRequestReviews($owner: String!, $name: String!, $number: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{
      reviews(first: 100, after: $after) {{
        totalCount
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {_REVIEW_FIELDS} }}
      }}
    }}
  }}
}}
""".strip()

PULL_REQUEST_TIMELINE_QUERY = f"""
query PullRequestTimeline($owner: String!, $name: String!, $number: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{
      timelineItems(first: 100, after: $after, {_TIMELINE_ARGS}) {{
        pageInfo {{ hasNextPage endCursor }}
        {_TIMELINE_NODES}
      }}
    }}
  }}
}}
""".strip()


# Their answers as typed values.


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    cost: int
    remaining: int
    reset_at: datetime


@dataclass(frozen=True, slots=True)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@dataclass(frozen=True, slots=True)
class Actor:
    """A PR or review author. `database_id` is None for actors that are neither User nor Bot (Mannequin)."""

    typename: str
    login: str
    avatar_url: str
    database_id: int | None

    @property
    def is_bot(self) -> bool:
        return is_bot_account(type_name=self.typename, login=self.login)


@dataclass(frozen=True, slots=True)
class ReviewNode:
    database_id: int
    state: str
    submitted_at: datetime | None
    author: Actor | None


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """`ReadyForReviewEvent`, `ConvertToDraftEvent`, `ReviewRequestedEvent`, `ReviewRequestRemovedEvent`,
    `ClosedEvent` or `ReopenedEvent`: when it
    happened and who did it; for a review request, the person asked (`requested_reviewer`, a User, Bot or
    Mannequin) or the team (`requested_team`, its slug)."""

    typename: str
    created_at: datetime | None
    actor: Actor | None = None
    requested_reviewer: Actor | None = None
    requested_team: str | None = None


@dataclass(frozen=True, slots=True)
class PullRequestNode:
    database_id: int
    number: int
    title: str
    body: str | None
    state: str
    is_draft: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    merged_at: datetime | None
    head_ref_name: str
    base_ref_name: str
    additions: int | None
    deletions: int | None
    changed_files: int | None
    author: Actor | None
    labels: tuple[str, ...]
    reviews: tuple[ReviewNode, ...]
    reviews_total_count: int
    reviews_page_info: PageInfo
    timeline_items: tuple[TimelineItem, ...]
    timeline_page_info: PageInfo = PageInfo(has_next_page=False, end_cursor=None)
    # ``mergeCommit.oid``: the commit the merge made on the base branch; GitHub answers null until merged.
    merge_commit_oid: str | None = None


@dataclass(frozen=True, slots=True)
class TimelinePage:
    rate_limit: RateLimitInfo | None
    page_info: PageInfo
    items: tuple[TimelineItem, ...]


@dataclass(frozen=True, slots=True)
class PullRequestPage:
    rate_limit: RateLimitInfo | None
    name_with_owner: str
    total_count: int
    page_info: PageInfo
    pull_requests: tuple[PullRequestNode, ...]


@dataclass(frozen=True, slots=True)
class ReviewPage:
    rate_limit: RateLimitInfo | None
    total_count: int
    page_info: PageInfo
    reviews: tuple[ReviewNode, ...]


def _rate_limit(r: Reader | None) -> RateLimitInfo | None:
    if r is None:
        return None
    return RateLimitInfo(cost=r.integer("cost"), remaining=r.integer("remaining"), reset_at=r.timestamp("resetAt"))


def _page_info(r: Reader) -> PageInfo:
    return PageInfo(has_next_page=r.flag("hasNextPage"), end_cursor=r.opt_text("endCursor"))


def _actor(r: Reader | None) -> Actor | None:
    if r is None:
        return None
    return Actor(
        typename=r.text("__typename"),
        login=r.text("login"),
        avatar_url=r.opt_text("avatarUrl") or "",
        database_id=r.opt_integer("databaseId"),
    )


def _requested(r: Reader | None) -> tuple[Actor | None, str | None]:
    """A ``RequestedReviewer``: a person (as an ``Actor``) or a team's slug; null when the account is gone."""
    if r is None:
        return None, None
    if r.text("__typename") == "Team":
        return None, r.text("slug")
    return _actor(r), None


def _timeline_item(r: Reader) -> TimelineItem:
    reviewer, team = _requested(r.opt_obj("requestedReviewer"))
    return TimelineItem(
        typename=r.text("__typename"),
        created_at=r.opt_timestamp("createdAt"),
        actor=_actor(r.opt_obj("actor")),
        requested_reviewer=reviewer,
        requested_team=team,
    )


def _review(r: Reader) -> ReviewNode:
    return ReviewNode(
        database_id=r.big_integer("fullDatabaseId"),
        state=r.text("state").lower(),
        submitted_at=r.opt_timestamp("submittedAt"),
        author=_actor(r.opt_obj("author")),
    )


def _pull_request(r: Reader) -> PullRequestNode:
    reviews, timeline = r.obj("reviews"), r.obj("timelineItems")
    timeline_page = timeline.opt_obj("pageInfo")
    return PullRequestNode(
        database_id=r.big_integer("fullDatabaseId"),
        number=r.integer("number"),
        title=r.text("title"),
        body=r.opt_text("body"),
        state=r.text("state").lower(),
        is_draft=r.flag("isDraft", default=False),
        created_at=r.timestamp("createdAt"),
        updated_at=r.timestamp("updatedAt"),
        closed_at=r.opt_timestamp("closedAt"),
        merged_at=r.opt_timestamp("mergedAt"),
        head_ref_name=r.text("headRefName"),
        base_ref_name=r.text("baseRefName"),
        additions=r.opt_integer("additions"),
        deletions=r.opt_integer("deletions"),
        changed_files=r.opt_integer("changedFiles"),
        author=_actor(r.opt_obj("author")),
        labels=tuple(label.text("name") for label in r.obj("labels").objects("nodes")),
        reviews=tuple(_review(node) for node in reviews.objects("nodes")),
        reviews_total_count=reviews.integer("totalCount"),
        reviews_page_info=_page_info(reviews.obj("pageInfo")),
        timeline_items=tuple(_timeline_item(item) for item in timeline.objects("nodes")),
        timeline_page_info=_page_info(timeline_page) if timeline_page else PageInfo(False, None),
        merge_commit_oid=_merge_commit_oid(r),
    )


def _merge_commit_oid(r: Reader) -> str | None:
    merge_commit = r.opt_obj("mergeCommit")
    return merge_commit.text("oid") if merge_commit is not None and r.opt_timestamp("mergedAt") else None


def parse_pull_request_page(data: dict[str, Any]) -> PullRequestPage:
    """Parse the `data` of `REPOSITORY_PULL_REQUESTS_QUERY`; `UnexpectedResponse` names a bad field."""
    root = Reader(data, "", UnexpectedResponse)
    repository = root.obj("repository")
    prs = repository.obj("pullRequests")
    return PullRequestPage(
        rate_limit=_rate_limit(root.opt_obj("rateLimit")),
        name_with_owner=repository.text("nameWithOwner"),
        total_count=prs.integer("totalCount"),
        page_info=_page_info(prs.obj("pageInfo")),
        pull_requests=tuple(_pull_request(node) for node in prs.objects("nodes", optional=False)),
    )


def parse_review_page(data: dict[str, Any]) -> ReviewPage:
    """Parse the `data` of `PULL_REQUEST_REVIEWS_QUERY`."""
    root = Reader(data, "", UnexpectedResponse)
    reviews = root.obj("repository").obj("pullRequest").obj("reviews")
    return ReviewPage(
        rate_limit=_rate_limit(root.opt_obj("rateLimit")),
        total_count=reviews.integer("totalCount"),
        page_info=_page_info(reviews.obj("pageInfo")),
        reviews=tuple(_review(node) for node in reviews.objects("nodes", optional=False)),
    )


def parse_timeline_page(data: dict[str, Any]) -> TimelinePage:
    """Parse the `data` of `PULL_REQUEST_TIMELINE_QUERY`."""
    root = Reader(data, "", UnexpectedResponse)
    timeline = root.obj("repository").obj("pullRequest").obj("timelineItems")
    return TimelinePage(
        rate_limit=_rate_limit(root.opt_obj("rateLimit")),
        page_info=_page_info(timeline.obj("pageInfo")),
        items=tuple(_timeline_item(node) for node in timeline.objects("nodes", optional=False)),
    )
