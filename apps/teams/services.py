"""Writes for teams, memberships and invitations."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.teams.models import APIToken, Invitation, Membership, Role, Team
from apps.teams.selectors import invitation_link
from apps.users.models import User
from apps.users.throttling import account_email_allowed, rate_allowed


class InvitationError(Exception):
    """An invitation that cannot be accepted; the message is shown to the user."""


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "team"
    slug, n = base, 1
    while Team.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def team_create(*, name: str, owner: User) -> Team:
    """Create a team with ``owner`` as its first admin. Retries the slug if a concurrent sign-up took it."""
    for _ in range(5):
        try:
            with transaction.atomic():
                team = Team.objects.create(name=name.strip(), slug=_unique_slug(name))
                Membership.objects.create(team=team, user=owner, role=Role.ADMIN)
                return team
        except IntegrityError:
            continue
    raise RuntimeError("Could not find a free slug for the team.")


def team_set_timezone(*, team: Team, timezone: str) -> Team:
    """Set the time zone the team's dates and weekly buckets use (an IANA name, validated by the form)."""
    team.timezone = timezone
    team.save(update_fields=["timezone", "updated_at"])
    return team


def team_rename(*, team: Team, name: str) -> Team:
    """The team's display name (its slug, and so every link to its pages, stays as it was)."""
    team.name = name
    team.save(update_fields=["name", "updated_at"])
    return team


def team_create_for_signup(*, user: User, name: str) -> Team:
    """Every new account starts with a team of its own, so the dashboard has a home from the first minute."""
    return team_create(name=name or f"{user.email.split('@')[0]}'s team", owner=user)


def one_line(text: str) -> str:
    """``text`` as one line for an email header: every control or line-separating character becomes a space (a name
    saved before names were checked must not split the header, nor make Django refuse to send it)."""
    return " ".join("".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text).split())


def invitation_email(*, invitation: Invitation, base_url: str) -> tuple[str, str]:
    """The invitation email's subject and text (also what the demo shows on the page)."""
    team, by = invitation.team, invitation.invited_by
    subject = one_line(f"You are invited to {team.name} on tformance")
    sender = by.email if by else "A team admin"
    link = invitation_link(invitation=invitation, base_url=base_url)
    return subject, f"{sender} invited you to join {team.name} on tformance.\n\nAccept: {link}\n"


def invitation_send(*, invitation: Invitation, base_url: str) -> None:
    subject, message = invitation_email(invitation=invitation, base_url=base_url)
    send_mail(subject=subject, message=message, from_email=None, recipient_list=[invitation.email])


def _invitation_send_check(*, team: Team, email: str, by: User) -> None:
    """Invitations are email we send to anyone on a user's word, with the team's name in the subject: only a
    verified account may send them, and each team, each inviter and each inbox gets a bounded number an hour."""
    if not by.is_email_verified:
        raise InvitationError(
            f"Verify your address {by.email} before inviting anyone: use the link we emailed you, or send a new one."
        )
    allowed = [
        rate_allowed(scope="invitations:team", key=str(team.pk), limit=settings.ACCOUNT_INVITATIONS_PER_TEAM),
        rate_allowed(scope="invitations:user", key=str(by.pk), limit=settings.ACCOUNT_INVITATIONS_PER_USER),
        account_email_allowed(purpose="invitation", email=email),
    ]
    if not all(allowed):
        raise InvitationError(
            f"Too many invitations in the last hour (from this team, from you, or to {email}): try again later."
        )


def invitation_create(*, team: Team, email: str, role: str, invited_by: User, base_url: str) -> Invitation:
    """Invite ``email`` and send the link. An earlier pending invitation to the same address is replaced."""
    email = User.objects.normalize_email(email).lower()
    _invitation_send_check(team=team, email=email, by=invited_by)
    Invitation.objects.for_team(team).filter(email__iexact=email, accepted_at__isnull=True).delete()
    invitation = Invitation.objects.create(team=team, email=email, role=role, invited_by=invited_by)
    invitation_send(invitation=invitation, base_url=base_url)
    return invitation


def invitation_resend(*, team: Team, invitation_id: int, by: User, base_url: str) -> Invitation:
    """Send a pending invitation's link again (the same link: one already shared keeps working). Raises
    ``Invitation.DoesNotExist`` for another team's invitation, or one already used."""
    invitation = Invitation.objects.for_team(team).get(pk=invitation_id, accepted_at__isnull=True)
    if invitation.is_expired:
        raise InvitationError(f"The invitation of {invitation.email} has expired: invite them again.")
    _invitation_send_check(team=team, email=invitation.email, by=by)
    invitation_send(invitation=invitation, base_url=base_url)
    return invitation


def invitation_cancel(*, team: Team, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation: its link stops working. Raises ``Invitation.DoesNotExist`` as above."""
    invitation = Invitation.objects.for_team(team).get(pk=invitation_id, accepted_at__isnull=True)
    invitation.delete()
    return invitation


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the invited team. The link is bound to the invited address: another account cannot use it."""
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used.")
    if invitation.is_expired:
        raise InvitationError("This invitation has expired. Ask for a new one.")
    if user.email.lower() != invitation.email.lower():
        raise InvitationError(f"This invitation is for {invitation.email}. Log in with that address to accept it.")
    if not user.is_email_verified:
        raise InvitationError(
            f"Verify your address {user.email} first: the invitation is for that address, so we need to know it is "
            "yours. Use the link we emailed you, or send a new one below."
        )
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if not updated:
            raise InvitationError("This invitation has already been used.")
        membership, _ = Membership.objects.get_or_create(
            team=invitation.team, user=user, defaults={"role": invitation.role}
        )
    return membership


def membership_remove(*, team: Team, membership_id: int) -> None:
    """Remove a member; the last admin cannot be removed, or the team would be left without one."""
    membership = Membership.objects.get(team=team, pk=membership_id)
    if membership.is_admin and Membership.objects.filter(team=team, role=Role.ADMIN).count() == 1:
        raise InvitationError("A team needs at least one admin.")
    membership.delete()


# Read-API tokens: made once and shown once, checked on every API request, revoked by an admin. A token is ``tfk_``
# followed by 43 URL-safe characters (32 random bytes); only its SHA-256 digest is stored, so a copy of the database
# gives no one a working token.
TOKEN_PREFIX = "tfk_"
SHOWN_PREFIX = 8  # characters of the token the settings page shows: "tfk_" and four of its own
LAST_USED_PRECISION = timedelta(minutes=5)  # "last used" is written at most this often, not on every request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, team: Team, name: str, created_by: User) -> tuple[APIToken, str]:
    """Make a token and return its row and the token itself, which is never readable again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = APIToken.objects.create(
        team=team, name=name.strip(), prefix=token[:SHOWN_PREFIX], digest=_digest(token), created_by=created_by
    )
    return row, token


def api_token_revoke(*, team: Team, token_id: int) -> APIToken | None:
    """Revoke one of the team's tokens (None: no such token of this team). Revoking twice keeps the first time."""
    row = APIToken.objects.for_team(team).filter(pk=token_id).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at", "updated_at"])
    return row


def api_token_team(*, token: str) -> Team | None:
    """The team a presented token reads, or None when it is unknown or revoked; notes when it was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = APIToken.objects.select_related("team").filter(digest=_digest(token), revoked_at__isnull=True).first()
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        APIToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.team
