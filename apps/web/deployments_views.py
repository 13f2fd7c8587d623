"""The team's deployments page: deployment frequency, the period's deployments with their status timelines, and
the environments that do not count as production.

The period and repository come from the query string exactly as on the dashboard (``filters_from_request``), so a
link carries the same meaning on both pages; the guard runs the view in the team's time zone.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from apps.integrations.selectors import team_inactive_repositories
from apps.metrics.selectors.deployments import (
    team_deployment_frequency,
    team_deployment_repositories,
    team_deployments,
    team_environments_left_out,
)
from apps.metrics.selectors.lead_time import team_lead_time
from apps.teams.decorators import TeamRequest, team_member_required
from apps.web.dashboard_views import MAX_RANGE_DAYS, PAGE_SIZE, filters_from_request


@team_member_required
def deployments(request: TeamRequest) -> HttpResponse:
    team = request.team
    inactive = team_inactive_repositories(team=team)
    filters, form = filters_from_request(request, inactive)
    repos = team_deployment_repositories(team=team)
    page = Paginator(team_deployments(team=team, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "form": form,
        "max_range_days": MAX_RANGE_DAYS,
        "repos": [(repo_id, name, repo_id in filters.untracked_repo_ids) for repo_id, name in repos],
        "deleted_repo_ids": inactive.deleted,
        "chosen_repo": next((name for repo_id, name in repos if repo_id == filters.repo_id), None),
        "frequency": team_deployment_frequency(team=team, filters=filters),
        "lead_time": team_lead_time(team=team, filters=filters),
        "left_out": team_environments_left_out(team=team, filters=filters),
        "page": page,
    }
    return render(request, "dashboard/deployments.html", context)
