"""Reads behind the team dashboard. Every function takes the team; nothing here can see another team's rows.

Populations are chosen so each number answers one question: cycle time, size, breakdown, reverts and hotfixes
are about PRs *merged* in the period; pickup is about PRs whose *first review* happened in the period. Hidden
members' PRs are left out; bot-authored PRs are left out unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from apps.metrics.models import PREvent, PullRequest, PullRequestState, TeamMember
from apps.metrics.selectors.percentiles import (
    DEFAULT_PS,
    Percentiles,
    aggregate_with_percentiles,
    keyed_rows_and_percentiles,
    ranged_percentiles,
)
from apps.metrics.selectors.scope import (
    DashboardFilters,
    counted_reviews,
    first_reviewed_in_period,
    merged_in_period,
    team_pull_requests,
    uncounted_people,
)
from apps.metrics.types import TimelineKind
from apps.teams.models import Team

MEDIAN = (0.5,)
BREAKDOWN_PARTS = ("draft_seconds", "pickup_seconds", "review_phase_seconds", "merge_wait_seconds")


@dataclass(frozen=True, slots=True)
class FlowSummary:
    merged: int
    merged_without_review: int
    reverts: int
    hotfixes: int
    cycle: Percentiles  # seconds
    size: Percentiles  # lines changed
    # The mean per merged PR of each phase, in seconds. Each PR's phases add up to its cycle time, so these add
    # up to ``cycle_mean`` exactly: the page says it is the mean and shows that total beside the medians.
    breakdown: dict[str, float]
    cycle_mean: float | None

    @property
    def without_review_share(self) -> float | None:
        return self.merged_without_review / self.merged if self.merged else None


@dataclass(frozen=True, slots=True)
class PreviousPeriod:
    """What the headline cards compare of the PRs merged in the previous period of the same length, for the
    dashboard's "are we getting faster?": the same populations and filters as the period's own cards, only the dates
    move. Its pickup is ``team_pickup``'s second value, read with the period's."""

    filters: DashboardFilters  # the previous period's: its figures' lists are read with these
    merged: int
    merged_without_review: int
    reverts: int
    cycle: Percentiles  # the median, of how many values
    size: Percentiles  # the median

    @property
    def days(self) -> int:
        return (self.filters.end - self.filters.start).days + 1

    @property
    def without_review_share(self) -> float | None:
        return self.merged_without_review / self.merged if self.merged else None


@dataclass(frozen=True, slots=True)
class WeekPoint:
    week: date  # its Monday
    merged: int
    cycle_p50: float | None  # hours, for the chart's axis
    partial: bool = False  # the period covers only some of its days
    cycle_p50_seconds: float | None = None  # the same median, for the table (``duration_text``, as every duration)


# What a headline card counts of the merged PRs, the period's and the previous period's alike, and their size.
COMPARED_COUNTS: dict[str, Aggregate] = {
    "merged": Count("pk"),
    "without_review": Count("pk", filter=Q(merged_without_review=True)),
    "reverts": Count("pk", filter=Q(is_revert=True)),
}
SIZE = F("additions") + F("deletions")


def previous_period_filters(filters: DashboardFilters) -> DashboardFilters:
    """The days just before ``filters.start``, as many as the period has; every other filter unchanged."""
    days = (filters.end - filters.start).days + 1
    end = filters.start - timedelta(days=1)
    return replace(filters, start=end - timedelta(days=days - 1), end=end)


def team_flow_summary(*, team: Team, filters: DashboardFilters) -> FlowSummary:
    """Headline numbers of the PRs merged in the period: count, cycle time and size percentiles, flags and the time
    breakdown. Pickup is another population (``team_pickup``), read on its own."""
    totals, found = aggregate_with_percentiles(
        merged_in_period(team=team, filters=filters),
        aggregates=COMPARED_COUNTS
        | {"hotfixes": Count("pk", filter=Q(is_hotfix=True)), **{part: Sum(part) for part in BREAKDOWN_PARTS}},
        values={"cycle": ("cycle_time_seconds", DEFAULT_PS), "size": (SIZE, (0.5, 0.9))},
    )
    count = totals["merged"]
    breakdown = {part: (totals[part] or 0) / count if count else 0.0 for part in BREAKDOWN_PARTS}
    return FlowSummary(
        merged=count,
        merged_without_review=totals["without_review"],
        reverts=totals["reverts"],
        hotfixes=totals["hotfixes"],
        cycle=found["cycle"],
        size=found["size"],
        breakdown=breakdown,
        cycle_mean=sum(breakdown.values()) if count else None,
    )


def team_previous_period(*, team: Team, filters: DashboardFilters) -> PreviousPeriod:
    """What the headline cards compare of the previous period of the same length, in one statement over that period
    alone: its medians, merged count and flags, not the card's p75, p90 or time breakdown."""
    previous = previous_period_filters(filters)
    totals, medians = aggregate_with_percentiles(
        merged_in_period(team=team, filters=previous),
        aggregates=COMPARED_COUNTS,
        values={"cycle": ("cycle_time_seconds", MEDIAN), "size": (SIZE, MEDIAN)},
    )
    return PreviousPeriod(
        filters=previous,
        merged=totals["merged"],
        merged_without_review=totals["without_review"],
        reverts=totals["reverts"],
        cycle=medians["cycle"],
        size=medians["size"],
    )


