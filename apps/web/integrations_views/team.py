"""The team's GitHub integration page: see the connection, Connect (install/link) and Disconnect."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.integrations.selectors import (
    github_install_url,
    team_connection_events,
    team_github_setup,
    team_installations,
)
from apps.integrations.services.linking import LinkError, installation_unlink
from apps.integrations.services.state import state_issue
from apps.teams.decorators import TeamRequest, team_admin_required, team_member_required

logger = logging.getLogger(__name__)

INSTALL_STATE = "install"


@team_member_required
def github_integration(request: TeamRequest) -> HttpResponse:
    installations = list(team_installations(team=request.team))
    return render(
        request,
        "integrations/github.html",
        {
            "installations": installations,
            "connection_events": team_connection_events(team=request.team),
            "app_configured": bool(settings.GITHUB_APP_SLUG),
            "is_admin": request.membership.is_admin,
            "tracked_any": team_github_setup(team=request.team).tracked > 0,
        },
    )


@team_admin_required
@require_POST
def github_connect(request: TeamRequest) -> HttpResponse:
    """Send the admin to GitHub's install page with a signed single-use state bound to them and the team."""
    if not settings.GITHUB_APP_SLUG:
        messages.error(request, "The GitHub App is not configured on this server yet (GITHUB_APP_SLUG is empty).")
        return redirect("integrations:github", team_slug=request.team.slug)
    state = state_issue(purpose=INSTALL_STATE, user_id=request.user.pk, data={"team": request.team.pk})
    return HttpResponseRedirect(github_install_url(state=state))


@team_admin_required
@require_POST
def github_disconnect(request: TeamRequest, installation_id: int) -> HttpResponse:
    try:
        row = installation_unlink(team=request.team, installation_id=installation_id, user=request.user)
    except LinkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Disconnected {row.account_login or 'the installation'}. Its data is kept and the App is still "
            "installed on GitHub; uninstall it there if you no longer want it.",
        )
    return redirect("integrations:github", team_slug=request.team.slug)
