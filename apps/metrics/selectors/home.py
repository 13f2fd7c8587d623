"""The team home's summary: what a lead wants to see first once the dashboard has data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from apps.metrics.models import PullRequest, PullRequestState
from apps.metrics.selectors.scope import DashboardFilters, merged_in_period, team_pull_requests
from apps.teams.models import Team


@dataclass(frozen=True)
class HomeSummary:
    pull_requests: int  # every PR of the tracked repositories, all time, bots' and hidden people's included
    merged_this_week: int  # since Monday, in the team's time zone
    waiting_for_review: int  # open, ready for review, no first review yet
    longest_waiting: PullRequest | None  # the one of those ready the longest


def team_home_summary(*, team: Team, untracked_repo_ids: frozenset[int] = frozenset()) -> HomeSummary:
    """The week's figures are counted in the dashboard's scope (tracked repositories, no hidden members, no bots),
    so they match what the dashboard shows; ``pull_requests`` is what the imports brought in ("1,240 imported")."""
    today = timezone.localdate(timezone=team.tzinfo)  # Monday is the team's, whatever zone the caller runs in
    week = DashboardFilters(
        start=today - timedelta(days=today.weekday()), end=today, untracked_repo_ids=untracked_repo_ids
    )
    prs = team_pull_requests(team=team, filters=week)
    waiting = prs.filter(
        state=PullRequestState.OPEN, is_draft=False, ready_at__isnull=False, first_review_at__isnull=True
    )
    imported = PullRequest.objects.filter(team=team).exclude(github_repo_id__in=sorted(untracked_repo_ids))
    return HomeSummary(
        pull_requests=imported.count(),
        merged_this_week=merged_in_period(team=team, filters=week).count(),
        waiting_for_review=waiting.count(),
        longest_waiting=waiting.select_related("author").order_by("ready_at", "pk").first(),
    )
