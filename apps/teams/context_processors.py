"""Puts the user's teams and the current team into every template, for the team switcher."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.teams.selectors import user_teams


def teams(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"user_teams": user_teams(user=request.user), "team": getattr(request, "team", None)}
