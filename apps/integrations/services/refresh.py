"""Read an installation and its repositories from GitHub, then make our mirror equal to it.

Fetching and applying are separate so reconciliation can ask GitHub everything first and change nothing
when a call fails (a rate-limited 403 must never look like lost access).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction

from apps.integrations.github import app_api, installation_api
from apps.integrations.models import GitHubAppInstallation, InstallationRepository
from apps.integrations.services.installations import InstallationSnapshot, installation_refresh
from apps.integrations.services.repositories import RepositoryInfo, installation_repositories_replace
from github_app import InstallationSuspended

# The ETag of an installation's last `GET /installation/repositories` answer, with what that answer said, kept two
# days (reconciliation reads each installation once a day).
ETAG_TIMEOUT = 2 * 24 * 3600


@dataclass(frozen=True)
class InstallationState:
    """GitHub's view of one installation; ``repositories`` is None when they could not be listed (suspended) or
    are unchanged since the last answer, which our mirror still equals (a conditional request answered 304)."""

    snapshot: InstallationSnapshot
    repositories: list[RepositoryInfo] | None


def installation_repositories_fetch(*, installation_id: int) -> list[RepositoryInfo]:
    """``GET /installation/repositories`` (all pages) with an installation token."""
    return [RepositoryInfo.from_rest(r) for r in installation_api(installation_id).list_repositories()]


def _fingerprint(repositories: Iterable[tuple[int, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(repositories)).encode()).hexdigest()


def _etag_key(installation_id: int) -> str:
    return f"integrations:etag:installation-repositories:{int(installation_id)}"


def installation_repositories_fetch_if_changed(*, installation_id: int) -> list[RepositoryInfo] | None:
    """``GET /installation/repositories`` as a conditional request (``If-None-Match``): None when GitHub answers
    304 and our mirror still equals the answer that ETag belongs to, so there is nothing to apply; otherwise the
    repositories. The ETag is kept in the cache with a fingerprint of that answer: a mirror changed since (a lost
    or wrong event, a rolled-back apply) is read again in full rather than trusted."""
    key = _etag_key(installation_id)
    saved = cache.get(key)
    mirror = InstallationRepository.objects.filter(installation__installation_id=installation_id, removed_at=None)
    current = _fingerprint(mirror.values_list("github_repo_id", "full_name"))
    etag = saved.get("etag") if isinstance(saved, dict) and saved.get("mirror") == current else None
    items, new_etag = installation_api(installation_id).list_repositories_if_changed(etag)
    if items is None:
        return None
    repositories = [RepositoryInfo.from_rest(r) for r in items]
    if new_etag:
        answer = _fingerprint((r.github_repo_id, r.full_name) for r in repositories)
        cache.set(key, {"etag": new_etag, "mirror": answer}, ETAG_TIMEOUT)
    else:
        cache.delete(key)
    return repositories


def installation_state_fetch(
    *, installation_id: int, data: dict[str, Any] | None = None, conditional: bool = False
) -> InstallationState:
    """``GET /app/installations/{id}`` with the App JWT (unless ``data`` from the list is given), then its
    repositories (``conditional``: with the last answer's ETag, see ``installation_repositories_fetch_if_changed``).
    A suspended installation cannot mint tokens, so its repositories are left as they are."""
    snapshot = InstallationSnapshot.from_rest(data if data is not None else app_api().get_installation(installation_id))
    if snapshot.suspended_at is not None:
        return InstallationState(snapshot, None)
    try:
        if conditional:
            return InstallationState(
                snapshot, installation_repositories_fetch_if_changed(installation_id=installation_id)
            )
        return InstallationState(snapshot, installation_repositories_fetch(installation_id=installation_id))
    except InstallationSuspended:  # suspended since GitHub described it
        return InstallationState(snapshot, None)


@transaction.atomic
def installation_state_apply(*, state: InstallationState) -> tuple[GitHubAppInstallation, int, int]:
    """Write GitHub's view: returns the row and how many repositories were added (or came back) and removed."""
    row = installation_refresh(snapshot=state.snapshot, authoritative=True)
    if state.repositories is None:
        return row, 0, 0
    added, removed = installation_repositories_replace(installation=row, repositories=state.repositories)
    return row, added, removed


def installation_refresh_from_github(*, installation_id: int) -> GitHubAppInstallation:
    """Fetch and apply one installation (install callback before the webhook, or ``setup_action=update``)."""
    state = installation_state_fetch(installation_id=installation_id)
    row, _, _ = installation_state_apply(state=state)
    return row
