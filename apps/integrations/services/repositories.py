"""Writes to the repository mirror (``InstallationRepository``) and to tracked repositories.

Repositories are identified by ``github_repo_id`` only; ``full_name`` is display data that follows
renames and transfers everywhere it is shown (the mirror, tracked repositories, pull requests).
Access removed or a repository deleted never deletes data: a tracked repository becomes inactive with
a reason, and becomes active again when GitHub gives access back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.integrations.models import (
    GitHubAppInstallation,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
)
from apps.metrics.services.repositories import pull_requests_rename_repository
from apps.teams.models import Team

logger = logging.getLogger(__name__)

ACCESS_REMOVED = "access removed"
# A tracked repository deleted on GitHub: no event or import can reach it any more, but the figures of the periods it
# was part of stay as they were (its history still counts), until an admin drops it from the figures.
REPOSITORY_DELETED = "repository deleted"
REPOSITORY_DROPPED = "repository deleted, dropped from the figures"


@dataclass(frozen=True)
class RepositoryInfo:
    """What we mirror of a repository: the short objects of installation events
    (``{"id", "full_name", "private"}``) or the full REST/webhook repository object."""

    github_repo_id: int
    full_name: str
    private: bool
    archived: bool | None = None  # unknown in the short objects of installation events

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> RepositoryInfo:
        return cls(int(data["id"]), str(data["full_name"]), bool(data.get("private")), bool(data.get("archived")))


def _upsert(installation: GitHubAppInstallation, repo: RepositoryInfo) -> bool:
    """Mirror one repository as reachable; returns whether it was new or came back."""
    defaults: dict[str, Any] = {"full_name": repo.full_name, "private": repo.private, "removed_at": None}
    if repo.archived is not None:
        defaults["archived"] = repo.archived
    row = installation.repositories.filter(github_repo_id=repo.github_repo_id).first()
    if row is None:
        installation.repositories.update_or_create(github_repo_id=repo.github_repo_id, defaults=defaults)
        return True
    changed = row.removed_at is not None
    for name, value in defaults.items():
        setattr(row, name, value)
    row.save()
    return changed


@transaction.atomic
def installation_repositories_add(
    *, installation: GitHubAppInstallation, repositories: Iterable[RepositoryInfo]
) -> int:
    """``installation_repositories.added`` (and ``installation.created``'s ``repositories``): now reachable.

    Tracked repositories that were inactive only because access had been removed become active again.
    """
    repos = list(repositories)
    added = sum(_upsert(installation, repo) for repo in repos)
    ids = [r.github_repo_id for r in repos]
    names = {r.github_repo_id: r.full_name for r in repos}
    for tracked in TrackedRepository.objects.filter(installation=installation, github_repo_id__in=ids):
        tracked.full_name = names[tracked.github_repo_id]
        if not tracked.is_active and tracked.inactive_reason == ACCESS_REMOVED:
            tracked.is_active, tracked.inactive_reason = True, ""
        tracked.save(update_fields=["full_name", "is_active", "inactive_reason", "updated_at"])
    return added


@transaction.atomic
def installation_repositories_remove(*, installation: GitHubAppInstallation, github_repo_ids: Iterable[int]) -> int:
    """``installation_repositories.removed``: the App lost access. Mirror rows are kept and marked removed;
    tracked repositories become inactive ("access removed") and keep all their data."""
    ids = list(github_repo_ids)
    removed = installation.repositories.filter(github_repo_id__in=ids, removed_at__isnull=True).update(
        removed_at=timezone.now()
    )
    TrackedRepository.objects.filter(installation=installation, github_repo_id__in=ids, is_active=True).update(
        is_active=False, inactive_reason=ACCESS_REMOVED, updated_at=timezone.now()
    )
    return removed


@transaction.atomic
def installation_repositories_access_removed(
    *, installation: GitHubAppInstallation, repositories: Iterable[RepositoryInfo]
) -> int:
    """``installation_repositories.removed``: as :func:`installation_repositories_remove`, and a repository we
    never mirrored (the removal delivered before the addition) is remembered as removed, so the mirror shows what
    GitHub says and a later ``added`` brings it back. Returns how many were reachable before."""
    repos = list(repositories)
    for repo in repos:
        installation.repositories.get_or_create(
            github_repo_id=repo.github_repo_id,
            defaults={"full_name": repo.full_name, "private": repo.private, "removed_at": timezone.now()},
        )
    return installation_repositories_remove(
        installation=installation, github_repo_ids=[r.github_repo_id for r in repos]
    )


def installation_repository_created(*, installation: GitHubAppInstallation, repository: RepositoryInfo) -> bool:
    """``repository.created``: a new repository is reachable at once only when the installation covers all of the
    account's repositories (``repository_selection == "all"``); a "selected" installation gets an
    ``installation_repositories.added`` of its own, and a deleted one reaches nothing. Returns whether it was added.
    """
    if installation.repository_selection != "all" or installation.status == InstallationStatus.DELETED:
        return False
    installation_repositories_add(installation=installation, repositories=[repository])
    return True


@transaction.atomic
def installation_repositories_replace(
    *, installation: GitHubAppInstallation, repositories: Iterable[RepositoryInfo]
) -> tuple[int, int]:
    """Make the mirror equal to GitHub's full list (``GET /installation/repositories``, all pages).
    Returns (added or back, removed).

    Compared in bulk and written only where something differs: one SELECT of the mirror and one of the
    tracked repositories, then an INSERT of the new, an UPDATE of the changed, and the removal of the gone ones.
    Reconciling an installation nothing happened to runs no write at all (it used to SELECT and UPDATE every
    repository: 150,000 statements a day for 2,000 installations).
    """
    repos = {r.github_repo_id: r for r in repositories}
    existing = {row.github_repo_id: row for row in installation.repositories.all()}
    now = timezone.now()
    new = [
        InstallationRepository(
            installation=installation, github_repo_id=r.github_repo_id, full_name=r.full_name, private=r.private,
            archived=bool(r.archived),
        )
        for r in repos.values()
        if r.github_repo_id not in existing
    ]  # fmt: skip
    InstallationRepository.objects.bulk_create(new, ignore_conflicts=True)  # a webhook may have added one meanwhile
    changed, back = [], 0
    for repo_id, repo in repos.items():
        row = existing.get(repo_id)
        if row is None:
            continue
        archived = row.archived if repo.archived is None else repo.archived
        if (row.full_name, row.private, row.archived, row.removed_at) != (repo.full_name, repo.private, archived, None):
            back += row.removed_at is not None
            row.full_name, row.private, row.archived, row.removed_at, row.updated_at = (
                repo.full_name, repo.private, archived, None, now
            )  # fmt: skip
            changed.append(row)
    InstallationRepository.objects.bulk_update(
        changed, ["full_name", "private", "archived", "removed_at", "updated_at"], batch_size=500
    )
    _tracked_follow(installation=installation, repos=repos)
    gone = [repo_id for repo_id, row in existing.items() if repo_id not in repos and row.removed_at is None]
    removed = installation_repositories_remove(installation=installation, github_repo_ids=gone) if gone else 0
    return len(new) + back, removed


def _tracked_follow(*, installation: GitHubAppInstallation, repos: dict[int, RepositoryInfo]) -> None:
    """Tracked repositories reachable again follow the mirror: a new name, and active again when they were
    inactive only because access had been removed. Only rows that change are written."""
    for tracked in TrackedRepository.objects.filter(installation=installation):
        if tracked.github_repo_id not in repos:
            continue
        name = repos[tracked.github_repo_id].full_name
        reactivate = not tracked.is_active and tracked.inactive_reason == ACCESS_REMOVED
        if tracked.full_name != name or reactivate:
            tracked.full_name = name
            if reactivate:
                tracked.is_active, tracked.inactive_reason = True, ""
            tracked.save(update_fields=["full_name", "is_active", "inactive_reason", "updated_at"])


@transaction.atomic
def repository_rename(*, github_repo_id: int, full_name: str) -> None:
    """``repository.renamed`` / ``transferred`` / any snapshot with a new ``full_name``: the name follows
    everywhere it is shown, for every installation and team that knows the repository."""
    InstallationRepository.objects.filter(github_repo_id=github_repo_id).exclude(full_name=full_name).update(
        full_name=full_name, updated_at=timezone.now()
    )
    tracked = TrackedRepository.objects.filter(github_repo_id=github_repo_id)  # tracked_repo_lookup_idx
    team_ids = list(tracked.values_list("team_id", flat=True))
    if not team_ids:  # PRs exist only in teams that track (or tracked) the repository
        return
    tracked.exclude(full_name=full_name).update(full_name=full_name, updated_at=timezone.now())
    pull_requests_rename_repository(github_repo_id=github_repo_id, full_name=full_name, team_ids=team_ids)


@transaction.atomic
def repository_update_flags(*, github_repo_id: int, private: bool, archived: bool) -> None:
    """``repository.privatized`` / ``publicized`` / ``archived`` / ``unarchived`` / ``edited``."""
    InstallationRepository.objects.filter(github_repo_id=github_repo_id).filter(
        ~Q(private=private) | ~Q(archived=archived)
    ).update(private=private, archived=archived, updated_at=timezone.now())


@transaction.atomic
def repository_delete(*, github_repo_id: int) -> None:
    """``repository.deleted``: gone from every installation; tracked copies stop (nothing of it can be fetched any
    more) but keep counting in the figures, so a past period's numbers do not change because of a later deletion.
    ``repository_drop_from_figures`` is the admins' explicit choice to take it out."""
    now = timezone.now()
    InstallationRepository.objects.filter(github_repo_id=github_repo_id, removed_at__isnull=True).update(
        removed_at=now, updated_at=now
    )
    TrackedRepository.objects.filter(github_repo_id=github_repo_id, is_active=True).update(
        is_active=False, inactive_reason=REPOSITORY_DELETED, updated_at=now
    )


@transaction.atomic
def account_repositories_rename(
    *, installations: Iterable[GitHubAppInstallation], old_login: str, new_login: str
) -> int:
    """``installation_target.renamed``: an account rename changes every ``old/x`` into ``new/x``; GitHub sends
    no ``repository`` event per repository for it. Returns how many repositories were renamed."""
    renamed = 0
    prefix = f"{old_login}/"
    for installation in installations:
        for row in installation.repositories.filter(full_name__istartswith=prefix):
            repository_rename(
                github_repo_id=row.github_repo_id, full_name=new_login + "/" + row.full_name[len(prefix) :]
            )
            renamed += 1
    return renamed


@transaction.atomic
def repository_drop_from_figures(*, team: Team, github_repo_id: int, dropped: bool = True) -> bool:
    """An admin's choice for a repository deleted on GitHub: take its history out of the team's figures (``dropped``)
    or count it again. Its data is kept either way. Returns whether the repository was one deleted on GitHub."""
    before, after = (REPOSITORY_DELETED, REPOSITORY_DROPPED) if dropped else (REPOSITORY_DROPPED, REPOSITORY_DELETED)
    rows = TrackedRepository.objects.filter(team=team, github_repo_id=github_repo_id, is_active=False)
    if not rows.filter(inactive_reason__in=(REPOSITORY_DELETED, REPOSITORY_DROPPED)).exists():
        return False
    rows.filter(inactive_reason=before).update(inactive_reason=after, updated_at=timezone.now())
    return True
