"""The one definition of which PRs and reviews the dashboard counts: every panel and every PR list filters here.

The scope is the team's PRs in repositories it tracks (an untracked repository's history stays stored but is
out of every figure until it is tracked again, unless a user chooses that repository explicitly), without
hidden members' PRs, without bot-authored PRs unless asked for, narrowed to one repository or author when chosen.

It is written as what the user chose (``chosen``) minus named rules (``scope_rules``), so the figures' PR lists
can say which rule left each PR out ("bot author", "hidden person", "untracked repository") with the very
conditions the figures apply. The period's populations (PRs merged in it, first reviewed in it, reviews
submitted in it) live here too, so the summary, the trends, reviewer load and the lists cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.metrics.models import PRReview, PullRequest, TeamMember
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class DashboardFilters:
    start: date
    end: date  # inclusive
    repo_id: int | None = None
    author_id: int | None = None
    include_bots: bool = False
    # Repositories the team no longer tracks (the web layer asks the integrations app): out of scope unless
    # chosen as ``repo_id``. metrics does not know tracking itself (docs/architecture.md, the layers), so it is told.
    untracked_repo_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def window(self) -> tuple[datetime, datetime]:
        """[start 00:00, the day after end 00:00) in the current time zone."""
        tz = timezone.get_current_timezone()
        return datetime.combine(self.start, time.min, tz), datetime.combine(self.end + timedelta(days=1), time.min, tz)


@dataclass(frozen=True, slots=True)
class ScopeColumns:
    """Where the scope's PR columns are: on ``PullRequest`` itself, or copied onto each ``PRReview``."""

    author: str
    is_bot_author: str
    github_repo_id: str


ON_PULL_REQUEST = ScopeColumns("author", "is_bot_author", "github_repo_id")
# ``PRReview.pr_*``: the review's PR's columns, kept equal by ``services.recompute.metrics_apply``.
ON_REVIEW = ScopeColumns("pr_author", "pr_is_bot_author", "pr_github_repo_id")

# The reasons a PR the user chose is still out of the dashboard's scope, in the order they are reported.
UNTRACKED = "untracked repository"
HIDDEN = "hidden person"
BOT = "bot author"


def chosen(*, team: Team, filters: DashboardFilters, columns: ScopeColumns = ON_PULL_REQUEST) -> Q:
    """What the user asked for: the team, and the repository or author chosen in the filters."""
    condition = Q(team=team)
    if filters.repo_id is not None:
        condition &= Q(**{columns.github_repo_id: filters.repo_id})
    if filters.author_id is not None:
        condition &= Q(**{f"{columns.author}_id": filters.author_id})
    return condition


def hidden_members(*, team: Team) -> QuerySet[TeamMember, Any]:
    """The team's hidden members' ids, as a subquery.

    A period's rows test ``author_id IN (this)``: PostgreSQL hashes the team's few hidden ids once and probes each
    row's author in the scan itself, where a join to every row's author (``author__is_active``) costs a hash join
    node over the period's hundred thousand rows, on every panel. A PR without an author (a deleted account) is
    not a hidden person's, as before: the negation keeps NULL authors in.
    """
    return TeamMember.objects.filter(team=team, is_active=False).values("pk")


def scope_rules(
    *, team: Team, filters: DashboardFilters, columns: ScopeColumns = ON_PULL_REQUEST
) -> list[tuple[str, Q]]:
    """The rules that leave a chosen PR out of every figure, each as (reason, the PRs it leaves out)."""
    rules = []
    if filters.repo_id is None and filters.untracked_repo_ids:
        rules.append((UNTRACKED, Q(**{f"{columns.github_repo_id}__in": sorted(filters.untracked_repo_ids)})))
    rules.append((HIDDEN, Q(**{f"{columns.author}__in": hidden_members(team=team)})))
    if not filters.include_bots:
        rules.append((BOT, Q(**{columns.is_bot_author: True})))
    return rules


def pull_request_scope(*, team: Team, filters: DashboardFilters, columns: ScopeColumns = ON_PULL_REQUEST) -> Q:
    """The dashboard's PRs as a condition, on ``PullRequest`` or on reviews by their PR (``columns=ON_REVIEW``).

    Summary, trends, breakdown, reviewer load, open requests, the table and every figure's PR list use this, so
    one filter can never apply to some panels and not to others. The team condition is part of it.
    """
    scope = chosen(team=team, filters=filters, columns=columns)
    for _reason, leaves_out in scope_rules(team=team, filters=filters, columns=columns):
        scope &= ~leaves_out
    return scope


def in_window(column: str, filters: DashboardFilters) -> Q:
    """``column`` falls in the period: [start 00:00, the day after end 00:00) in the team's time zone."""
    start, end = filters.window
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def team_pull_requests(*, team: Team, filters: DashboardFilters) -> QuerySet[PullRequest]:
    """The team's PRs as the dashboard counts them (``pull_request_scope``)."""
    return PullRequest.objects.filter(pull_request_scope(team=team, filters=filters))


def merged_in_period(*, team: Team, filters: DashboardFilters) -> QuerySet[PullRequest]:
    """PRs merged in the period: what cycle time, size, the breakdown, flags and the weekly trends count."""
    return team_pull_requests(team=team, filters=filters).filter(in_window("merged_at", filters))


def first_reviewed_in_period(*, team: Team, filters: DashboardFilters) -> QuerySet[PullRequest]:
    """PRs whose first review came in the period: what pickup counts."""
    return team_pull_requests(team=team, filters=filters).filter(in_window("first_review_at", filters))


OWN_REVIEW = "the author's own review"


def counted_reviewer(*, team: Team) -> Q:
    """A review counts when a visible human other than the PR's author gave it.

    Written as "a reviewer, and not one of the team's hidden members or bots" (reviewers are the team's own
    members): a ``NOT IN`` of a few ids is a filter PostgreSQL evaluates in the scan of the period's reviews, where
    ``reviewer__is_active`` joins every review to its reviewer.
    """
    return Q(reviewer__isnull=False) & ~Q(reviewer__in=uncounted_people(team=team)) & ~Q(pr_author=F("reviewer"))


def uncounted_people(*, team: Team) -> QuerySet[TeamMember, Any]:
    """The team's hidden members and bots, whose reviews and pending requests count for nobody, as a subquery of
    ids. Tested as ``NOT IN`` (a hash of a few ids probed in the scan) rather than joined to every row."""
    return TeamMember.objects.filter(Q(is_active=False) | Q(is_bot=True), team=team).values("pk")


def counted_reviews(*, team: Team, filters: DashboardFilters) -> QuerySet[PRReview]:
    """Reviews that count (human, not the author's own) submitted in the period, on PRs the dashboard shows.

    The PR's scope columns are read from the review's copies (``ON_REVIEW``), so the period's reviews come from
    one range of ``review_team_submitted_cov_idx`` without a join to the team's PRs.
    """
    return (
        PRReview.objects.filter(in_window("submitted_at", filters))
        .filter(pull_request_scope(team=team, filters=filters, columns=ON_REVIEW))
        .filter(counted_reviewer(team=team))
    )
