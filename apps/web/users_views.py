"""Sign-up, email verification and the password-reset confirmation. Log in, log out and the reset request are
Django's own views (see urls.py); django-axes throttles the log-in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.teams.decorators import AuthenticatedRequest
from apps.teams.selectors import user_teams
from apps.teams.services import team_create_for_signup
from apps.users.email_change import EmailChangeError, email_change_confirm, email_change_request, email_change_target
from apps.users.forms import SignupForm
from apps.users.models import User
from apps.users.services import (
    SignupRequest,
    VerificationError,
    email_verification_link,
    email_verification_send,
    email_verification_user,
    email_verify,
    signup_request,
    user_set_first_password,
)
from apps.users.throttling import client_ip, login_failures_forget, signup_allowed

SIGNUP_EMAIL = "signup_email"
SIGNUP_USER = "signup_user"  # the pk of the account this browser signed up
SIGNUP_DEMO_LINK = "signup_demo_link"  # the demo's verification link, shown on the page as invitations are


def signup(request: HttpRequest) -> HttpResponse:
    """The same answer for every address (check your email); the emailed link verifies the address."""
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not signup_allowed(request=request):
            form.add_error(None, "Too many sign-ups from your network in the last hour. Please try again later.")
            return render(request, "users/signup.html", {"form": form}, status=429)
        signup = SignupRequest.hashing(email=form.cleaned_data["email"], password=form.cleaned_data["password1"])
        with transaction.atomic():
            user = signup_request(request=signup, base_url=settings.BASE_URL)
            if user is not None:
                team_create_for_signup(user=user, name=form.cleaned_data["team_name"])
        if user is not None:
            request.session[SIGNUP_USER] = user.pk  # this browser registered it: its password is the verifier's
            if settings.EMAIL_SHOWN_ON_PAGE:  # the demo: the email only reaches the server's log
                request.session[SIGNUP_DEMO_LINK] = email_verification_link(user=user, base_url=settings.BASE_URL)
        request.session[SIGNUP_EMAIL] = form.cleaned_data["email"]
        return redirect("users:signup_sent")
    return render(request, "users/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    demo_link = request.session.get(SIGNUP_DEMO_LINK) if settings.EMAIL_SHOWN_ON_PAGE else None
    context = {"email": request.session.get(SIGNUP_EMAIL, ""), "demo_link": demo_link}
    return render(request, "users/signup_sent.html", context)


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link shows a page naming the account; only its Verify button (a POST) verifies, so a link sent
    by someone else cannot act on its own (a mail scanner's GET neither). Verifying signs the visitor in as that
    account, unless they are signed in as another one: then nothing happens (an attacker's link opened by an org
    owner must not put the owner in the attacker's account). A verifier who did not register the account (another
    browser) ends the registration's password and sessions and chooses the password next (``email_verify``)."""
    try:
        user = email_verification_user(token=token)
    except VerificationError as exc:
        return render(request, "users/verify_failed.html", {"problem": str(exc)}, status=400)
    other = request.user if request.user.is_authenticated and request.user.pk != user.pk else None
    if user.is_email_verified and not other:
        if request.user.is_authenticated:
            return redirect("web:home")
        messages.info(request, f"{user.email} is already verified. Log in to continue.")
        return redirect("users:login")
    registrant = request.session.get(SIGNUP_USER) == user.pk or request.user.pk == user.pk
    if request.method != "POST" or other:
        context = {"account": user, "signed_in_as": other, "registrant": registrant}
        return render(request, "users/verify_email.html", context, status=403 if other else 200)
    try:
        verification = email_verify(token=token, by_registrant=registrant)
    except VerificationError as exc:
        return render(request, "users/verify_failed.html", {"problem": str(exc)}, status=400)
    login(request, verification.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.pop(SIGNUP_USER, None)
    if verification.password_cleared:
        messages.success(request, f"Your address {user.email} is verified. Choose the account's password.")
        return redirect("users:set_password")
    messages.success(request, f"Your address {user.email} is verified.")
    return _after_verification(request, verification.user)


def _after_verification(request: HttpRequest, user: User) -> HttpResponse:
    """A pending invitation in the session comes next, else the user's first team."""
    next_url = request.session.pop("invitation_next", None)
    team = user_teams(user=user).first()
    return redirect(next_url or (reverse("web:team_home", kwargs={"team_slug": team.slug}) if team else "web:home"))


@login_required
def set_password(request: AuthenticatedRequest) -> HttpResponse:
    """The password of an account whose address was just verified by a browser that did not register it (the
    registration's own password was ended). Only for an account without a usable password: changing a password
    otherwise asks for the old one (or a reset link)."""
    if request.user.has_usable_password():
        return redirect("web:home")
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_set_first_password(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, "Password set.")
        return _after_verification(request, user)
    return render(request, "users/set_password.html", {"form": form})


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
    """Django's view, which on the link's first use keeps the token in the session and redirects to
    ``.../set-password/`` (the token leaves the address bar, the Referer and later log lines; once the password is
    set, the logged link is void). The link is not bound to the first browser that opens it: mail scanners open
    links before their reader does, and would claim it. A reset also lifts a sign-in lock-out of that account at
    once, so someone who guesses at a password cannot keep the real user out."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        login_failures_forget(account=form.user.get_username(), address=client_ip(self.request))
        return response


class LogoutView(auth_views.LogoutView):
    """Django's log-out, then a message on the page it lands on, so the user knows it worked."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password while logged in (the current one first); the session stays signed in."""

    template_name = "users/password_change.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"email_form": kwargs.get("email_form") or EmailChangeForm()}

    def get_success_url(self) -> str:
        return reverse("users:password_change")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed.")
        return response


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New email address")
    password = forms.CharField(label="Your current password", widget=forms.PasswordInput, strip=False)


@login_required
@require_POST
def email_change(request: AuthenticatedRequest) -> HttpResponse:
    """Ask for a new address: the current password first, then a link to the new address confirms it."""
    form = EmailChangeForm(request.POST)
    if form.is_valid() and not request.user.check_password(form.cleaned_data["password"]):
        form.add_error("password", "This is not your current password.")
    if not form.is_valid():
        context = {"form": PasswordChangeForm(request.user), "email_form": form}  # the account page, with the errors
        return render(request, "users/password_change.html", context, status=400)
    new_email = form.cleaned_data["email"]
    change = email_change_request(user=request.user, new_email=new_email, base_url=settings.BASE_URL)
    messages.info(request, f"We sent a link to {new_email}: your address changes when you open it, signed in here.")
    if settings.EMAIL_SHOWN_ON_PAGE and change.sent:
        messages.info(request, f"Demo: the email to {new_email} holds this link: {change.link}")
    return redirect("users:password_change")


@login_required
def email_change_confirm_view(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The emailed link shows the change; its button (a POST) makes it."""
    try:
        new_email = email_change_target(token=token, user=request.user)
        if request.method == "POST":
            email_change_confirm(token=token, user=request.user)
            messages.success(request, f"Your email address is now {new_email}.")
            return redirect("users:password_change")
    except EmailChangeError as refused:
        return render(request, "users/email_change_confirm.html", {"error": str(refused)}, status=400)
    return render(request, "users/email_change_confirm.html", {"new_email": new_email})
