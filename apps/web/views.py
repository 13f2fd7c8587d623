"""Landing and team home pages, and the health check."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from apps.teams.decorators import team_member_required
from apps.teams.selectors import user_teams


def home(request: HttpRequest) -> HttpResponse:
    """Signed-in users go straight to their first team; everyone else sees what tformance is."""
    if request.user.is_authenticated:
        team = user_teams(user=request.user).first()
        if team is not None:
            return redirect("web:team_home", team_slug=team.slug)
        return redirect("teams:create")
    return render(request, "web/landing.html")


@team_member_required
def team_home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/team_home.html")


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
