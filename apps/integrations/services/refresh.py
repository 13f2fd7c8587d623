"""Read an installation and its repositories from GitHub, then make our mirror equal to it.

Fetching and applying are separate so reconciliation can ask GitHub everything first and change nothing
when a call fails (a rate-limited 403 must never look like lost access).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from apps.integrations.github import app_api, installation_api
from apps.integrations.models import GitHubAppInstallation
from apps.integrations.services.installations import InstallationSnapshot, installation_sync
from apps.integrations.services.repositories import RepositoryInfo, installation_repositories_replace
from github_app import InstallationSuspended


@dataclass(frozen=True)
class InstallationState:
    """GitHub's view of one installation; ``repositories`` is None when they could not be listed (suspended)."""

    snapshot: InstallationSnapshot
    repositories: list[RepositoryInfo] | None


def installation_repositories_fetch(*, installation_id: int) -> list[RepositoryInfo]:
    """``GET /installation/repositories`` (all pages) with an installation token."""
    return [RepositoryInfo.from_rest(r) for r in installation_api(installation_id).list_repositories()]


def installation_state_fetch(*, installation_id: int, data: dict | None = None) -> InstallationState:
    """``GET /app/installations/{id}`` with the App JWT (unless ``data`` from the list is given), then its
    repositories. A suspended installation cannot mint tokens, so its repositories are left as they are."""
    snapshot = InstallationSnapshot.from_rest(data if data is not None else app_api().get_installation(installation_id))
    if snapshot.suspended_at is not None:
        return InstallationState(snapshot, None)
    try:
        return InstallationState(snapshot, installation_repositories_fetch(installation_id=installation_id))
    except InstallationSuspended:  # suspended since GitHub described it
        return InstallationState(snapshot, None)


@transaction.atomic
def installation_state_apply(*, state: InstallationState) -> tuple[GitHubAppInstallation, int, int]:
    """Write GitHub's view: returns the row and how many repositories were added (or came back) and removed."""
    row = installation_sync(snapshot=state.snapshot, authoritative=True)
    if state.repositories is None:
        return row, 0, 0
    added, removed = installation_repositories_replace(installation=row, repositories=state.repositories)
    return row, added, removed


def installation_refresh_from_github(*, installation_id: int) -> GitHubAppInstallation:
    """Fetch and apply one installation (install callback before the webhook, or ``setup_action=update``)."""
    state = installation_state_fetch(installation_id=installation_id)
    row, _, _ = installation_state_apply(state=state)
    return row
