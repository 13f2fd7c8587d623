"""The one definition of which PRs the dashboard counts; every panel filters through ``pull_request_scope``.

The scope is the team's PRs in repositories it tracks (an untracked repository's history stays stored but is
out of every figure until it is tracked again, unless a user chooses that repository explicitly), without
hidden members' PRs, without bot-authored PRs unless asked for, narrowed to one repository or author when chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.metrics.models import PullRequest
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class DashboardFilters:
    start: date
    end: date  # inclusive
    repo_id: int | None = None
    author_id: int | None = None
    include_bots: bool = False
    # Repositories the team no longer tracks (the web layer asks the integrations app): out of scope unless
    # chosen as ``repo_id``. metrics does not know tracking itself (DESIGN §2), so it is told.
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


def pull_request_scope(*, team: Team, filters: DashboardFilters, columns: ScopeColumns = ON_PULL_REQUEST) -> Q:
    """The dashboard's PRs as a condition, on ``PullRequest`` or on reviews by their PR (``columns=ON_REVIEW``).

    Summary, trends, breakdown, reviewer load, open requests and the table all use this, so one filter can never
    apply to some panels and not to others. The team condition is part of it, so every query carries it.
    """
    scope = Q(team=team) & ~Q(**{f"{columns.author}__is_active": False})
    if not filters.include_bots:
        scope &= Q(**{columns.is_bot_author: False})
    if filters.repo_id is not None:
        scope &= Q(**{columns.github_repo_id: filters.repo_id})
    elif filters.untracked_repo_ids:
        scope &= ~Q(**{f"{columns.github_repo_id}__in": sorted(filters.untracked_repo_ids)})
    if filters.author_id is not None:
        scope &= Q(**{f"{columns.author}_id": filters.author_id})
    return scope


def team_pull_requests(*, team: Team, filters: DashboardFilters) -> QuerySet[PullRequest]:
    """The team's PRs as the dashboard counts them (``pull_request_scope``)."""
    return PullRequest.objects.filter(pull_request_scope(team=team, filters=filters))
