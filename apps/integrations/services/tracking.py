"""Tracking and untracking repositories: a filter on events that arrive anyway.

Toggling writes only our database: no GitHub call, no hook created or deleted (the App-level webhook already
receives every event of the installation). Tracking schedules the repository's import (history first, a
catch-up when it was tracked before); untracking keeps every PR and review and stops a running import, which
re-reads the flag before each page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from apps.integrations.models import (
    ImportStatus,
    InactiveReason,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
)
from apps.integrations.services.import_schedule import tracked_repository_import_schedule
from apps.teams.models import Team

logger = logging.getLogger(__name__)


class TrackingError(Exception):
    """The repository cannot be tracked by this team (not reachable through one of its installations)."""


def _reachable(team: Team, github_repo_ids: Iterable[int]) -> dict[int, InstallationRepository]:
    rows = (
        InstallationRepository.objects.select_related("installation")
        .filter(
            installation__team=team,
            github_repo_id__in=list(github_repo_ids),
            removed_at__isnull=True,
        )
        .exclude(installation__status=InstallationStatus.DELETED)
        .order_by("installation__status", "-installation__created_at")
    )
    found: dict[int, InstallationRepository] = {}
    for row in rows:
        found.setdefault(row.github_repo_id, row)
    return found


@transaction.atomic
def repositories_track(*, team: Team, github_repo_ids: Iterable[int]) -> list[TrackedRepository]:
    """Track the repositories among ``github_repo_ids`` the team's installations reach; schedules their imports.

    Already tracked ones are left as they are (their import is not restarted). Returns the newly tracked rows.
    """
    tracked: list[TrackedRepository] = []
    for repo_id, repo in _reachable(team, github_repo_ids).items():
        row, created = TrackedRepository.objects.select_for_update().get_or_create(
            team=team,
            github_repo_id=repo_id,
            defaults={"installation": repo.installation, "full_name": repo.full_name},
        )
        if not created and row.is_active:
            continue
        row.installation, row.full_name = repo.installation, repo.full_name
        row.is_active, row.inactive_reason = True, ""
        row.save(update_fields=["installation", "full_name", "is_active", "inactive_reason", "updated_at"])
        tracked_repository_import_schedule(tracked_repository=row)
        tracked.append(row)
        logger.info(
            "repository tracked",
            extra={"installation_id": repo.installation.installation_id, "repository": row.full_name},
        )
    return tracked


def repository_track(*, team: Team, github_repo_id: int) -> TrackedRepository:
    """Track one repository; ``TrackingError`` when the team cannot reach it."""
    with transaction.atomic():
        repositories_track(team=team, github_repo_ids=[github_repo_id])
        row = TrackedRepository.objects.filter(team=team, github_repo_id=github_repo_id, is_active=True).first()
    if row is None:
        raise TrackingError("This repository is not reachable through your GitHub installations.")
    return row


@transaction.atomic
def repositories_untrack(*, team: Team, github_repo_ids: Iterable[int]) -> int:
    """Stop counting the repositories' events. History stays; a running import stops at its next page and keeps
    its cursor, so tracking again resumes it. Returns how many were untracked."""
    rows = TrackedRepository.objects.select_for_update().filter(
        team=team, github_repo_id__in=list(github_repo_ids), is_active=True
    )
    count = 0
    for row in rows:
        row.is_active, row.inactive_reason = False, InactiveReason.UNTRACKED
        row.import_status, row.import_resume_at, row.import_claim = ImportStatus.IDLE, None, ""
        row.save()
        count += 1
    return count


def repository_untrack(*, team: Team, github_repo_id: int) -> int:
    return repositories_untrack(team=team, github_repo_ids=[github_repo_id])
