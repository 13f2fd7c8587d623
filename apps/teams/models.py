"""Teams are the tenants of tformance: every row of customer data belongs to exactly one team."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import timedelta
from typing import Self, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone

INVITATION_LIFETIME = timedelta(days=14)
DEFAULT_PRODUCTION_RULE = "^prod(uction)?$"


def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone name the system knows, for the team's timezone setting."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Team(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    # Dates on the team's pages (the dashboard's period, its weeks) are days in this time zone.
    timezone = models.CharField(max_length=64, default="UTC", choices=timezone_choices)
    # Which deployment environments count as production besides those GitHub flags: a regular expression matched,
    # case-insensitively, against the environment's name (Python's syntax; the settings form checks it compiles).
    production_environment_rule = models.CharField(max_length=200, default=DEFAULT_PRODUCTION_RULE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")  # a zone the system no longer knows: never a 500


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


_M = TypeVar("_M", bound=models.Model)


class TeamScopedQuerySet(models.QuerySet[_M]):
    def for_team(self, team: Team) -> Self:
        """The only way team pages should read tenant data: always narrowed to ``request.team``."""
        return self.filter(team=team)


class BaseTeamModel(models.Model):
    """Every tenant-owned model subclasses this, so every row carries its team (a test enforces it)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Invitation(BaseTeamModel):
    """An email link that lets its recipient join a team; single use and expiring."""

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.team}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() > self.created_at + INVITATION_LIFETIME

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and not self.is_expired


class APIToken(BaseTeamModel):
    """A credential for the read API: whoever holds it reads this team's figures, as a member would see them.

    Only a digest is stored (SHA-256 of the whole token: the token is 256 random bits, so a plain hash is as strong
    as a slow one and costs nothing per request); the token itself is shown once, when it is made. ``prefix`` (the
    first characters) is what the settings page shows to tell tokens apart. A revoked token is kept, with who made it
    and when it was last used, so an admin can see what it was.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"API token {self.name} ({self.prefix}…) of {self.team}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
