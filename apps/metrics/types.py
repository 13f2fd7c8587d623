"""The plain input types of the metrics core.

``apps.metrics`` never sees a GitHub payload: webhook handlers and the GraphQL import map what GitHub sends
into these frozen dataclasses and call the services with them. Times are GitHub's own timestamps (timezone-aware),
never the time a delivery arrived: an action without a timestamp of its own (``ready_for_review``,
``converted_to_draft``, ``reopened``) is given the snapshot's ``updated_at`` by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models


@dataclass(frozen=True, slots=True)
class GitHubPerson:
    """A GitHub account as seen in a payload. ``github_id`` is the identity; ``login`` follows renames."""

    github_id: int
    login: str
    avatar_url: str = ""
    is_bot: bool = False  # decided by github_app's one rule (``is_bot_account``: the type, or a ``[bot]`` login)
    name: str = ""
    # GitHub's time of the payload that described the account (its ``updated_at`` or ``submitted_at``), so an older
    # delivery, redelivered after a rename, never brings the old login back. None: as of now.
    seen_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PullRequestSnapshot:
    """A pull request as GitHub described it at ``updated_at`` (a webhook's ``pull_request`` or a GraphQL node)."""

    github_pr_id: int
    number: int
    github_repo_id: int
    github_repo: str
    title: str
    body: str
    author: GitHubPerson | None
    state: str  # "open" | "closed" as GitHub says; ``merged`` decides merged
    merged: bool
    is_draft: bool
    head_ref: str
    base_ref: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    merged_at: datetime | None
    additions: int | None
    deletions: int | None
    changed_files: int | None
    labels: tuple[str, ...] = ()
    # The commit the merge made on the base branch (``merge_commit_sha`` / ``mergeCommit.oid``), None until merged
    # or when not said; the commit a deployment's compare lists, whether the PR was squashed, rebased or merged.
    merge_commit_sha: str | None = None
    # The ``pull_request`` webhook action that sent this snapshot ("" for a review payload's PR or an import).
    # GitHub's timestamps are whole seconds, so two snapshots can tie; the action then says which part is news.
    action: str = ""
    # Read from GitHub's API (an import), not sent by an event: the PR as it was when fetched, after every event of
    # its ``updated_at`` second, so on a tie it is the truth rather than one more same-second event.
    fetched: bool = False


@dataclass(frozen=True, slots=True)
class ReviewSnapshot:
    """A review; ``state`` in any case (webhooks send lower case, REST and GraphQL upper case)."""

    github_review_id: int
    reviewer: GitHubPerson | None
    state: str
    submitted_at: datetime | None


class TimelineKind(models.TextChoices):
    OPENED = "opened", "Opened"
    READY = "ready", "Ready for review"
    DRAFT = "draft", "Converted to draft"
    REVIEW_REQUESTED = "review_requested", "Review requested"
    REVIEW_REQUEST_REMOVED = "review_request_removed", "Review request removed"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    MERGED = "merged", "Merged"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One dated thing that happened to a PR. ``subject`` is who it happened to, e.g. the requested reviewer."""

    kind: str
    occurred_at: datetime
    actor: GitHubPerson | None = None
    subject: GitHubPerson | None = None


@dataclass(frozen=True, slots=True)
class DeploymentSnapshot:
    """One GitHub deployment as a ``deployment`` or ``deployment_status`` event describes it.

    ``run_id`` is the Actions workflow run that made it, when GitHub says so: every GitHub deployment of one run
    (reusable workflows, re-run attempts) is the same deployment as the keys count it. ``production_environment`` and
    ``transient_environment`` are GitHub's flags, None when the payload predates them (the team's rule decides).
    """

    github_deployment_id: int
    github_repo_id: int
    github_repo: str
    environment: str
    sha: str
    ref: str
    created_at: datetime
    run_id: int | None = None
    run_attempt: int | None = None
    production_environment: bool | None = None
    transient_environment: bool | None = None


@dataclass(frozen=True, slots=True)
class DeploymentStatusSnapshot:
    """One state of a GitHub deployment (``deployment_status``): queued, pending, in_progress, success, failure,
    error. ``log_url`` is where its log is (GitHub's ``log_url``, else its older ``target_url``)."""

    github_status_id: int
    state: str
    created_at: datetime
    description: str = ""
    log_url: str = ""
    environment_url: str = ""
