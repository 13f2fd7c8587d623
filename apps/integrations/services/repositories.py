"""Writes to the repository mirror (``InstallationRepository``) and to tracked repositories.

Repositories are identified by ``github_repo_id`` only; ``full_name`` is display data that follows
renames and transfers everywhere it is shown (the mirror, tracked repositories, pull requests).
Access removed or a repository deleted never deletes data: a tracked repository becomes inactive with
a reason, and becomes active again when GitHub gives access back, with a catch-up import of the gap.

Tracking belongs to the team and the repository's GitHub id, not to one installation. A repository transferred to
another account shows up under that account's installation: when that installation is linked to the same team, the
tracking moves to it and continues (same row, same history); otherwise the old team's tracking stops as "moved to
another organization" and keeps its history, and the new owner's team can track it as any other repository.
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
    InactiveReason,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
)
from apps.integrations.services.tracking import tracked_repository_catch_up_gap
from apps.metrics.services.repositories import pull_requests_rename_repository
from apps.teams.models import Team

logger = logging.getLogger(__name__)

# Why a tracking stopped when GitHub giving access back should resume it (an admin's untrack never is).
REGAINABLE = frozenset({InactiveReason.ACCESS_REMOVED, InactiveReason.MOVED})


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
    tracked_repositories_follow(installation=installation, repos={r.github_repo_id: r for r in repos})
    return added


@transaction.atomic
def installation_repositories_remove(*, installation: GitHubAppInstallation, github_repo_ids: Iterable[int]) -> int:
    """``installation_repositories.removed``: the App lost access. Mirror rows are kept and marked removed;
    tracked repositories become inactive ("access removed") and keep all their data."""
    ids = list(github_repo_ids)
    removed = installation.repositories.filter(github_repo_id__in=ids, removed_at__isnull=True).update(
        removed_at=timezone.now()
    )
    elsewhere = set(_reached_from_another_account(installation, ids))
    moves = ((InactiveReason.MOVED, elsewhere), (InactiveReason.ACCESS_REMOVED, set(ids) - elsewhere))
    for reason, repo_ids in moves:
        TrackedRepository.objects.filter(installation=installation, github_repo_id__in=repo_ids, is_active=True).update(
            is_active=False, inactive_reason=reason, updated_at=timezone.now()
        )
    return removed


def _reached_from_another_account(installation: GitHubAppInstallation, github_repo_ids: list[int]) -> list[int]:
    """Of these repositories, those an installation of another account reaches now: they were transferred."""
    if installation.account_id is None:
        return []
    return list(
        InstallationRepository.objects.filter(github_repo_id__in=github_repo_ids, removed_at__isnull=True)
        .exclude(installation__account_id=installation.account_id)
        .exclude(installation__account_id__isnull=True)
        .exclude(installation__status=InstallationStatus.DELETED)
        .values_list("github_repo_id", flat=True)
    )


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
    Reconciling an installation nothing happened to runs no write at all, so a day of reconciliation costs a fixed
    number of reads per installation, however many repositories each has.
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
    tracked_repositories_follow(installation=installation, repos=repos)
    gone = [repo_id for repo_id, row in existing.items() if repo_id not in repos and row.removed_at is None]
    removed = installation_repositories_remove(installation=installation, github_repo_ids=gone) if gone else 0
    return len(new) + back, removed


def tracked_repositories_follow(*, installation: GitHubAppInstallation, repos: dict[int, RepositoryInfo]) -> int:
    """These repositories are reachable through ``installation``: the teams' trackings of them follow.

    - tracked through this installation: the name follows; inactive only because access was lost (removed, moved),
      tracking resumes with a catch-up of the gap;
    - tracked by this installation's team through an installation of another account (the repository was
      transferred between two organizations the team connected) or one that no longer reaches it: the tracking
      moves here, same row and history, resumed with a catch-up of the gap when it had stopped;
    - tracked by another team through an installation of another account: it moved away from that team, which keeps
      its history as "moved to another organization".

    Only rows that change are written; one SELECT when nothing does. Returns how many trackings changed.
    """
    if installation.status == InstallationStatus.DELETED or not repos:
        return 0
    _mirror_left_other_accounts(installation=installation, github_repo_ids=list(repos))
    rows = TrackedRepository.objects.filter(github_repo_id__in=list(repos)).select_related("installation")
    changed = 0
    for tracked in rows:
        repo = repos[tracked.github_repo_id]
        if tracked.installation_id == installation.pk:
            changed += _resume(tracked, installation=installation, full_name=repo.full_name)
        elif installation.team_id is not None and tracked.team_id == installation.team_id:
            if _left_behind(tracked, installation=installation):
                changed += _resume(tracked, installation=installation, full_name=repo.full_name)
        elif (tracked.is_active or tracked.inactive_reason == InactiveReason.ACCESS_REMOVED) and _other_account(
            tracked.installation, installation
        ):
            _moved_away(tracked, full_name=repo.full_name)
            changed += 1
    return changed


def _mirror_left_other_accounts(*, installation: GitHubAppInstallation, github_repo_ids: list[int]) -> int:
    """A repository reachable through this installation is no longer reachable through an installation of another
    account (it was transferred): GitHub sends the old installation nothing when it covered all repositories, so the
    mirror is corrected here, and the repository is not listed twice. Returns how many mirror rows changed."""
    if installation.account_id is None:
        return 0
    stale = list(
        InstallationRepository.objects.filter(
            github_repo_id__in=github_repo_ids, removed_at__isnull=True, installation__account_id__isnull=False
        )
        .exclude(installation__account_id=installation.account_id)
        .values_list("pk", flat=True)
    )  # read first: an installation nothing moved into is not written
    if not stale:
        return 0
    now = timezone.now()
    return InstallationRepository.objects.filter(pk__in=stale).update(removed_at=now, updated_at=now)


def _other_account(old: GitHubAppInstallation | None, new: GitHubAppInstallation) -> bool:
    """Both accounts known and different: a repository can belong to one account only, so it was transferred."""
    return old is not None and None not in (old.account_id, new.account_id) and old.account_id != new.account_id


def _left_behind(tracked: TrackedRepository, *, installation: GitHubAppInstallation) -> bool:
    """Whether the team's tracking should leave its installation for ``installation``, which reaches the repository:
    its own is gone, of another account, or no longer reaches the repository."""
    old = tracked.installation
    if old is None or old.status == InstallationStatus.DELETED or old.team_id != tracked.team_id:
        return True
    if _other_account(old, installation):
        return True
    return not old.repositories.filter(github_repo_id=tracked.github_repo_id, removed_at__isnull=True).exists()


def _resume(tracked: TrackedRepository, *, installation: GitHubAppInstallation, full_name: str) -> int:
    """Tracking continues through ``installation``; when it had stopped because access was lost, the gap is
    imported (after commit). Returns 1 when the row changed."""
    regained = not tracked.is_active and tracked.inactive_reason in REGAINABLE
    if tracked.installation_id == installation.pk and tracked.full_name == full_name and not regained:
        return 0
    if tracked.installation_id != installation.pk:
        logger.info(
            "tracking of %s follows it to installation %s",
            full_name,
            installation.installation_id,
            extra={"installation_id": installation.installation_id, "team_id": tracked.team_id},
        )
    if tracked.full_name != full_name:  # a rename or transfer only reconciliation saw: the name follows everywhere
        pull_requests_rename_repository(
            github_repo_id=tracked.github_repo_id, full_name=full_name, team_ids=[tracked.team_id]
        )
    tracked.installation, tracked.full_name = installation, full_name
    if regained:
        tracked.is_active, tracked.inactive_reason = True, ""
    tracked.save(update_fields=["installation", "full_name", "is_active", "inactive_reason", "updated_at"])
    if regained:
        tracked_repository_catch_up_gap(tracked_repository=tracked)
    return 1


def _moved_away(tracked: TrackedRepository, *, full_name: str) -> None:
    """The repository now belongs to an account whose installation is not this team's: tracking stops and the
    history stays (it keeps counting in the team's figures)."""
    tracked.full_name, tracked.is_active, tracked.inactive_reason = full_name, False, InactiveReason.MOVED
    tracked.save(update_fields=["full_name", "is_active", "inactive_reason", "updated_at"])
    logger.info("tracked repository %s moved to another organization", full_name, extra={"team_id": tracked.team_id})


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
def repository_transferred(
    *, github_repo_id: int, full_name: str, from_account_id: int | None, to: GitHubAppInstallation | None
) -> int:
    """``repository.transferred``, delivered to the new owner's installation (``to``); the old owner's installation
    gets no event when it covered all repositories. ``changes.owner.from`` names the old account: its installations
    no longer reach the repository, and another team's tracking through them stops as moved (history kept). The
    team of ``to`` keeps tracking: its events count already, and the tracking follows when ``to`` reaches it.
    Returns how many trackings stopped."""
    if from_account_id is None:
        return 0
    old = GitHubAppInstallation.objects.filter(account_id=from_account_id)
    if to is not None:
        old = old.exclude(pk=to.pk)
    now = timezone.now()
    InstallationRepository.objects.filter(
        installation__in=old, github_repo_id=github_repo_id, removed_at__isnull=True
    ).update(removed_at=now, updated_at=now)
    stopped = 0
    trackings = TrackedRepository.objects.filter(installation__in=old, github_repo_id=github_repo_id)
    for tracked in trackings.filter(Q(is_active=True) | Q(inactive_reason=InactiveReason.ACCESS_REMOVED)):
        if to is None or to.team_id != tracked.team_id:
            _moved_away(tracked, full_name=full_name)
            stopped += 1
    return stopped


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
        is_active=False, inactive_reason=InactiveReason.REPOSITORY_DELETED, updated_at=now
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
    deleted, dropped_ = InactiveReason.REPOSITORY_DELETED, InactiveReason.REPOSITORY_DROPPED
    before, after = (deleted, dropped_) if dropped else (dropped_, deleted)
    rows = TrackedRepository.objects.filter(team=team, github_repo_id=github_repo_id, is_active=False)
    if not rows.filter(inactive_reason__in=(deleted, dropped_)).exists():
        return False
    rows.filter(inactive_reason=before).update(inactive_reason=after, updated_at=timezone.now())
    return True
