"""People, pull requests and reviews as tformance stores them.

Identity is GitHub's numeric ids: ``github_id`` for people, ``github_pr_id`` (the global ``pull_request.id``,
not the per-repository ``number``) for pull requests, ``github_review_id`` for reviews. Names are display
data and follow renames.
"""

from __future__ import annotations

from django.db import models

from apps.metrics.models.deployments import (
    Deployment,
    DeploymentAttempt,
    DeploymentChange,
    DeploymentSource,
    DeploymentStatus,
    ProductionReason,
)
from apps.metrics.types import TimelineKind
from apps.teams.models import BaseTeamModel

__all__ = [
    "Deployment",
    "DeploymentAttempt",
    "DeploymentChange",
    "DeploymentSource",
    "DeploymentStatus",
    "MetricsRecompute",
    "PREvent",
    "PRReview",
    "ProductionReason",
    "PullRequest",
    "PullRequestState",
    "RecomputeStatus",
    "ReviewState",
    "TeamMember",
]


class TeamMember(BaseTeamModel):
    """A GitHub user seen in the team's data. Created on first sight so no PR or review is ever dropped."""

    display_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    github_id = models.BigIntegerField()
    github_username = models.CharField(max_length=255)
    avatar_url = models.URLField(max_length=500, blank=True)
    is_bot = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True, help_text="Hidden members are left out of the dashboard.")
    login_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="GitHub's time of the payload the login, name and avatar were read from."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "github_id"], name="unique_team_member_github_id")]
        ordering = ("github_username",)

    def __str__(self) -> str:
        return self.display_name or self.github_username


class PullRequestState(models.TextChoices):
    OPEN = "open", "Open"
    MERGED = "merged", "Merged"
    CLOSED = "closed", "Closed"


# Columns ``selectors.scope.pull_request_scope`` tests, besides the team.
SCOPE_COLUMNS = ("author", "is_bot_author", "github_repo_id")
# The same columns copied onto each review (``PRReview``), in the same order.
REVIEW_SCOPE_COLUMNS = ("pr_author", "pr_is_bot_author", "pr_github_repo_id")
# What the summary and the weekly trends read from the PRs merged in a period.
MERGED_FIGURES = (
    "merged_without_review",
    "is_revert",
    "is_hotfix",
    "draft_seconds",
    "pickup_seconds",
    "review_phase_seconds",
    "merge_wait_seconds",
)
# The PR table's sort columns (``merged_at`` and ``pr_created_at`` are the index keys themselves).
TABLE_SORT_COLUMNS = ("cycle_time_seconds", "review_time_seconds", "additions", "deletions")


