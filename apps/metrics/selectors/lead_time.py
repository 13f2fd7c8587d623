"""Lead time for changes (DORA): how long a pull request takes from its start to its first production deployment.

A PR counts in the period when its first successful production deployment (the earliest ``succeeded_at`` among the
production deployments that shipped it, ``DeploymentChange``) falls in the period. Its start is its first commit
when known; tformance does not read commit times yet, so the start is the PR's creation, and the page says so.
Coverage tells how much of the period's work this covers: of the PRs merged in the period, how many some production
deployment is known to have shipped (a repository without deployments, or a deployment whose changes GitHub could
not tell, leaves its PRs out of the lead time rather than guessing).

Percentiles are continuous (linear interpolation between the two nearest ranks), as ``selectors.percentiles``
computes them in the database; here the values are differences of two timestamps, which SQLite cannot subtract, so
they are computed from the period's rows (one row per deployed PR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Min

from apps.metrics.models import DeploymentChange, PullRequest
from apps.metrics.selectors.percentiles import DEFAULT_PS, Percentiles
from apps.metrics.selectors.scope import DashboardFilters, merged_in_period, pull_request_scope
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class LeadTime:
    """Lead time's percentiles (seconds) over the PRs first deployed in the period, and the coverage of the PRs
    merged in the period: ``known`` of ``merged`` were shipped by a known production deployment."""

    percentiles: Percentiles
    known: int
    merged: int


def continuous_percentiles(values: Sequence[float], ps: Sequence[float] = DEFAULT_PS) -> Percentiles:
    """PostgreSQL's ``percentile_cont`` over ``values``: None for each p when there are none."""
    ordered = sorted(values)
    if not ordered:
        return Percentiles(count=0, values=dict.fromkeys(ps))
    result: dict[float, float | None] = {}
    for p in ps:
        rank = (len(ordered) - 1) * p
        low = int(rank)
        high = min(low + 1, len(ordered) - 1)
        result[p] = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return Percentiles(count=len(ordered), values=result)


def _shipped() -> dict[str, object]:
    """The condition, on ``DeploymentChange``, that its deployment is a successful production one."""
    return {"deployment__is_production": True, "deployment__succeeded_at__isnull": False}


def team_lead_time(*, team: Team, filters: DashboardFilters) -> LeadTime:
    start, end = filters.window
    scope = PullRequest.objects.filter(pull_request_scope(team=team, filters=filters))
    firsts = (
        DeploymentChange.objects.filter(team=team, pull_request__in=scope, **_shipped())
        .values("pull_request_id", "pull_request__pr_created_at")
        .annotate(first=Min("deployment__succeeded_at"))
        .filter(first__gte=start, first__lt=end)
    )
    seconds = [max((row["first"] - row["pull_request__pr_created_at"]).total_seconds(), 0.0) for row in firsts]
    merged = merged_in_period(team=team, filters=filters)
    known_ids = DeploymentChange.objects.filter(team=team, **_shipped()).values("pull_request_id")
    return LeadTime(
        percentiles=continuous_percentiles(seconds),
        known=merged.filter(pk__in=known_ids).count(),
        merged=merged.count(),
    )
