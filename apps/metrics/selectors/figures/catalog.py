"""Which rows each dashboard figure counts, what each contributed, and which rows of the period it leaves out.

A figure's ``included`` rows are built from the very populations the dashboard's panels use
(``scope.merged_in_period``, ``scope.first_reviewed_in_period``, ``scope.counted_reviews``,
``dashboard.pending_review_requests``), narrowed as the figure narrows them; so a list's count is the figure's
count by construction, and a test holds them equal. ``base`` is what the user chose for the period (team,
repository, author; opened, merged or first reviewed in it) and ``reasons`` are named conditions, in order, that
say why a row of ``base`` is not counted: the scope's own rules first (untracked repository, hidden person, bot
author), then the figure's (still open, never reviewed, outside the window, …). included + excluded = base.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db.models import Expression, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from apps.metrics.definitions import DEFINITIONS
from apps.metrics.models import PullRequest, PullRequestState
from apps.metrics.selectors.dashboard import week_bounds
from apps.metrics.selectors.figures.reviewers import open_requests_figure, reviews_figure
from apps.metrics.selectors.figures.types import Figure, FigureRequest, UnknownFigure
from apps.metrics.selectors.scope import (
    DashboardFilters,
    chosen,
    first_reviewed_in_period,
    in_window,
    merged_in_period,
    scope_rules,
)
from apps.teams.models import Team

STILL_OPEN = ("still open", Q(state=PullRequestState.OPEN))
NOT_MERGED = ("closed without merging", Q(merged_at__isnull=True))
NEVER_REVIEWED = ("never reviewed", Q(first_review_at__isnull=True))


def period_pull_requests(*, team: Team, filters: DashboardFilters) -> QuerySet[PullRequest]:
    """The PRs the user chose that were opened, merged or first reviewed in the period: every PR figure's list
    reconciles against these (counted + left out by reason = all of them)."""
    touched = in_window("pr_created_at", filters) | in_window("merged_at", filters)
    touched |= in_window("first_review_at", filters)
    return PullRequest.objects.filter(chosen(team=team, filters=filters)).filter(touched)


def _merged_reasons(team: Team, filters: DashboardFilters) -> list[tuple[str, Q]]:
    return [
        *scope_rules(team=team, filters=filters),
        STILL_OPEN,
        NOT_MERGED,
        ("merged outside the window", ~in_window("merged_at", filters)),
    ]


def _merged_figure(
    team: Team,
    filters: DashboardFilters,
    request: FigureRequest,
    *,
    title: str,
    definition: str,
    narrow: tuple[str, Q] | None = None,
    value: Expression | F | None = None,
    value_label: str = "",
    value_unit: str = "",
    percentile: float | None = None,
) -> Figure:
    """A figure over the PRs merged in the period, narrowed by one condition (named for the rows it drops)."""
    reasons = _merged_reasons(team, filters)
    included = merged_in_period(team=team, filters=filters)
    if request.week is not None:
        week = _week_window(request.week)
        reasons.append(("merged in another week", ~week))
        included = included.filter(week)
    if narrow is not None:
        reasons.append(narrow)
        included = included.exclude(narrow[1])
    return _figure(team, filters, request, title, definition, included, reasons, value, value_label, value_unit,
                   percentile)  # fmt: skip


def _figure(
    team: Team,
    filters: DashboardFilters,
    request: FigureRequest,
    title: str,
    definition: str,
    included: QuerySet[Any],
    reasons: list[tuple[str, Q]],
    value: Expression | F | None,
    value_label: str,
    value_unit: str,
    percentile: float | None,
) -> Figure:
    if value is not None:
        included = included.annotate(figure_value=value).order_by("figure_value", "pk")
    else:
        included = included.order_by(F("merged_at").desc(nulls_last=True), "-pk")
    return Figure(
        request=request,
        title=title,
        definition=DEFINITIONS[definition],
        rows_are="pull_request",
        included=included,
        base=period_pull_requests(team=team, filters=filters),
        reasons=tuple(reasons),
        value_label=value_label,
        value_unit=value_unit,
        percentile=percentile,
    )


def _week_window(monday: date) -> Q:
    """Merged in the week starting ``monday`` (``week_bounds``): the very range the trends read for that week."""
    start, end = week_bounds(monday)
    return Q(merged_at__gte=start, merged_at__lt=end)


SIZE = F("additions") + F("deletions")
NO_CYCLE = ("no cycle time", Q(cycle_time_seconds__isnull=True))


def _p(request: FigureRequest) -> float:
    return (request.percentile or 50) / 100


def _merged(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
    return _merged_figure(team, filters, r, title="Merged PRs", definition="merged")


def _cycle(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
    title = f"Cycle time p{r.percentile or 50}"
    return _merged_figure(team, filters, r, title=title, definition="cycle-time", narrow=NO_CYCLE,
                          value=F("cycle_time_seconds"), value_label="Cycle time", value_unit="duration",
                          percentile=_p(r))  # fmt: skip


def _size(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
    missing = ("size not reported by GitHub", Q(additions__isnull=True) | Q(deletions__isnull=True))
    return _merged_figure(team, filters, r, title=f"PR size p{r.percentile or 50}", definition="size",
                          narrow=missing, value=SIZE, value_label="Lines changed", value_unit="lines",
                          percentile=_p(r))  # fmt: skip


def _flag(column: str, title: str, definition: str, not_it: str) -> Callable[..., Figure]:
    def build(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
        narrow = (not_it, Q(**{column: False}))
        return _merged_figure(team, filters, r, title=title, definition=definition, narrow=narrow)

    return build


def _part(column: str, title: str) -> Callable[..., Figure]:
    def build(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
        value = Coalesce(F(column), Value(0))
        return _merged_figure(team, filters, r, title=f"Where the time goes: {title} (mean)", definition="breakdown",
                              value=value, value_label=title, value_unit="duration")  # fmt: skip

    return build


def _week_merged(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
    return _merged_figure(team, filters, r, title=f"Merged in the week of {r.week:%b %d}", definition="weekly")


def _week_cycle(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
    return _merged_figure(team, filters, r, title=f"Median cycle time, week of {r.week:%b %d}", definition="weekly",
                          narrow=NO_CYCLE, value=F("cycle_time_seconds"), value_label="Cycle time",
                          value_unit="duration", percentile=0.5)  # fmt: skip


def _pickup(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
    reasons = [
        *scope_rules(team=team, filters=filters),
        NEVER_REVIEWED,
        ("first review outside the window", ~in_window("first_review_at", filters)),
        ("no pickup: it never left draft", Q(review_time_seconds__isnull=True)),
    ]
    included = first_reviewed_in_period(team=team, filters=filters).filter(review_time_seconds__isnull=False)
    return _figure(team, filters, r, f"Pickup p{r.percentile or 50}", "pickup", included, reasons,
                   F("review_time_seconds"), "Pickup", "duration", _p(r))  # fmt: skip


Builder = Callable[[Team, DashboardFilters, FigureRequest], Figure]
# key: (builder, percentiles it shows (None: not a percentile), needs a week, needs a reviewer)
FIGURES: dict[str, tuple[Builder, tuple[int, ...] | None, bool, bool]] = {
    "merged": (_merged, None, False, False),
    "cycle": (_cycle, (50, 75, 90), False, False),
    "pickup": (_pickup, (50, 75, 90), False, False),
    "size": (_size, (50, 90), False, False),
    "without-review": (
        _flag("merged_without_review", "Merged without review", "merged-without-review", "reviewed before merge"),
        None, False, False,
    ),
    "reverts": (_flag("is_revert", "Reverts", "reverts", "not a revert"), None, False, False),
    "hotfixes": (_flag("is_hotfix", "Hotfixes", "hotfixes", "not a hotfix"), None, False, False),
    "breakdown-draft": (_part("draft_seconds", "Draft"), None, False, False),
    "breakdown-pickup": (_part("pickup_seconds", "Wait before review or merge"), None, False, False),
    "breakdown-review": (_part("review_phase_seconds", "Review"), None, False, False),
    "breakdown-merge-wait": (_part("merge_wait_seconds", "Merge wait"), None, False, False),
    "week-merged": (_week_merged, None, True, False),
    "week-cycle": (_week_cycle, (50,), True, False),
    "reviews-given": (lambda t, f, r: reviews_figure(t, f, r, response=False), None, False, True),
    "response": (lambda t, f, r: reviews_figure(t, f, r, response=True), (50,), False, True),
    "open-requests": (open_requests_figure, None, False, True),
}  # fmt: skip


def figure_for(*, team: Team, filters: DashboardFilters, request: FigureRequest) -> Figure:
    """The figure asked for, or ``UnknownFigure`` when the key or one of its parameters is not one it takes."""
    if request.key not in FIGURES:
        raise UnknownFigure(request.key)
    build, ps, needs_week, needs_member = FIGURES[request.key]
    if (request.percentile is not None) and (ps is None or request.percentile not in ps):
        raise UnknownFigure(f"{request.key} has no p{request.percentile}")
    if needs_week != (request.week is not None) or needs_member != (request.member_id is not None):
        raise UnknownFigure(f"{request.key} takes {'a week' if needs_week else 'no week'}")
    if request.week is not None and (request.week.weekday() != 0 or not _week_in_period(request.week, filters)):
        raise UnknownFigure("not a Monday of the period")
    return build(team, filters, request)


def _week_in_period(monday: date, filters: DashboardFilters) -> bool:
    return monday <= filters.end and monday + timedelta(days=6) >= filters.start
