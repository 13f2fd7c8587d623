"""Writes to our mirror of GitHub App installations, from webhook payloads and from the REST API.

Every function is idempotent and self-healing: a missing installation row is created from whatever
snapshot arrives (``installation`` events, ``GET /app/installations/{id}``), so one lost delivery is
repaired by the next one. ``deleted`` is terminal for events: GitHub never reuses an installation id,
so a late ``created`` or ``unsuspend`` cannot bring a deleted installation back (only reconciliation,
which asks GitHub itself, can). Nothing here deletes rows: a deleted or suspended installation keeps
its repositories, tracked repositories and metrics, and only stops calling GitHub.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.integrations.github import GitHubAppNotConfigured, token_provider
from apps.integrations.models import GitHubAppInstallation, InstallationStatus
from apps.integrations.services.tracking import tracked_repositories_catch_up
from github_app import Account, GitHubUser, Installation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstallationSnapshot:
    """The installation fields we mirror, whichever way GitHub told us about them.

    The webhook ``installation`` object and the REST installation object have the same shape:
    ``{"id", "account": {"id", "login", "type", "avatar_url"}, "repository_selection", "permissions",
    "events", "suspended_at", ...}``.
    """

    installation_id: int
    account_id: int | None
    account_login: str
    account_type: str
    account_avatar_url: str
    repository_selection: str
    permissions: Mapping[str, str] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    suspended_at: datetime | None = None

    @classmethod
    def from_event(cls, installation: Installation) -> InstallationSnapshot:
        return cls(
            installation_id=installation.id,
            account_id=installation.account.id,
            account_login=installation.account.login,
            account_type=installation.account.type,
            account_avatar_url=installation.account.avatar_url,
            repository_selection=installation.repository_selection,
            permissions=dict(installation.permissions),
            events=tuple(installation.events),
            suspended_at=installation.suspended_at,
        )

    @classmethod
    def from_rest(cls, data: Mapping[str, Any]) -> InstallationSnapshot:
        """From ``GET /app/installations[/{id}]``; enterprise accounts have ``slug`` instead of ``login``."""
        account = data.get("account") or {}
        suspended = data.get("suspended_at")
        return cls(
            installation_id=int(data["id"]),
            account_id=account.get("id"),
            account_login=account.get("login") or account.get("slug") or "",
            account_type=account.get("type") or data.get("target_type") or "",
            account_avatar_url=account.get("avatar_url") or "",
            repository_selection=data.get("repository_selection") or "",
            permissions=dict(data.get("permissions") or {}),
            events=tuple(data.get("events") or ()),
            suspended_at=parse_datetime(suspended) if isinstance(suspended, str) else None,
        )

    def fields(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account_login": self.account_login,
            "account_type": self.account_type,
            "account_avatar_url": self.account_avatar_url,
            "repository_selection": self.repository_selection,
            "permissions": dict(self.permissions),
            "events": list(self.events),
        }


def installation_token_drop(*, installation_id: int) -> None:
    """Forget the cached installation token, so nothing keeps calling GitHub with it."""
    with contextlib.suppress(GitHubAppNotConfigured):
        token_provider().invalidate(installation_id)


def _locked(installation_id: int) -> GitHubAppInstallation | None:
    return GitHubAppInstallation.objects.select_for_update().filter(installation_id=installation_id).first()


@transaction.atomic
def installation_refresh(*, snapshot: InstallationSnapshot, authoritative: bool = False) -> GitHubAppInstallation:
    """Create or update the installation row from a snapshot (also the self-healing step of every handler).

    The status follows the snapshot's ``suspended_at``. A deleted row stays deleted unless
    ``authoritative`` (GitHub's own list, during reconciliation, says the installation exists). An installation
    active again (the ``unsuspend`` webhook, or reconciliation when that webhook was lost) resumes the imports the
    suspension paused and catches its tracked repositories up on the gap.
    """
    row = _locked(snapshot.installation_id)
    if row is None:
        GitHubAppInstallation.objects.get_or_create(
            installation_id=snapshot.installation_id, defaults=snapshot.fields()
        )
        row = GitHubAppInstallation.objects.select_for_update().get(installation_id=snapshot.installation_id)
    wanted = snapshot.fields()
    if row.status != InstallationStatus.DELETED or authoritative:
        if snapshot.suspended_at is not None:
            wanted.update(status=InstallationStatus.SUSPENDED, suspended_at=row.suspended_at or snapshot.suspended_at)
        else:
            wanted.update(status=InstallationStatus.ACTIVE, suspended_at=None, deleted_at=None)
    changed = [name for name, value in wanted.items() if getattr(row, name) != value]
    stopped_since = row.suspended_at or row.deleted_at if row.status != InstallationStatus.ACTIVE else None
    if changed:  # an unchanged installation (most of them, every reconciliation) is not written at all
        for name in changed:
            setattr(row, name, wanted[name])
        row.save(update_fields=[*changed, "updated_at"])
    if "status" in changed and row.status == InstallationStatus.ACTIVE:
        tracked_repositories_catch_up(installation=row, since=stopped_since)
    return row


def installation_ensure(*, installation_id: int, account: Account | None = None) -> GitHubAppInstallation:
    """Self-heal for events whose ``installation`` object carries only ``{"id"}`` (``repository``,
    ``installation_target``): a bare row, filled in by the next installation event or by reconciliation.

    ``account``, when the event names it (``installation_target``'s ``account``), fills a row that does not know
    its account yet; an account already recorded is left to the installation events, which carry the whole object.
    """
    row, _ = GitHubAppInstallation.objects.get_or_create(installation_id=installation_id)
    if account is not None and row.account_id is None:
        row.account_id, row.account_login, row.account_type = account.id, account.login, account.type
        row.save(update_fields=["account_id", "account_login", "account_type", "updated_at"])
    return row


@transaction.atomic
def installation_delete(*, snapshot: InstallationSnapshot) -> GitHubAppInstallation:
    """``installation.deleted``: the App was uninstalled. Keep every row and the team link as history."""
    row = installation_refresh(snapshot=snapshot)
    if row.status != InstallationStatus.DELETED:
        row.status, row.deleted_at = InstallationStatus.DELETED, timezone.now()
        row.save(update_fields=["status", "deleted_at", "updated_at"])
        logger.info("installation %s deleted", row.installation_id, extra={"installation_id": row.installation_id})
    installation_token_drop(installation_id=row.installation_id)
    return row


@transaction.atomic
def installation_mark_deleted(*, installation: GitHubAppInstallation) -> bool:
    """Reconciliation found the installation gone (404), or a reinstall superseded it. Returns whether anything
    changed. The token is dropped after commit, so a rolled-back (dry) run leaves even the cache alone."""
    installation_id = installation.installation_id
    transaction.on_commit(lambda: installation_token_drop(installation_id=installation_id))
    if installation.status == InstallationStatus.DELETED:
        return False
    installation.status, installation.deleted_at = InstallationStatus.DELETED, timezone.now()
    installation.save(update_fields=["status", "deleted_at", "updated_at"])
    return True


@transaction.atomic
def installation_suspend(*, snapshot: InstallationSnapshot) -> GitHubAppInstallation:
    """``installation.suspend``: stop calling GitHub (tokens cannot be minted anyway) and keep the data."""
    row = installation_refresh(snapshot=snapshot)
    if row.status == InstallationStatus.ACTIVE:
        row.status, row.suspended_at = InstallationStatus.SUSPENDED, snapshot.suspended_at or timezone.now()
        row.save(update_fields=["status", "suspended_at", "updated_at"])
    installation_token_drop(installation_id=row.installation_id)
    logger.info("installation %s suspended", row.installation_id, extra={"installation_id": row.installation_id})
    return row


@transaction.atomic
def installation_unsuspend(*, snapshot: InstallationSnapshot) -> tuple[GitHubAppInstallation, datetime | None]:
    """``installation.unsuspend`` (its payload has ``suspended_at: null``): active again.

    Returns the row and when the suspension began, which is where a catch-up of the tracked
    repositories would start.
    """
    row = _locked(snapshot.installation_id)
    since = row.suspended_at if row is not None else None
    row = installation_refresh(snapshot=snapshot)
    logger.info("installation %s unsuspended", row.installation_id, extra={"installation_id": row.installation_id})
    return row, since


@transaction.atomic
def installation_account_rename(*, account_id: int, login: str, avatar_url: str = "") -> list[GitHubAppInstallation]:
    """``installation_target.renamed``: the account's login changed on every installation of that account."""
    rows = list(GitHubAppInstallation.objects.select_for_update().filter(account_id=account_id))
    for row in rows:
        row.account_login = login
        if avatar_url:
            row.account_avatar_url = avatar_url
        row.save(update_fields=["account_login", "account_avatar_url", "updated_at"])
    return rows


def installation_record_installer(*, installation: GitHubAppInstallation, sender: GitHubUser | None) -> None:
    """``installation.created``: remember who installed the App (the event's ``sender``), one of the users who may
    connect the installation to a team (invariant 3). The first installer recorded stays; an id no GitHub
    user can have (beyond the database's bigint) is not recorded."""
    if sender is None or installation.installed_by_github_id is not None or not 0 < sender.id < 2**63:
        return
    installation.installed_by_github_id, installation.installed_by_login = sender.id, sender.login
    installation.save(update_fields=["installed_by_github_id", "installed_by_login", "updated_at"])
