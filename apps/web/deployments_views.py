"""The team's deployments page: deployment frequency, the period's deployments with their status timelines, and
the environments that do not count as production.

The period and repository come from the query string exactly as on the dashboard (``filters_from_request``), so a
link carries the same meaning on both pages; the guard runs the view in the team's time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from apps.integrations.selectors import (
    DEPLOYMENT_PERMISSIONS,
    team_inactive_repositories,
    team_installations_not_granting,
)
from apps.metrics.models import Deployment
from apps.metrics.selectors.deployments import (
    team_deployment_frequency,
    team_deployment_repositories,
    team_deployments,
    team_environments_left_out,
)
from apps.metrics.selectors.lead_time import team_lead_time
from apps.teams.decorators import TeamRequest, team_member_required
from apps.web.csv_export import Echo, SpreadsheetSafeWriter
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
        "query": request.GET.urlencode(),
        # GitHub sends no deployment event of an installation whose owner has not accepted Deployments; without
        # Contents it refuses the compare that tells a deployment's changes, and lead time leaves them out.
        "not_granting": team_installations_not_granting(team=team, permissions=DEPLOYMENT_PERMISSIONS),
    }
    return render(request, "dashboard/deployments.html", context)


CSV_COLUMNS = (
    "repository", "environment", "commit", "ref", "run id", "created", "first success", "latest state", "production",
    "why", "source", "statuses",
)  # fmt: skip


def _csv_lines(deployments: QuerySet[Deployment], zone: tzinfo) -> Iterator[str]:
    """Every deployment of the period, newest first, times in the team's zone with their offset; its statuses as
    "state at time" in GitHub's order. Read in chunks, each with its statuses, whatever the period's length."""

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).isoformat() if moment else ""

    writer = SpreadsheetSafeWriter(Echo())
    yield writer.writerow(CSV_COLUMNS)
    for d in deployments.iterator(chunk_size=500):
        statuses = "; ".join(f"{s.state} at {when(s.status_created_at)}" for s in d.statuses.all())
        yield writer.writerow(
            [
                d.github_repo, d.environment, d.sha, d.ref, d.github_run_id, when(d.deployment_created_at),
                when(d.succeeded_at), d.state, "yes" if d.is_production else "no", d.get_production_reason_display(),
                d.get_source_display(), statuses,
            ]
        )  # fmt: skip


@team_member_required
def deployments_csv(request: TeamRequest) -> StreamingHttpResponse:
    """The page's deployments as CSV, every one of the period (not a page of them), with the page's filters."""
    filters, _form = filters_from_request(request)
    lines = _csv_lines(team_deployments(team=request.team, filters=filters), request.team.tzinfo)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.team.slug}-deployments.csv"'
    return response
