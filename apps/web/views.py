"""Landing and team home pages, and the health check."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from apps.integrations.selectors import team_github_setup, team_untracked_repository_ids
from apps.metrics.selectors.home import team_home_summary
from apps.teams.decorators import TeamRequest, team_member_required
from apps.teams.selectors import team_memberships, user_teams
from apps.web.checklist import is_set_up, next_step, setup_checklist


def home(request: HttpRequest) -> HttpResponse:
    """Signed-in users go straight to their first team; everyone else sees what tformance is."""
    if request.user.is_authenticated:
        team = user_teams(user=request.user).first()
        if team is not None:
            return redirect("web:team_home", team_slug=team.slug)
        return redirect("teams:create")
    return render(request, "web/landing.html")


def _home_context(request: TeamRequest) -> dict[str, Any]:
    team = request.team
    github = team_github_setup(team=team)
    summary = team_home_summary(team=team, untracked_repo_ids=team_untracked_repository_ids(team=team))
    steps = setup_checklist(team=team, github=github, summary=summary)
    return {
        "steps": steps,
        "next_step": next_step(steps),
        "set_up": is_set_up(steps),
        "importing": github.importing > 0,
        "summary": summary,
        "is_admin": request.membership.is_admin,
        "admins": [m.user for m in team_memberships(team=team) if m.is_admin],
    }


@team_member_required
def team_home(request: TeamRequest) -> HttpResponse:
    """The setup checklist until GitHub is connected and imported, then a summary that leads to the dashboard."""
    return render(request, "web/team_home.html", _home_context(request))


@team_member_required
def team_home_checklist(request: TeamRequest) -> HttpResponse:
    """The checklist and the summary: the fragment the home polls every ~2 s while an import runs (the summary
    appears in place when the import finishes)."""
    return render(request, "web/_home_status.html", _home_context(request))


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and readiness for the load balancer: 200 when the database answers, 503 when it does not (the
    webhook would answer 503 too, so GitHub's deliveries are better sent to another web process)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: send them to the icon the pages link."""
    return redirect(static("favicon.svg"), permanent=True)
