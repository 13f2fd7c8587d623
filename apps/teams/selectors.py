"""Reads for teams and memberships."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.urls import reverse

from apps.teams.models import APIToken, Invitation, Membership, Team
from apps.users.models import User


def user_teams(*, user: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).order_by("name")


def team_memberships(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__email")


def team_pending_invitations(*, team: Team) -> list[Invitation]:
    return [i for i in Invitation.objects.for_team(team).filter(accepted_at__isnull=True) if i.is_pending]


def invitation_link(*, invitation: Invitation, base_url: str) -> str:
    """The link the invitation email carries (admins may copy it and send it their own way)."""
    return base_url + reverse("teams:invitation_accept", kwargs={"token": invitation.token})


def team_api_tokens(*, team: Team) -> QuerySet[APIToken]:
    """The team's read-API tokens for its settings page: active ones first, newest first."""
    active_first = F("revoked_at").desc(nulls_first=True)
    return APIToken.objects.for_team(team).select_related("created_by").order_by(active_first, "-created_at")
