"""Linking an installation to a team (install callback) and unlinking it (Disconnect).

Invariant 3 (docs/architecture.md): an installation belongs to at most one team, and only a user proven to **own** it on
GitHub can link it. The ``installation_id`` of the callback URL is never trusted on its own: the callback ``code``
is exchanged for a user token, ``GET /user`` says who signed in, and that GitHub user must be

- the account itself, for an installation on a personal account;
- an active admin (owner) of the organization: ``GET /user/memberships/orgs/{org}`` with the user's token answers
  ``state: active, role: admin``; or
- the user who installed the App there: the ``sender`` of ``installation.created``, once it has arrived, while
  they are still an active member of the organization (checked at link time, as above) and until they revoke
  their authorization of the App (``github_app_authorization.revoked`` forgets the claim).

Appearing in ``GET /user/installations`` is not enough: GitHub lists an organization's installation there for every
member who can read one of its repositories. Anyone else is refused, nothing is stored, and the installation stays
free for its owners. The user token is used for these checks only and never stored.

Reinstall on the same account (GitHub gives the new installation a new id): the team link moves when a team
admin links the new installation through the callback — never automatically on ``installation.created``,
because only the callback proves who asked for it. Linking then moves the team's tracked repositories from
the account's earlier installations to the new one, and marks those earlier installations deleted (GitHub
allows one installation of an App per account, so they are gone) and unlinked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.integrations.github import GitHubAppNotConfigured, app_api, app_credentials, http_session
from apps.integrations.models import (
    ConnectionAction,
    GitHubAppInstallation,
    InactiveReason,
    InstallationConnectionEvent,
    InstallationStatus,
    TrackedRepository,
)
from apps.integrations.services.installations import InstallationSnapshot, installation_mark_deleted
from apps.integrations.services.refresh import installation_refresh_from_github
from apps.integrations.services.repositories import REGAINABLE, RepositoryInfo, tracked_repositories_follow
from apps.integrations.services.tracking import tracked_repository_catch_up_gap
from apps.teams.models import Team
from apps.users.models import User
from github_app import NotFound, OAuthError, UserAPI, exchange_oauth_code

logger = logging.getLogger(__name__)


class LinkError(Exception):
    """The installation cannot be linked or unlinked; the message is shown to the user as is, and ``advice``
    (when given) says what to do instead."""

    def __init__(self, message: str, *, advice: str = "") -> None:
        super().__init__(message)
        self.advice = advice


@dataclass(frozen=True)
class GitHubSignIn:
    """The GitHub user proven by the callback's sign-in code, and their API (its token is never stored)."""

    id: int
    login: str
    api: UserAPI


@dataclass(frozen=True)
class InstallationOwners:
    """What decides who owns an installation: its account and, once ``installation.created`` arrived, its
    installer."""

    account_id: int | None
    account_login: str
    account_type: str
    installer_id: int | None = None


def github_sign_in(*, code: str) -> GitHubSignIn:
    """Exchange the callback ``code`` for a user token and ask GitHub who that user is (``GET /user``)."""
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
    api = UserAPI(credentials, session, user_token)
    me = api.get_user()
    return GitHubSignIn(id=int(me["id"]), login=str(me["login"]), api=api)


def installation_owners(*, installation_id: int) -> InstallationOwners:
    """Our mirror's account and installer, or (callback before the webhook) the account from
    ``GET /app/installations/{id}`` with the App JWT, which stores nothing."""
    row = GitHubAppInstallation.objects.filter(installation_id=installation_id).first()
    if row is not None and row.account_id is not None:
        return InstallationOwners(row.account_id, row.account_login, row.account_type, row.installed_by_github_id)
    try:
        snapshot = InstallationSnapshot.from_rest(app_api().get_installation(installation_id))
    except NotFound:
        raise LinkError("GitHub says this installation no longer exists. Please install the App again.") from None
    installer = row.installed_by_github_id if row is not None else None
    return InstallationOwners(snapshot.account_id, snapshot.account_login, snapshot.account_type, installer)


