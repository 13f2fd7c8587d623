"""The headline figures of the previous period of the same length, for the dashboard's "are we getting faster?".

The same populations and filters as the period's own cards (``merged_in_period``, ``first_reviewed_in_period``);
only the dates move. Only what the comparison shows is read: the medians, the merged count and the two flags a
card compares, not the card's p75, p90 or time breakdown, so the comparison adds two small statements to a
render rather than a second copy of the summary. The dashboard reads it on its own connection beside its other
panels, so the page waits for the longest chain, not the sum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.db.models import Count, F, Q

from apps.metrics.selectors.percentiles import Percentiles, aggregate_with_percentiles, percentiles
from apps.metrics.selectors.scope import DashboardFilters, first_reviewed_in_period, merged_in_period
from apps.teams.models import Team

MEDIAN = (0.5,)


@dataclass(frozen=True, slots=True)
class PreviousPeriod:
    filters: DashboardFilters  # the previous period's: its figures' lists are read with these
    merged: int
    merged_without_review: int
    reverts: int
    # Medians only, each with how many values it is of (what the figure's list counts)
    cycle: Percentiles  # seconds
    size: Percentiles  # lines changed
    pickup: Percentiles  # seconds

    @property
    def days(self) -> int:
        return (self.filters.end - self.filters.start).days + 1

    @property
    def without_review_share(self) -> float | None:
        return self.merged_without_review / self.merged if self.merged else None


def previous_period_filters(filters: DashboardFilters) -> DashboardFilters:
    """The days just before ``filters.start``, as many as the period has; every other filter unchanged."""
    days = (filters.end - filters.start).days + 1
    end = filters.start - timedelta(days=1)
    return replace(filters, start=end - timedelta(days=days - 1), end=end)


def team_previous_period(*, team: Team, filters: DashboardFilters) -> PreviousPeriod:
    """The figures the headline cards compare, over the previous period: two statements (merged PRs, pickup)."""
    previous = previous_period_filters(filters)
    totals, medians = aggregate_with_percentiles(
        merged_in_period(team=team, filters=previous),
        aggregates={
            "merged": Count("pk"),
            "without_review": Count("pk", filter=Q(merged_without_review=True)),
            "reverts": Count("pk", filter=Q(is_revert=True)),
        },
        values={"cycle": ("cycle_time_seconds", MEDIAN), "size": (F("additions") + F("deletions"), MEDIAN)},
    )
    pickup = percentiles(first_reviewed_in_period(team=team, filters=previous), value="review_time_seconds", ps=MEDIAN)
    return PreviousPeriod(
        filters=previous,
        merged=totals["merged"],
        merged_without_review=totals["without_review"],
        reverts=totals["reverts"],
        cycle=medians["cycle"],
        size=medians["size"],
        pickup=pickup,
    )
