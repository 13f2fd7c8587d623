"""The team's GitHub integration page: see the connection, Connect (install/link) and Disconnect."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.integrations.github import GitHubAppNotConfigured, GitHubError
from apps.integrations.selectors import (
    github_authorize_url,
    github_install_url,
    permissions_not_granted,
    team_connection_events,
    team_github_setup,
    team_installations,
)
from apps.integrations.services.linking import LinkError, installation_claim, installation_unlink
from apps.integrations.services.registration import app_permissions
from apps.integrations.services.state import StateInvalid, state_consume, state_issue
from apps.teams.decorators import TeamRequest, team_admin_required, team_member_required

logger = logging.getLogger(__name__)

INSTALL_STATE = "install"
CLAIM_STATE = "claim"  # the sign-in of "Connect an existing installation", back at the install callback
CLAIM_CHOICE = "claim-choice"  # the installations that sign-in proved the user owns, for the one they pick


@team_member_required
def github_integration(request: TeamRequest) -> HttpResponse:
    wanted = app_permissions()
    installations = [
        (installation, permissions_not_granted(installation=installation, wanted=wanted))
        for installation in team_installations(team=request.team)
    ]
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
def github_claim_start(request: TeamRequest) -> HttpResponse:
    """ "Connect an existing installation": sign in with GitHub (OAuth web flow) to prove which installations the
    user owns. GitHub never returns from its install page for an account that already has the App."""
    if not settings.GITHUB_APP_SLUG or not settings.GITHUB_APP_CLIENT_ID:
        messages.error(request, "The GitHub App is not configured on this server yet.")
        return redirect("integrations:github", team_slug=request.team.slug)
    state = state_issue(purpose=CLAIM_STATE, user_id=request.user.pk, data={"team": request.team.pk})
    return HttpResponseRedirect(github_authorize_url(state=state))


@team_admin_required
@require_POST
def github_claim(request: TeamRequest) -> HttpResponse:
    """Link the installation picked on the claim page; only one the sign-in proved the user owns (signed state)."""
    try:
        data = state_consume(purpose=CLAIM_CHOICE, state=request.POST.get("choice", ""), user_id=request.user.pk)
    except StateInvalid as exc:
        messages.error(request, str(exc))
        return redirect("integrations:github", team_slug=request.team.slug)
    owned = data.get("owned") if data.get("team") == request.team.pk else None
    how = owned.get(request.POST.get("installation_id", "")) if isinstance(owned, dict) else None
    if not isinstance(how, str):
        messages.error(request, "That installation was not among those your GitHub sign-in proved you own.")
        return redirect("integrations:github", team_slug=request.team.slug)
    try:
        row = installation_claim(
            user=request.user,
            team=request.team,
            installation_id=int(request.POST["installation_id"]),
            github_login=str(data.get("login", "")),
            how=how,
        )
    except LinkError as exc:
        messages.error(request, str(exc))
    except GitHubAppNotConfigured:
        messages.error(request, "The GitHub App is not configured on this server yet.")
    except GitHubError:
        messages.error(request, "GitHub could not be reached or refused the request. Please try again.")
    else:
        messages.success(request, f"GitHub account {row.account_login} is connected to {request.team.name}.")
    return redirect("integrations:github", team_slug=request.team.slug)


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