class PullRequest(BaseTeamModel):
    github_pr_id = models.BigIntegerField(help_text="GitHub's global pull_request.id.")
    number = models.IntegerField()
    github_repo_id = models.BigIntegerField()
    github_repo = models.CharField(max_length=255, help_text="Repository full name (display only).")
    title = models.TextField(blank=True)
    author = models.ForeignKey(
        TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="pull_requests"
    )
    state = models.CharField(max_length=10, choices=PullRequestState.choices, default=PullRequestState.OPEN)
    is_draft = models.BooleanField(default=False)
    head_ref = models.CharField(max_length=255, blank=True)
    base_ref = models.CharField(max_length=255, blank=True)
    pr_created_at = models.DateTimeField()
    pr_updated_at = models.DateTimeField()
    ready_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    first_review_at = models.DateTimeField(null=True, blank=True)
    # Durations are exact whole seconds (GitHub's resolution), rounded only for display (rules.duration_text).
    cycle_time_seconds = models.IntegerField(null=True, blank=True)
    review_time_seconds = models.IntegerField(null=True, blank=True)
    additions = models.IntegerField(null=True, blank=True)
    deletions = models.IntegerField(null=True, blank=True)
    changed_files = models.IntegerField(null=True, blank=True)
    is_revert = models.BooleanField(default=False)
    is_hotfix = models.BooleanField(default=False)
    labels = models.JSONField(default=list, blank=True)
    # Derived by services.recompute from the reviews and timeline events; never written by hand.
    is_bot_author = models.BooleanField(default=False)
    merged_without_review = models.BooleanField(default=False)
    last_approval_at = models.DateTimeField(null=True, blank=True)
    # The breakdown of a merged PR's cycle time; the four parts always add up to cycle_time_seconds exactly.
    draft_seconds = models.IntegerField(null=True, blank=True)
    pickup_seconds = models.IntegerField(null=True, blank=True)
    review_phase_seconds = models.IntegerField(null=True, blank=True)
    merge_wait_seconds = models.IntegerField(null=True, blank=True)
    # The commit the merge made on the base branch (squash, rebase or merge commit), as GitHub names it on both
    # roads; what a deployment's compare is searched for. Null (not "") until merged, or when GitHub did not say: a
    # snapshot that does not say it keeps what is stored, as for the sizes (services.pull_requests.UNKNOWN_WHEN_NONE).
    merge_commit_sha = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "github_pr_id"], name="unique_team_pull_request")]
        indexes = [
            # The dashboard's three windows (merged, first review, opened) as covering indexes: each carries the id,
            # the scope's columns and the figures read in that window, so a period is one index range read in order,
            # whatever the team's history, never a visit to each PR's row (PostgreSQL; SQLite ignores INCLUDE).
            models.Index(
                fields=["team", "merged_at"],
                include=["id", *SCOPE_COLUMNS, *MERGED_FIGURES, *TABLE_SORT_COLUMNS, "pr_created_at"],
                name="pr_team_merged_cover_idx",
            ),
            models.Index(fields=["team", "github_repo_id", "github_repo"], name="pr_team_repo_name_idx"),
            models.Index(
                fields=["team", "first_review_at"],
                include=["id", *SCOPE_COLUMNS, "review_time_seconds"],
                name="pr_team_first_review_cov_idx",
            ),
            models.Index(fields=["team", "state"], name="pr_team_state_idx"),
            models.Index(
                fields=["team", "pr_created_at"],
                include=["id", *SCOPE_COLUMNS, *TABLE_SORT_COLUMNS, "merged_at"],
                name="pr_team_created_cover_idx",
            ),
            models.Index(fields=["team", "author"], name="pr_team_author_idx"),  # people page counts
            # A deployment's changes: the team's PRs of one repository whose merge commit a compare listed.
            models.Index(fields=["team", "github_repo_id", "merge_commit_sha"], name="pr_team_repo_merge_sha_idx"),
            # Open PRs with the columns the dashboard's scope tests, so open review requests are read from the
            # index alone, however long the team's history (``state`` changes rarely: cheap to maintain).
            models.Index(
                fields=["team", "id", "author", "is_bot_author", "github_repo_id"],
                condition=models.Q(state="open"),
                name="pr_team_open_scope_idx",
            ),
        ]
        ordering = ("-pr_created_at",)

    def __str__(self) -> str:
        return f"{self.github_repo}#{self.number}"