def team_pickup(*, team: Team, filters: DashboardFilters) -> tuple[Percentiles, Percentiles]:
    """Pickup (ready for review → first review, in seconds) of the PRs whose first review came in the period, and
    its median over the previous period of the same length, in one read: a population of its own, so the dashboard
    reads it on its own connection, beside the merged PRs' summary.

    Each period is its own range of the first-review index (``ranged_percentiles``, as the weekly medians are) and
    only its rows are sorted, where grouping both periods by a period key sorts their rows by that key first.
    """
    previous = previous_period_filters(filters)
    current, before = ranged_percentiles(
        first_reviewed_in_period(team=team, filters=replace(filters, start=previous.start)),
        value="review_time_seconds",
        column="first_review_at",
        ranges=[filters.window, previous.window],
    )
    return current, before


def team_weekly_trends(*, team: Team, filters: DashboardFilters) -> list[WeekPoint]:
    """Merged PRs and median cycle time per week (Monday to Sunday) over exactly the chosen period.

    Only merges inside the period count, so the first and last weeks may cover fewer days: they are marked
    partial rather than shown as a dip. Weeks without a merge are present with zero merges and no median.
    Each week is its own range of the merged index (``ranged_percentiles``), bounded by its Monday 00:00 in the
    team's time zone, as the week's PR list is.
    """
    start_week = filters.start - timedelta(days=filters.start.weekday())
    end_week = filters.end - timedelta(days=filters.end.weekday())
    weeks = [start_week + timedelta(weeks=n) for n in range((end_week - start_week).days // 7 + 1)]
    merged = merged_in_period(team=team, filters=filters)
    by_week = ranged_percentiles(
        merged, value="cycle_time_seconds", column="merged_at", ranges=[week_bounds(week) for week in weeks], ps=(0.5,)
    )
    points = []
    for week, stats in zip(weeks, by_week, strict=True):
        partial = week < filters.start or week + timedelta(days=6) > filters.end
        p50 = stats.p50 / 3600 if stats.p50 is not None else None
        points.append(
            WeekPoint(week=week, merged=stats.count, cycle_p50=p50, partial=partial, cycle_p50_seconds=stats.p50)
        )
    return points


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """The week starting ``monday``: Monday 00:00 to the next Monday 00:00 in the current (the team's) time zone."""
    tz = timezone.get_current_timezone()
    return datetime.combine(monday, time.min, tz), datetime.combine(monday + timedelta(days=7), time.min, tz)


# A loose index scan over ``pr_team_repo_name_idx``: one index probe per repository, however many PRs each has,
# where a GROUP BY would read every PR of the team on every view. Only our own table and column names are
# formatted in; the team id is a parameter.
REPOSITORIES_SQL = """
WITH RECURSIVE repo(id) AS (
    SELECT MIN(github_repo_id) FROM {table} WHERE team_id = %s
    UNION ALL
    SELECT (SELECT MIN(github_repo_id) FROM {table} WHERE team_id = %s AND github_repo_id > repo.id)
    FROM repo WHERE repo.id IS NOT NULL
)
SELECT repo.id, (SELECT MAX(github_repo) FROM {table} WHERE team_id = %s AND github_repo_id = repo.id)
FROM repo WHERE repo.id IS NOT NULL
"""


def team_repositories(*, team: Team) -> list[tuple[int, str]]:
    """Repositories the team has PRs from (under their latest-sorting name), by name."""
    with connection.cursor() as cursor:
        cursor.execute(REPOSITORIES_SQL.format(table=PullRequest._meta.db_table), [team.pk] * 3)
        rows = cursor.fetchall()
    return sorted(((repo_id, name) for repo_id, name in rows), key=lambda item: item[1].lower())


def team_filter_options(*, team: Team) -> tuple[list[tuple[int, str]], list[TeamMember]]:
    """Repositories and authors the team has PRs from, for the filter menus. An author is loaded with what the menu
    and the filter line show of them (login, bot flag), not with every field of a member."""
    has_prs = PullRequest.objects.filter(team=team, author=OuterRef("pk"))
    authors = TeamMember.objects.for_team(team).filter(Exists(has_prs), is_active=True).order_by("github_username")
    return team_repositories(team=team), list(authors.only("github_username", "is_bot"))


# Reviewer load: who carries the reviews, how fast they respond, what is waiting on them now.


@dataclass(frozen=True, slots=True)
class ReviewerLoad:
    member: TeamMember
    reviews: int  # counted reviews submitted in the period
    response_p50: float | None  # median seconds from review request (or ready) to their first review of a PR
    responses: int  # how many first reviews that median is over
    open_requests: int  # open PRs where their review was requested and they have not reviewed since


def pending_review_requests(*, team: Team, prs: QuerySet[PullRequest]) -> QuerySet[PREvent]:
    """Review requests on the open ones of ``prs`` still waiting: asked of a visible human, with no review of
    theirs since and not withdrawn since (current, not dated). Reviewer load and its PR lists both read this.

    Which requests are open now is kept on each request (``PREvent.is_open_request``, derived by
    ``services.recompute.metrics_apply`` on every write), so this reads the partial index of the open requests
    alone and the open PRs' scope columns (``pr_team_open_scope_idx``): two sets as large as what is waiting now,
    never every request the team ever made, nor a probe per open PR into its reviews.
    """
    return (
        PREvent.objects.for_team(team)
        .filter(
            is_open_request=True,
            kind=TimelineKind.REVIEW_REQUESTED,
            pull_request__in=prs.filter(state=PullRequestState.OPEN).values("pk"),
        )
        .filter(subject__isnull=False)
        .exclude(subject__in=uncounted_people(team=team))
    )


def _open_requests(team: Team, filters: DashboardFilters) -> dict[int, int]:
    """Open PRs of the dashboard's scope per requested reviewer, waiting on them."""
    rows = (
        pending_review_requests(team=team, prs=team_pull_requests(team=team, filters=filters))
        .values("subject_id")
        .annotate(n=Count("pull_request", distinct=True))
        .order_by()
    )
    return {row["subject_id"]: row["n"] for row in rows}


def team_reviewer_load(*, team: Team, filters: DashboardFilters) -> list[ReviewerLoad]:
    """One row per reviewer, busiest first; three statements whatever the team size.

    The team's countable reviewers (visible humans) are read first, then each one's reviews of the period are read
    once (``review_team_reviewer_cov_idx``, one range per reviewer on PostgreSQL): their count, and the median of
    the first responses among them. A count of the period's reviews hashed by reviewer followed by a second read of
    each reviewer's first responses would read the period's reviews twice.
    """
    members = TeamMember.objects.for_team(team).filter(is_active=True, is_bot=False).in_bulk()
    # response_seconds is set on each reviewer's first review of a PR only, so its median is per PR reviewed.
    given = keyed_rows_and_percentiles(
        counted_reviews(team=team, filters=filters),
        value="response_seconds",
        column="reviewer_id",
        keys=sorted(members),
        ps=(0.5,),
    )
    waiting = _open_requests(team, filters)
    rows = [
        ReviewerLoad(
            member=member,
            reviews=given[pk][0],
            response_p50=given[pk][1].p50,
            responses=given[pk][1].count,
            open_requests=waiting.get(pk, 0),
        )
        for pk, member in members.items()
        if given[pk][0] or pk in waiting
    ]
    return sorted(rows, key=lambda r: (-r.reviews, -r.open_requests, r.member.github_username.lower()))
