"""``GET /integrations/github/callback/``: where GitHub sends the user after installing or updating the App.

Query: ``code`` (OAuth, because the manifest sets ``request_oauth_on_install``), ``installation_id``,
``setup_action`` (``install`` | ``update`` | ``request``) and our ``state``. The same URL (the App's registered
callback URL) ends the sign-in of "Connect an existing installation": then only ``code`` and ``state`` come back,
and the page lists the installations the user may connect. Not team-scoped: the team comes
from the signed state. Every failure renders a page saying what happened; none is a 500.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.integrations.github import GitHubAppNotConfigured, GitHubError
from apps.integrations.services.linking import (
    LinkError,
    github_sign_in,
    installation_link_from_callback,
    installations_to_claim,
)
from apps.integrations.services.state import StateInvalid, state_consume, state_issue
from apps.teams.decorators import AuthenticatedRequest
from apps.teams.models import Membership, Team
from apps.web.integrations_views.team import CLAIM_CHOICE, CLAIM_STATE, INSTALL_STATE

logger = logging.getLogger(__name__)


def _problem(request: HttpRequest, message: str, status: int, advice: str = "") -> HttpResponse:
    context = {"problem": message, "advice": advice}
    return render(request, "integrations/callback_problem.html", context, status=status)


@login_required
@require_GET
def install_callback(request: AuthenticatedRequest) -> HttpResponse:
    setup_action = request.GET.get("setup_action", "")
    if setup_action == "request":
        return render(request, "integrations/callback_requested.html")
    if not setup_action and "installation_id" not in request.GET:
        return _claim_sign_in(request)
    try:
        installation_id = int(request.GET.get("installation_id", ""))
    except ValueError:
        return _problem(request, "GitHub did not say which installation this is about. Please start again.", 400)
    team = _team_of_state(request, INSTALL_STATE)
    if isinstance(team, HttpResponse):
        return team
    try:
        row = installation_link_from_callback(
            user=request.user,
            team=team,
            code=request.GET.get("code", ""),
            installation_id=installation_id,
            setup_action=setup_action,
        )
    except LinkError as exc:
        return _problem(request, str(exc), 403, exc.advice)
    except GitHubAppNotConfigured:
        return _problem(request, "The GitHub App is not configured on this tformance server yet.", 503)
    except GitHubError as exc:
        logger.warning(
            "install callback: GitHub error %s", type(exc).__name__, extra={"installation_id": installation_id}
        )
        return _problem(request, "GitHub could not be reached or refused the request. Please try again.", 502)
    messages.success(
        request,
        f"GitHub account {row.account_login} is connected to {team.name}. Next: choose the repositories to track.",
    )
    return redirect("integrations:github", team_slug=team.slug)


def _team_of_state(request: AuthenticatedRequest, purpose: str) -> Team | HttpResponse:
    """The team the signed, single-use ``state`` was made for, if the user is still its admin; else the page that
    says why (the state is never trusted beyond what it was signed for)."""
    try:
        data = state_consume(purpose=purpose, state=request.GET.get("state", ""), user_id=request.user.pk)
    except StateInvalid as exc:
        return _problem(request, str(exc), 400)
    team_id = data.get("team")
    membership = (
        Membership.objects.select_related("team").filter(user=request.user, team_id=team_id).first()
        if isinstance(team_id, int)
        else None
    )
    if membership is None or not membership.is_admin:
        return _problem(request, "Only an admin of the team can connect GitHub to it.", 403)
    return membership.team


def _claim_sign_in(request: AuthenticatedRequest) -> HttpResponse:
    """Back from "Connect an existing installation": list the installations the user can access, each checked by
    the ownership rule; the ones they own are offered, with a signed single-use state naming exactly those."""
    team = _team_of_state(request, CLAIM_STATE)
    if isinstance(team, HttpResponse):
        return team
    try:
        sign_in = github_sign_in(code=request.GET.get("code", ""))
        options = installations_to_claim(sign_in=sign_in, team=team)
    except LinkError as exc:
        return _problem(request, str(exc), 403, exc.advice)
    except GitHubAppNotConfigured:
        return _problem(request, "The GitHub App is not configured on this tformance server yet.", 503)
    except GitHubError as exc:
        logger.warning("claim sign-in: GitHub error %s", type(exc).__name__)
        return _problem(request, "GitHub could not be reached or refused the request. Please try again.", 502)
    owned = {str(o.installation_id): o.how for o in options if o.how}
    choice = state_issue(
        purpose=CLAIM_CHOICE, user_id=request.user.pk, data={"team": team.pk, "owned": owned, "login": sign_in.login}
    )
    context = {"team": team, "options": options, "choice": choice, "github_login": sign_in.login}
    return render(request, "integrations/claim.html", context)
