"""Linking an installation to a team (install callback) and unlinking it (Disconnect).

Invariant: an installation belongs to at most one team, and only a user proven to reach it on GitHub can
link it. The ``installation_id`` of the callback URL is never trusted on its own: the callback ``code`` is
exchanged for a user token, and the id must be among ``GET /user/installations`` for that token (all pages).
The user token is used for that check only and never stored.

Reinstall on the same account (GitHub gives the new installation a new id): the team link moves when a team
admin links the new installation through the callback — never automatically on ``installation.created``,
because only the callback proves who asked for it. Linking then moves the team's tracked repositories from
the account's earlier installations to the new one, and marks those earlier installations deleted (GitHub
allows one installation of an App per account, so they are gone) and unlinked.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser as User
from django.db import transaction
from django.utils import timezone

from apps.integrations.github import GitHubAppNotConfigured, app_credentials, http_session
from apps.integrations.models import GitHubAppInstallation, InstallationStatus, TrackedRepository
from apps.integrations.services.installations import installation_mark_deleted
from apps.integrations.services.refresh import installation_refresh_from_github
from apps.integrations.services.repositories import ACCESS_REMOVED
from apps.teams.models import Team
from github_app import NotFound, OAuthError, exchange_oauth_code, list_user_installations

logger = logging.getLogger(__name__)

DISCONNECTED = "GitHub disconnected"


class LinkError(Exception):
    """The installation cannot be linked or unlinked; the message is shown to the user as is."""


def installation_ids_of_user(*, code: str) -> set[int]:
    """Exchange the callback ``code`` for a user token and list the installations that user can reach."""
    if not code:
        raise LinkError("GitHub did not send a sign-in code, so we cannot check your access. Please try again.")
    try:
        credentials = app_credentials()
    except GitHubAppNotConfigured:
        raise LinkError("The GitHub App is not configured on this tformance server yet.") from None
    session = http_session()
    try:
        user_token = exchange_oauth_code(credentials, session, code)
    except OAuthError as exc:
        raise LinkError(f"GitHub did not accept the sign-in ({exc.error}). Please start again.") from None
    return {int(i["id"]) for i in list_user_installations(credentials, session, user_token)}


def installation_link_from_callback(
    *, user: User, team: Team, code: str, installation_id: int, setup_action: str
) -> GitHubAppInstallation:
    """The install callback, after its state was checked: prove access, mirror if needed, link."""
    if installation_id not in installation_ids_of_user(code=code):
        logger.warning(
            "install callback refused: installation %s not reachable by user %s",
            installation_id,
            user.pk,
            extra={"installation_id": installation_id, "team_id": team.pk},
        )
        raise LinkError("Your GitHub account does not have access to that installation, so nothing was linked.")
    known = GitHubAppInstallation.objects.filter(installation_id=installation_id).first()
    if known is None or setup_action == "update" or known.status == InstallationStatus.DELETED:
        try:
            installation_refresh_from_github(installation_id=installation_id)
        except NotFound:
            raise LinkError("GitHub says this installation no longer exists. Please install the App again.") from None
    return installation_link_to_team(installation_id=installation_id, team=team, user=user)


@transaction.atomic
def installation_link_to_team(*, installation_id: int, team: Team, user: User) -> GitHubAppInstallation:
    """Link (idempotent for the same team); refuse an installation linked to another team."""
    row = GitHubAppInstallation.objects.select_for_update().filter(installation_id=installation_id).first()
    if row is None or row.status == InstallationStatus.DELETED:
        raise LinkError("This installation has been removed from GitHub. Please install the App again.")
    if row.team_id is not None and row.team_id != team.pk:
        raise LinkError(
            f"The GitHub account {row.account_login} is already connected to another tformance team. "
            "Ask that team's admins to disconnect it first."
        )
    if row.team_id is None:
        row.team, row.linked_at, row.linked_by = team, timezone.now(), user
        row.save(update_fields=["team", "linked_at", "linked_by", "updated_at"])
        logger.info(
            "installation %s linked to team %s",
            installation_id,
            team.pk,
            extra={"installation_id": installation_id, "team_id": team.pk},
        )
    tracked_repositories_move(team=team, installation=row)
    return row


def tracked_repositories_move(*, team: Team, installation: GitHubAppInstallation) -> int:
    """Point the team's tracked repositories of this account's earlier installations (a reinstall) at
    ``installation``, and reactivate those that were inactive only because of a disconnect or lost access
    and are reachable again. Returns how many tracked repositories were moved."""
    earlier = GitHubAppInstallation.objects.select_for_update().filter(team=team, account_id=installation.account_id)
    earlier = list(earlier.exclude(pk=installation.pk)) if installation.account_id is not None else []
    moved = (
        TrackedRepository.objects.for_team(team)
        .filter(installation__in=earlier)
        .update(installation=installation, updated_at=timezone.now())
    )
    for old in earlier:
        installation_mark_deleted(installation=old)
        old.team, old.linked_at, old.linked_by = None, None, None
        old.save(update_fields=["team", "linked_at", "linked_by", "updated_at"])
    reachable = set(installation.repositories.filter(removed_at__isnull=True).values_list("github_repo_id", flat=True))
    for tracked in TrackedRepository.objects.for_team(team).filter(installation=installation):
        if tracked.github_repo_id in reachable and not tracked.is_active:
            if tracked.inactive_reason in {ACCESS_REMOVED, DISCONNECTED}:
                tracked.is_active, tracked.inactive_reason = True, ""
                tracked.save(update_fields=["is_active", "inactive_reason", "updated_at"])
        elif tracked.github_repo_id not in reachable and tracked.is_active:
            tracked.is_active, tracked.inactive_reason = False, ACCESS_REMOVED
            tracked.save(update_fields=["is_active", "inactive_reason", "updated_at"])
    return moved


@transaction.atomic
def installation_unlink(*, team: Team, installation_id: int) -> GitHubAppInstallation:
    """Disconnect: the team stops receiving the installation's data. Nothing is deleted and the App stays
    installed on GitHub; tracked repositories become inactive until the installation is linked again."""
    row = GitHubAppInstallation.objects.select_for_update().filter(team=team, installation_id=installation_id).first()
    if row is None:
        raise LinkError("That GitHub installation is not connected to this team.")
    row.team, row.linked_at, row.linked_by = None, None, None
    row.save(update_fields=["team", "linked_at", "linked_by", "updated_at"])
    TrackedRepository.objects.for_team(team).filter(installation=row, is_active=True).update(
        is_active=False, inactive_reason=DISCONNECTED, updated_at=timezone.now()
    )
    logger.info(
        "installation %s unlinked from team %s",
        installation_id,
        team.pk,
        extra={"installation_id": installation_id, "team_id": team.pk},
    )
    return row
