"""Sign-up, email verification and the password-reset confirmation. Log in, log out and the reset request are
Django's own views (see users_urls.py); django-axes throttles the log-in."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.teams.decorators import AuthenticatedRequest
from apps.teams.selectors import user_teams
from apps.teams.services import team_create_for_signup
from apps.users.forms import SignupForm
from apps.users.services import (
    SignupRequest,
    VerificationError,
    email_verification_send,
    email_verify,
    signup_request,
)

SIGNUP_EMAIL = "signup_email"


def signup(request: HttpRequest) -> HttpResponse:
    """The same answer for every address (check your email): the verification link signs the new user in."""
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signup = SignupRequest.hashing(email=form.cleaned_data["email"], password=form.cleaned_data["password1"])
        with transaction.atomic():
            user = signup_request(request=signup, base_url=settings.BASE_URL)
            if user is not None:
                team_create_for_signup(user=user, name=form.cleaned_data["team_name"])
        request.session[SIGNUP_EMAIL] = form.cleaned_data["email"]
        return redirect("users:signup_sent")
    return render(request, "users/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "users/signup_sent.html", {"email": request.session.get(SIGNUP_EMAIL, "")})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """Mark the address verified; on the link's first use a visitor who is not signed in is signed in as the account
    it is for (opening it proves they read that inbox). A pending invitation in the session comes next."""
    try:
        verification = email_verify(token=token)
    except VerificationError as exc:
        return render(request, "users/verify_failed.html", {"problem": str(exc)}, status=400)
    user = verification.user
    if not request.user.is_authenticated:
        if not verification.first_use:  # a used link never signs anyone in again
            messages.info(request, f"{user.email} is already verified. Log in to continue.")
            return redirect("users:login")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    elif request.user.pk != user.pk:
        messages.info(request, f"{user.email} is verified. You are still signed in as {request.user.email}.")
        return redirect("web:home")
    messages.success(request, f"Your address {user.email} is verified.")
    next_url = request.session.pop("invitation_next", None)
    team = user_teams(user=user).first()
    return redirect(next_url or (reverse("web:team_home", kwargs={"team_slug": team.slug}) if team else "web:home"))


@login_required
@require_POST
def verify_resend(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if user.is_email_verified:
        messages.info(request, "Your address is already verified.")
    elif email_verification_send(user=user, base_url=settings.BASE_URL):
        messages.success(request, f"We sent a new verification link to {user.email}.")
    else:
        messages.warning(request, "Several links were sent in the last hour; please use one of those.")
    next_url = request.POST.get("next", "")
    return redirect(next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None) else "web:home")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a reset through the emailed link also lifts a sign-in lock-out of that account at once, so
    someone who guesses at a password cannot keep the real user out."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response
