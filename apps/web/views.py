"""Landing and team home pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

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
