"""Sign-up. Log in, log out and password reset are Django's own views (see urls.py)."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.teams.services import team_create_for_signup
from apps.users.forms import SignupForm


def signup(request: HttpRequest) -> HttpResponse:
    """Create the account and its first team; a pending invitation in the session is honoured after login."""
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        team = team_create_for_signup(user=user, name=form.cleaned_data["team_name"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        next_url = request.session.pop("invitation_next", None)
        return redirect(next_url or reverse("web:team_home", kwargs={"team_slug": team.slug}))
    return render(request, "users/signup.html", {"form": form})