def installation_owner_check(*, sign_in: GitHubSignIn, owners: InstallationOwners) -> str:
    """Refuse (``LinkError``) unless the signed-in GitHub user owns the installation; returns how they own it.

    The installer of an organization's installation owns it only while they are still an active member of the
    organization (GitHub's advice for user tokens: validate organization access at the time of use, since people
    leave): ``GET /user/memberships/orgs/{org}`` answers 404 for a former member."""
    if owners.account_id is not None and sign_in.id == owners.account_id:
        return "account"
    installer = owners.installer_id is not None and sign_in.id == owners.installer_id
    account = owners.account_login or "that account"
    if owners.account_type == "Organization" and owners.account_login:
        membership = sign_in.api.get_org_membership(owners.account_login)
        active = membership is not None and membership.get("state") == "active"
        if installer and active:
            return "installer"
        if active and membership is not None and membership.get("role") == "admin":
            return "organization admin"
        if installer:
            reason = (
                f"Your GitHub account {sign_in.login} installed tformance on {account} but is no longer an active "
                f"member of it. Only an owner of {account}, or an installer who is still a member"
            )
            raise LinkError(
                f"{reason}, can connect it to a tformance team, so nothing was connected.",
                advice=f"Ask an owner of {account} to connect it.",
            )
        if active:
            reason = f"Your GitHub account {sign_in.login} is a member of {account}, but not one of its owners"
        else:
            reason = f"Your GitHub account {sign_in.login} is not an owner of the GitHub organization {account}"
        raise LinkError(
            f"{reason}, and it did not install tformance there. Only an owner of {account}, or the person who "
            "installed the App, can connect it to a tformance team, so nothing was connected.",
            advice=f"Ask an owner of {account} to connect it: they sign in to tformance, open your team's GitHub "
            "page and click Connect GitHub (or invite them to your team first).",
        )
    if installer:
        return "installer"
    raise LinkError(
        f"The GitHub account {account} is not yours (you are signed in to GitHub as {sign_in.login}), "
        "so nothing was connected.",
        advice=f"Ask {account} to connect it, or install the App on an account you own.",
    )


def installer_claims_forget(*, github_user_id: int) -> int:
    """``github_app_authorization.revoked``: the user withdrew their authorization of the App, so being the
    installer no longer lets them connect an installation (an owner of the account still can). Returns how many
    installations forgot them as installer."""
    return GitHubAppInstallation.objects.filter(installed_by_github_id=github_user_id).update(
        installed_by_github_id=None, installed_by_login="", updated_at=timezone.now()
    )


def installation_link_from_callback(
    *, user: User, team: Team, code: str, installation_id: int, setup_action: str
) -> GitHubAppInstallation:
    """The install callback, after its state was checked: prove ownership, mirror if needed, link."""
    sign_in = github_sign_in(code=code)
    try:
        how = installation_owner_check(sign_in=sign_in, owners=installation_owners(installation_id=installation_id))
    except LinkError:
        logger.warning(
            "install callback refused: GitHub user %s does not own installation %s",
            sign_in.id,
            installation_id,
            extra={"installation_id": installation_id, "team_id": team.pk},
        )
        raise
    known = GitHubAppInstallation.objects.filter(installation_id=installation_id).first()
    if (
        known is None
        or known.account_id is None
        or setup_action == "update"
        or known.status == InstallationStatus.DELETED
    ):
        _installation_mirror(installation_id)
    logger.info(
        "install callback: GitHub user %s owns installation %s as %s",
        sign_in.id,
        installation_id,
        how,
        extra={"installation_id": installation_id, "team_id": team.pk},
    )
    return installation_link_to_team(
        installation_id=installation_id, team=team, user=user, github_login=sign_in.login, how=how
    )


@dataclass(frozen=True)
class ClaimOption:
    """An installation the signed-in GitHub user may connect ("Connect an existing installation"), or one they
    can see but may not (``refusal`` says why; shown, never claimable)."""

    installation_id: int
    account_login: str
    account_type: str
    how: str = ""
    refusal: str = ""


def installations_to_claim(*, sign_in: GitHubSignIn, team: Team) -> list[ClaimOption]:
    """The reconnect path that works on real GitHub. With "request user authorization during installation" on,
    GitHub never sends the browser back for an account that already has the App (no setup URL, "Redirect on
    update" unavailable), so a team that disconnected cannot reconnect through the install page. Instead the user
    signs in with GitHub, ``GET /user/installations`` lists what they can access, and each installation not
    connected to another team is checked by the same ownership rule, on the same facts (our mirror, or
    ``GET /app/installations/{id}``), as the install callback."""
    taken = dict(GitHubAppInstallation.objects.filter(team__isnull=False).values_list("installation_id", "team_id"))
    options: list[ClaimOption] = []
    for item in sign_in.api.list_installations():
        snapshot = InstallationSnapshot.from_rest(item)
        ident = snapshot.installation_id
        label = (snapshot.account_login, snapshot.account_type)
        if taken.get(ident) not in (None, team.pk):
            options.append(ClaimOption(ident, *label, refusal="connected to another tformance team"))
            continue
        try:
            how = installation_owner_check(sign_in=sign_in, owners=installation_owners(installation_id=ident))
        except LinkError as exc:
            options.append(ClaimOption(ident, *label, refusal=str(exc)))
            continue
        options.append(ClaimOption(ident, *label, how=how))
    return options


