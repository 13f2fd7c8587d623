"""Guards for team pages under ``/a/<team_slug>/``.

Every team view is wrapped in one of these. They resolve the team from the URL, require a membership
(a non-member gets 404, so team slugs cannot be probed), set ``request.team`` and ``request.membership``, and run
the view in the team's time zone.
Each guard marks the view with ``team_access`` so a test can walk every team URL and find one that skips it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.utils import timezone

from apps.teams.models import Membership, Team
from apps.teams.services import api_token_team

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from apps.users.models import User

View = Callable[..., HttpResponseBase]


class AuthenticatedRequest(HttpRequest):
    """The request a ``login_required`` view receives: its user is signed in, never ``AnonymousUser``."""

    user: User
    htmx: HtmxDetails  # set by django_htmx's middleware on every request


class TeamRequest(AuthenticatedRequest):
    """The request a team view receives once a guard below has let it through: the team from the URL and the
    user's membership of it are set, so the view reads them without a second query or a None check."""

    team: Team
    membership: Membership


def _guard(view: View, *, admin_only: bool) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, team_slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = Membership.objects.select_related("team").filter(team__slug=team_slug, user=request.user).first()
        if membership is None:
            raise Http404("No such team.")
        if admin_only and not membership.is_admin:
            raise PermissionDenied("Only team admins can do this.")
        team_request = cast(TeamRequest, request)
        team_request.team = membership.team
        team_request.membership = membership
        # Every team page, and every sentence on it, speaks the team's time zone: "today", a week's
        # Monday, and each date and time shown. A streamed response converts its own times (it outlives the view).
        with timezone.override(membership.team.tzinfo):
            return view(team_request, *args, **kwargs)

    wrapped.team_access = "admin" if admin_only else "member"  # type: ignore[attr-defined]
    return wrapped


def team_member_required(view: View) -> View:
    """Any member of the team may see the page."""
    return _guard(view, admin_only=False)


def team_admin_required(view: View) -> View:
    """Only the team's admins; other members get 403 with a message."""
    return _guard(view, admin_only=True)


class APIRequest(HttpRequest):
    """The request a read-API view receives: the team its bearer token reads."""

    team: Team


def api_token_required(view: View) -> View:
    """The read API's guard: ``Authorization: Bearer <token>`` names the team, and nothing else does (there is no
    team in the URL to probe). A missing, unknown or revoked token is 401 with ``WWW-Authenticate``, as RFC 6750 asks;
    the view runs in the team's time zone, as its pages do, so a day means the same on both."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        team = api_token_team(token=token.strip()) if scheme.lower() == "bearer" else None
        if team is None:
            response = JsonResponse(
                {"error": "Send a team's API token as 'Authorization: Bearer <token>' (the team's settings make one)."},
                status=401,
            )
            response["WWW-Authenticate"] = 'Bearer realm="tformance"'
            return response
        api_request = cast(APIRequest, request)
        api_request.team = team
        with timezone.override(team.tzinfo):
            return view(api_request, *args, **kwargs)

    return wrapped