class ReviewState(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    COMMENTED = "commented", "Commented"
    DISMISSED = "dismissed", "Dismissed"
    PENDING = "pending", "Pending"


# A review given to someone else: submitted, not on the reviewer's own PR. What the people page counts per person, as
# reviewer load counts reviews (which also leaves out hidden people and bots, whose rows the people page shows).
REVIEW_GIVEN = models.Q(submitted_at__isnull=False) & ~models.Q(pr_author=models.F("reviewer"))


class PRReview(BaseTeamModel):
    github_review_id = models.BigIntegerField()
    # Indexed by ``review_pr_reviewer_at_idx``, which starts with it.
    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="reviews", db_index=False)
    reviewer = models.ForeignKey(TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews")
    state = models.CharField(max_length=20, choices=ReviewState.choices)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Set on a reviewer's first counted review of a PR: seconds from their review request (or the PR's ready_at).
    response_seconds = models.IntegerField(null=True, blank=True)
    # Copies of the PR's scope columns (``SCOPE_COLUMNS``), so reviewer load reads a period's reviews from one
    # index range instead of joining every review to its PR (a hash of the team's whole history, growing with it).
    # Derived like the metrics: ``services.recompute.metrics_apply`` keeps them equal to the PR's on every write.
    # No index of its own: only a member's deletion looks reviews up by it, and members are hidden, not deleted.
    pr_author = models.ForeignKey(
        TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    pr_is_bot_author = models.BooleanField(default=False)
    pr_github_repo_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "github_review_id"], name="unique_team_review")]
        indexes = [
            # Reviews of a period read from the index alone, with what reviewer load needs of each.
            models.Index(
                fields=["team", "submitted_at"],
                include=["id", "reviewer", "response_seconds", *REVIEW_SCOPE_COLUMNS],
                name="review_team_submitted_cov_idx",
            ),
            # Each reviewer's first responses alone (not every review) by date: a reviewer's response list
            # reads one range, without the reviews that are not a first of a PR.
            models.Index(
                fields=["team", "reviewer", "submitted_at"],
                include=["id", "response_seconds", *REVIEW_SCOPE_COLUMNS],
                condition=models.Q(response_seconds__isnull=False),
                name="review_team_response_cov_idx",
            ),
            # Each reviewer's reviews of a period, with what reviewer load reads of each: the dashboard counts a
            # reviewer's reviews and takes the median of their first responses in one range per reviewer.
            models.Index(
                fields=["team", "reviewer", "submitted_at"],
                include=["response_seconds", *REVIEW_SCOPE_COLUMNS],
                name="review_team_reviewer_cov_idx",
            ),
            # People page counts: (team, reviewer) alone, of the reviews that count as one (``REVIEW_GIVEN``), so
            # each person's count is one range of a narrow index rather than a filtered pass over the wide one above.
            models.Index(fields=["team", "reviewer"], condition=REVIEW_GIVEN, name="review_team_given_idx"),
            # The reviews that decide a PR's metrics, by index probes whatever the PR's history
            # (``services.deciding_reviews``): its reviewers in order, each one's first and latest review, ...
            models.Index(fields=["pull_request", "reviewer", "submitted_at", "id"], name="review_pr_reviewer_at_idx"),
            # ... each one's last approval (before the merge) without walking their other reviews, ...
            models.Index(
                fields=["pull_request", "reviewer", "submitted_at", "id"],
                condition=models.Q(state="approved"),
                name="review_pr_approval_idx",
            ),
            # ... each one's last request for changes (it withdraws their earlier approval), ...
            models.Index(
                fields=["pull_request", "reviewer", "submitted_at", "id"],
                condition=models.Q(state="changes_requested"),
                name="review_pr_changes_idx",
            ),
            # ... and the few reviews holding a response time (about one per reviewer).
            models.Index(
                fields=["pull_request"],
                condition=models.Q(response_seconds__isnull=False),
                name="review_pr_response_idx",
            ),
        ]
        ordering = ("submitted_at",)

    def __str__(self) -> str:
        return f"{self.state} review on {self.pull_request}"


class PREvent(BaseTeamModel):
    """One dated fact of a PR's timeline: opened, ready, draft, review requested, closed, reopened, merged.

    Recorded idempotently: the unique constraint covers the subject's GitHub id (0 when there is none) rather
    than the nullable subject FK, because NULLs never collide in a unique index on SQLite or PostgreSQL.
    """

    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject = models.ForeignKey(TeamMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject_github_id = models.BigIntegerField(default=0)
    # On a ``review_requested`` entry: the PR is open, and the requested reviewer has neither reviewed since nor
    # had the request withdrawn after it. Derived like the metrics (``services.recompute.metrics_apply`` keeps it
    # equal to the PR's stored facts on every write), so open review requests are read from a partial index of
    # the requests open now, not re-derived from every request the team ever made on every view. A database
    # default too, so code from before the column (still running during a deploy) can insert entries.
    is_open_request = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "pull_request", "kind", "occurred_at", "subject_github_id"], name="unique_pr_event"
            )
        ]
        indexes = [
            # Open review requests: the requests of each open PR, with whom and when, from the index alone.
            models.Index(
                fields=["team", "kind", "pull_request"],
                include=["subject", "occurred_at"],
                name="prevent_team_kind_pr_idx",
            ),
            # The requests open now. Only review requests are ever flagged open; the predicate says so, so the
            # panel's "kind = review_requested" is answered by the index, not by a visit to each request's row.
            models.Index(
                fields=["team", "pull_request", "subject"],
                condition=models.Q(is_open_request=True, kind=TimelineKind.REVIEW_REQUESTED),
                name="prevent_open_request_idx",
            ),
        ]
        ordering = ("occurred_at", "kind")

    def __str__(self) -> str:
        return f"{self.kind} of {self.pull_request} at {self.occurred_at:%Y-%m-%d %H:%M}"


class RecomputeStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class MetricsRecompute(BaseTeamModel):
    """A recomputation of a member's PRs after an admin changed them (e.g. marked a bot), run by a worker.

    Tens of thousands of PRs do not fit in a request, so the request records this row and queues the task; the
    people page shows its progress (``done`` of ``total`` PRs) until it is done.
    """

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="recomputes")
    status = models.CharField(max_length=10, choices=RecomputeStatus.choices, default=RecomputeStatus.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["team", "status"], name="recompute_team_status_idx")]

    def __str__(self) -> str:
        return f"recompute for {self.member} ({self.status})"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
