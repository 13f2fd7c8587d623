"""Guards for team pages under ``/a/<team_slug>/``.

Every team view is wrapped in one of these. They resolve the team from the URL, require a membership
(a non-member gets 404, so team slugs cannot be probed) and set ``request.team`` and ``request.membership``.
Each guard marks the view with ``team_access`` so a test can walk every team URL and find one that skips it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from apps.teams.models import Membership

View = Callable[..., HttpResponse]


def _guard(view: View, *, admin_only: bool) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, team_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = Membership.objects.select_related("team").filter(team__slug=team_slug, user=request.user).first()
        if membership is None:
            raise Http404("No such team.")
        if admin_only and not membership.is_admin:
            raise PermissionDenied("Only team admins can do this.")
        request.team = membership.team  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    wrapped.team_access = "admin" if admin_only else "member"  # type: ignore[attr-defined]
    return wrapped


def team_member_required(view: View) -> View:
    """Any member of the team may see the page."""
    return _guard(view, admin_only=False)


def team_admin_required(view: View) -> View:
    """Only the team's admins; other members get 403 with a message."""
    return _guard(view, admin_only=True)
