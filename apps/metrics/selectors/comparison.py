"""The headline figures of the previous period of the same length, for the dashboard's "are we getting faster?".

The same selectors as the period's own cards, with the same scope and filters; only the dates move. The dashboard
reads this on its own connection beside its other panels, so the page waits for the longest chain, not the sum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from apps.metrics.selectors.dashboard import FlowSummary, team_flow_summary, team_pickup
from apps.metrics.selectors.percentiles import Percentiles
from apps.metrics.selectors.scope import DashboardFilters
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class PreviousPeriod:
    filters: DashboardFilters  # the previous period's: its figures' lists are read with these
    summary: FlowSummary
    pickup: Percentiles

    @property
    def days(self) -> int:
        return (self.filters.end - self.filters.start).days + 1


def previous_period_filters(filters: DashboardFilters) -> DashboardFilters:
    """The days just before ``filters.start``, as many as the period has; every other filter unchanged."""
    days = (filters.end - filters.start).days + 1
    end = filters.start - timedelta(days=1)
    return replace(filters, start=end - timedelta(days=days - 1), end=end)


def team_previous_period(*, team: Team, filters: DashboardFilters) -> PreviousPeriod:
    """The merged PRs' summary and the pickup of the previous period of the same length: two statements."""
    previous = previous_period_filters(filters)
    return PreviousPeriod(
        filters=previous,
        summary=team_flow_summary(team=team, filters=previous),
        pickup=team_pickup(team=team, filters=previous),
    )
