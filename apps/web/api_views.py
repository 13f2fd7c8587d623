"""The read API: a team's figures as JSON, for whoever holds one of its tokens (docs/api.md).

Each endpoint reads its page's own selectors with the dashboard's own query parameters, so the numbers are the
page's numbers: a page's query string, copied, asks the API for what that page shows. Durations are in
seconds, as stored; a percentile of nothing is null, never 0.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from apps.integrations.selectors import (
    DEPLOYMENT_PERMISSIONS,
    team_inactive_repositories,
    team_installations_not_granting,
)
from apps.metrics.selectors import (
    DashboardFilters,
    team_filter_options,
    team_flow_summary,
    team_pickup,
    team_reviewer_load,
    team_weekly_trends,
)
from apps.metrics.selectors.dashboard import team_previous_period
from apps.metrics.selectors.deployments import (
    team_deployment_frequency,
    team_deployment_repositories,
    team_environments_left_out,
)
from apps.metrics.selectors.lead_time import team_lead_time
from apps.metrics.selectors.percentiles import Percentiles
from apps.teams.decorators import APIRequest, api_token_required
from apps.teams.models import Team
from apps.web.dashboard_views import DashboardFilterForm, filters_from_request


def _percentiles(found: Percentiles) -> dict[str, Any]:
    return {f"p{round(p * 100)}": value for p, value in found.values.items()} | {"n": found.count}


def _period(filters: DashboardFilters) -> dict[str, Any]:
    return {"start": filters.start.isoformat(), "end": filters.end.isoformat()}


def _about(team: Team, filters: DashboardFilters, repos: list[tuple[int, str]]) -> dict[str, Any]:
    """What every answer starts with: whose figures, in which time zone, over which period and repository."""
    chosen = next(({"id": i, "name": n} for i, n in repos if i == filters.repo_id), None)
    return {
        "team": team.slug,
        "time_zone": team.timezone,
        "period": _period(filters),
        "filters": {"repository": chosen},
    }


def _bad_query(form: DashboardFilterForm) -> JsonResponse:
    """A filter the dashboard would show as an error is refused here: an API caller gets no default in its place."""
    return JsonResponse({"error": "Invalid query parameters.", "fields": form.errors.get_json_data()}, status=400)


@require_GET
@api_token_required
def flow(request: APIRequest) -> JsonResponse:
    """The dashboard's headline figures, the previous period's, the weekly trend and the reviewer load."""
    team = request.team
    filters, form = filters_from_request(request, team_inactive_repositories(team=team))
    if not form.is_valid():
        return _bad_query(form)
    repos, authors = team_filter_options(team=team)
    summary = team_flow_summary(team=team, filters=filters)
    previous = team_previous_period(team=team, filters=filters)
    pickup, pickup_before = team_pickup(team=team, filters=filters)
    author = next((a for a in authors if a.pk == filters.author_id), None)
    about = _about(team, filters, repos)
    about["filters"] |= {
        "author": None if author is None else {"id": author.pk, "login": author.github_username},
        "bots": filters.include_bots,
    }
    return JsonResponse(
        about
        | {
            "merged": summary.merged,
            "merged_without_review": summary.merged_without_review,
            "reverts": summary.reverts,
            "hotfixes": summary.hotfixes,
            "cycle_time_seconds": _percentiles(summary.cycle),
            "cycle_time_breakdown_mean_seconds": summary.breakdown if summary.merged else None,
            "pickup_seconds": _percentiles(pickup),
            "size_lines": _percentiles(summary.size),
            "previous_period": {
                "period": _period(previous.filters),
                "merged": previous.merged,
                "merged_without_review": previous.merged_without_review,
                "reverts": previous.reverts,
                "cycle_time_seconds": _percentiles(previous.cycle),
                "pickup_seconds": {"p50": pickup_before.p50, "n": pickup_before.count},
                "size_lines": _percentiles(previous.size),
            },
            "weekly": [
                {
                    "week": point.week.isoformat(),
                    "merged": point.merged,
                    "cycle_time_seconds_p50": point.cycle_p50_seconds,
                    "partial": point.partial,
                }
                for point in team_weekly_trends(team=team, filters=filters)
            ],
            "reviewers": [
                {
                    "login": row.member.github_username,
                    "reviews": row.reviews,
                    "response_seconds": {"p50": row.response_p50, "n": row.responses},
                    "open_requests": row.open_requests,
                }
                for row in team_reviewer_load(team=team, filters=filters)
            ],
        }
    )


@require_GET
@api_token_required
def deployments(request: APIRequest) -> JsonResponse:
    """Deployment frequency (successful production deployments, per week), lead time for changes and the environments
    that do not count, as the deployments page shows them, with its query parameters."""
    team = request.team
    filters, form = filters_from_request(request, team_inactive_repositories(team=team))
    if not form.is_valid():
        return _bad_query(form)
    frequency = team_deployment_frequency(team=team, filters=filters)
    lead_time = team_lead_time(team=team, filters=filters)
    return JsonResponse(
        _about(team, filters, team_deployment_repositories(team=team))
        | {
            "deployment_frequency": {
                "production_deployments": frequency.deployments,
                "days": frequency.days,
                "per_week": frequency.per_week,
                "weekly": [
                    {"week": week.week.isoformat(), "deployments": week.deployments, "partial": week.partial}
                    for week in frequency.weeks
                ],
            },
            "lead_time_seconds": _percentiles(lead_time.percentiles),
            "lead_time_coverage": {"known": lead_time.known, "merged": lead_time.merged},
            # Installations whose owner has not accepted a permission these figures need: without deployments GitHub
            # sends none of theirs (missing, not zero); without contents their deployments' changes stay unknown.
            "installations_without_permission": {
                permission: [installation.account_login for installation in installations]
                for permission, installations in team_installations_not_granting(
                    team=team, permissions=DEPLOYMENT_PERMISSIONS
                ).items()
            },
            "environments_left_out": [
                {"environment": row.environment, "reason": row.reason, "deployments": row.deployments}
                for row in team_environments_left_out(team=team, filters=filters)
            ],
        }
    )
