"""The headline figures of the previous period of the same length, for the dashboard's "are we getting faster?".

The same populations and filters as the period's own cards (``merged_in_period``, ``first_reviewed_in_period``);
only the dates move. They are read with the period's own figures, in the same statements (``team_flow_summary``
and ``team_pickup`` read both periods at once), so the comparison adds no statement to a render; this module only
puts them together as the cards compare them.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.metrics.selectors.dashboard import FlowSummary
from apps.metrics.selectors.percentiles import Percentiles
from apps.metrics.selectors.scope import DashboardFilters


@dataclass(frozen=True, slots=True)
class PreviousPeriod:
    filters: DashboardFilters  # the previous period's: its figures' lists are read with these
    merged: int
    merged_without_review: int
    reverts: int
    # Medians, each with how many values it is of (what the figure's list counts)
    cycle: Percentiles  # seconds
    size: Percentiles  # lines changed
    pickup: Percentiles  # seconds

    @property
    def days(self) -> int:
        return (self.filters.end - self.filters.start).days + 1

    @property
    def without_review_share(self) -> float | None:
        return self.merged_without_review / self.merged if self.merged else None


def previous_period(*, summary: FlowSummary, pickup: Percentiles) -> PreviousPeriod:
    """The previous period as the cards compare it: its merges (read with the summary) and its pickup (read with
    the period's pickup, ``team_pickup``'s second value)."""
    before = summary.previous
    return PreviousPeriod(
        filters=before.filters,
        merged=before.merged,
        merged_without_review=before.merged_without_review,
        reverts=before.reverts,
        cycle=before.cycle,
        size=before.size,
        pickup=pickup,
    )