def _installation_mirror(installation_id: int) -> None:
    """Mirror the installation from GitHub before linking it; one GitHub no longer knows cannot be linked."""
    try:
        installation_refresh_from_github(installation_id=installation_id)
    except NotFound:
        raise LinkError("GitHub says this installation no longer exists. Please install the App again.") from None


def installation_claim(
    *, user: User, team: Team, installation_id: int, github_login: str, how: str
) -> GitHubAppInstallation:
    """Link an installation whose ownership was proven by ``installations_to_claim`` in this sign-in (its answer
    travels in a signed single-use state): mirror it from GitHub first, then link as the callback does."""
    _installation_mirror(installation_id)
    logger.info(
        "claim: GitHub user %s owns installation %s as %s",
        github_login,
        installation_id,
        how,
        extra={"installation_id": installation_id, "team_id": team.pk},
    )
    return installation_link_to_team(
        installation_id=installation_id, team=team, user=user, github_login=github_login, how=how
    )


@transaction.atomic
def installation_link_to_team(
    *, installation_id: int, team: Team, user: User, github_login: str = "", how: str = ""
) -> GitHubAppInstallation:
    """Link (idempotent for the same team); refuse an installation linked to another team. A new link is recorded
    (who, which GitHub user proved ownership and how) for the integration page."""
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
        _record(row, team=team, action=ConnectionAction.CONNECTED, user=user, github_login=github_login, how=how)
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
    and are reachable again; the team's trackings of repositories transferred into this account follow too. Each
    one that comes back catches up on the gap (no webhook reached the team meanwhile). Returns how many tracked
    repositories were moved."""
    same_account = GitHubAppInstallation.objects.select_for_update().filter(
        team=team, account_id=installation.account_id
    )
    earlier = list(same_account.exclude(pk=installation.pk)) if installation.account_id is not None else []
    rows = TrackedRepository.objects.for_team(team).filter(installation__in=earlier)
    reinstalled = set(rows.filter(is_active=True).values_list("pk", flat=True))
    moved = rows.update(installation=installation, updated_at=timezone.now())
    for old in earlier:
        installation_mark_deleted(installation=old)
        old.team, old.linked_at, old.linked_by = None, None, None
        old.save(update_fields=["team", "linked_at", "linked_by", "updated_at"])
    mirror = {
        r.github_repo_id: RepositoryInfo(r.github_repo_id, r.full_name, r.private, r.archived)
        for r in installation.repositories.filter(removed_at__isnull=True)
    }
    for tracked in TrackedRepository.objects.for_team(team).filter(installation=installation):
        if tracked.github_repo_id in mirror and not tracked.is_active:
            if tracked.inactive_reason in {*REGAINABLE, InactiveReason.DISCONNECTED}:
                tracked.is_active, tracked.inactive_reason = True, ""
                tracked.save(update_fields=["is_active", "inactive_reason", "updated_at"])
                tracked_repository_catch_up_gap(tracked_repository=tracked)
        elif tracked.github_repo_id not in mirror and tracked.is_active:
            tracked.is_active, tracked.inactive_reason = False, InactiveReason.ACCESS_REMOVED
            tracked.save(update_fields=["is_active", "inactive_reason", "updated_at"])
        elif tracked.pk in reinstalled:
            tracked_repository_catch_up_gap(tracked_repository=tracked)
    tracked_repositories_follow(installation=installation, repos=mirror)
    return moved


def _record(
    row: GitHubAppInstallation, *, team: Team, action: str, user: User | None, github_login: str = "", how: str = ""
) -> None:
    InstallationConnectionEvent.objects.create(
        team=team,
        installation=row,
        installation_github_id=row.installation_id,
        account_login=row.account_login,
        action=action,
        actor=user,
        actor_email=getattr(user, "email", "") or "",
        github_login=github_login,
        how=how,
    )


@transaction.atomic
def installation_unlink(*, team: Team, installation_id: int, user: User | None = None) -> GitHubAppInstallation:
    """Disconnect: the team stops receiving the installation's data. Nothing is deleted and the App stays
    installed on GitHub; tracked repositories become inactive until the installation is linked again."""
    row = GitHubAppInstallation.objects.select_for_update().filter(team=team, installation_id=installation_id).first()
    if row is None:
        raise LinkError("That GitHub installation is not connected to this team.")
    row.team, row.linked_at, row.linked_by = None, None, None
    row.save(update_fields=["team", "linked_at", "linked_by", "updated_at"])
    _record(row, team=team, action=ConnectionAction.DISCONNECTED, user=user)
    TrackedRepository.objects.for_team(team).filter(installation=row, is_active=True).update(
        is_active=False, inactive_reason=InactiveReason.DISCONNECTED, updated_at=timezone.now()
    )
    logger.info(
        "installation %s unlinked from team %s",
        installation_id,
        team.pk,
        extra={"installation_id": installation_id, "team_id": team.pk},
    )
    return row
