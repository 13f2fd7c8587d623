"""Team management pages: members, invitations, creating a team."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.metrics.services import team_production_rule_set
from apps.teams.decorators import AuthenticatedRequest, TeamRequest, team_admin_required, team_member_required
from apps.teams.forms import APITokenForm, InvitationForm, ProductionRuleForm, TeamForm, TeamTimezoneForm
from apps.teams.models import Invitation, Membership
from apps.teams.selectors import invitation_link, team_api_tokens, team_memberships, team_pending_invitations
from apps.teams.services import (
    InvitationError,
    api_token_create,
    api_token_revoke,
    invitation_accept,
    invitation_cancel,
    invitation_create,
    invitation_email,
    invitation_resend,
    membership_remove,
    team_create,
    team_rename,
    team_set_timezone,
)


@team_member_required
def members(request: TeamRequest) -> HttpResponse:
    return render(
        request,
        "teams/members.html",
        {
            "memberships": team_memberships(team=request.team),
            "invitations": [
                (i, invitation_link(invitation=i, base_url=settings.BASE_URL))
                for i in team_pending_invitations(team=request.team)
            ],
            "form": InvitationForm(),
        },
    )


@team_member_required
def team_settings(request: TeamRequest) -> HttpResponse:
    """The team's name, time zone and production rule (admins change them), where bots are marked, and the admin
    pages for staff."""
    return _settings_page(request)


def _settings_page(request: TeamRequest, production_form: ProductionRuleForm | None = None) -> HttpResponse:
    """``production_form``: a rule that did not validate, shown again with its error."""
    context = {
        "name_form": TeamForm(initial={"name": request.team.name}),
        "timezone_form": TeamTimezoneForm(initial={"timezone": request.team.timezone}),
        "production_form": production_form
        or ProductionRuleForm(initial={"production_environment_rule": request.team.production_environment_rule}),
    }
    return render(request, "teams/settings.html", context)


@team_admin_required
def api_tokens(request: TeamRequest) -> HttpResponse:
    """The team's read-API tokens. A new token is shown on the answer to the POST that made it, once: it is not
    stored, and a redirect would have to carry it in the session or the URL."""
    form = APITokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        row, token = api_token_create(team=request.team, name=form.cleaned_data["name"], created_by=request.user)
        created = (row, token)
        form = APITokenForm()
    response = render(
        request,
        "teams/api_tokens.html",
        {"form": form, "tokens": team_api_tokens(team=request.team), "created": created},
        status=400 if form.errors else 200,
    )
    if created:
        response["Cache-Control"] = "no-store"  # the page holds a secret: no copy in any cache
    return response


@team_admin_required
@require_POST
def api_token_revoke_view(request: TeamRequest, token_id: int) -> HttpResponse:
    row = api_token_revoke(team=request.team, token_id=token_id)
    if row is None:
        raise Http404("No such token.")
    messages.success(request, f"The token “{row.name}” ({row.prefix}…) is revoked: the API refuses it from now on.")
    return redirect("teams:api_tokens", team_slug=request.team.slug)


@team_admin_required
@require_POST
def rename(request: TeamRequest) -> HttpResponse:
    form = TeamForm(request.POST)
    if form.is_valid():
        team_rename(team=request.team, name=form.cleaned_data["name"])
        messages.success(request, f"The team is now called {form.cleaned_data['name']}.")
    else:
        messages.error(request, " ".join(str(error) for error in form.errors.get("name", ["Enter a team name."])))
    return redirect("teams:settings", team_slug=request.team.slug)


@team_admin_required
@require_POST
def set_timezone(request: TeamRequest) -> HttpResponse:
    """The team's time zone for dates and weekly buckets on its pages (an admin setting; UTC by default)."""
    form = TeamTimezoneForm(request.POST)
    if form.is_valid():
        team_set_timezone(team=request.team, timezone=form.cleaned_data["timezone"])
        messages.success(request, f"Time zone set to {form.cleaned_data['timezone']}.")
    else:
        messages.error(request, "Choose a time zone from the list.")
    return redirect("teams:settings", team_slug=request.team.slug)


@team_admin_required
@require_POST
def set_production_rule(request: TeamRequest) -> HttpResponse:
    """Which deployment environments count as production besides those GitHub flags; the team's deployments are
    classified again by the new rule. A rule that does not compile is shown again with the reason."""
    form = ProductionRuleForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, production_form=form)
    rule = form.cleaned_data["production_environment_rule"]
    team_production_rule_set(team=request.team, rule=rule)
    messages.success(request, f"Production environments are now those matching {rule}.")
    return redirect("teams:settings", team_slug=request.team.slug)


@team_admin_required
@require_POST
def invite(request: TeamRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(
                team=request.team,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                base_url=settings.BASE_URL,
            )
        except InvitationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            _show_email(request, invitation)
    else:
        messages.error(request, "Enter a valid email address.")
    return redirect("teams:members", team_slug=request.team.slug)


def _show_email(request: TeamRequest, invitation: Invitation) -> None:
    """In the demo (DEBUG with the console backend) the email never leaves the server log: show it on the page."""
    if settings.EMAIL_SHOWN_ON_PAGE:
        subject, text = invitation_email(invitation=invitation, base_url=settings.BASE_URL)
        messages.info(request, f"Demo: the email to {invitation.email} reads: “{subject}. {text.strip()}”")


@team_admin_required
@require_POST
def invitation_resend_view(request: TeamRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = invitation_resend(
            team=request.team, invitation_id=invitation_id, by=request.user, base_url=settings.BASE_URL
        )
    except Invitation.DoesNotExist:
        raise Http404("No such pending invitation in this team.") from None
    except InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation sent to {invitation.email} again.")
        _show_email(request, invitation)
    return redirect("teams:members", team_slug=request.team.slug)


@team_admin_required
@require_POST
def invitation_cancel_view(request: TeamRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = invitation_cancel(team=request.team, invitation_id=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404("No such pending invitation in this team.") from None
    messages.success(request, f"Invitation of {invitation.email} cancelled: its link no longer works.")
    return redirect("teams:members", team_slug=request.team.slug)


@team_admin_required
@require_POST
def member_remove(request: TeamRequest, membership_id: int) -> HttpResponse:
    try:
        membership_remove(team=request.team, membership_id=membership_id)
        messages.success(request, "Member removed.")
    except Membership.DoesNotExist:
        raise Http404("No such member in this team.") from None
    except InvitationError as exc:
        messages.error(request, str(exc))
    return redirect("teams:members", team_slug=request.team.slug)


@login_required
def create(request: AuthenticatedRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = team_create(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, f"Team {team.name} created.")
        return redirect("web:team_home", team_slug=team.slug)
    return render(request, "teams/create.html", {"form": form})


def invitation_detail(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email. Anonymous visitors sign up or log in first, then come back here."""
    invitation = get_object_or_404(Invitation.objects.select_related("team"), token=token)
    if not request.user.is_authenticated:
        request.session["invitation_next"] = request.get_full_path()
        return render(request, "teams/invitation_anonymous.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            invitation_accept(invitation=invitation, user=request.user)
        except InvitationError as exc:
            messages.error(request, str(exc))
            return redirect("web:home")
        messages.success(request, f"You joined {invitation.team.name}.")
        return redirect(reverse("web:team_home", kwargs={"team_slug": invitation.team.slug}))
    return render(request, "teams/invitation.html", {"invitation": invitation})
