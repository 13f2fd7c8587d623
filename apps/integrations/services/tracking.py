"""What the Track button sets in motion: the tracking rows, and the import each tracked repository gets.

Tracking is a filter on events that arrive anyway. Toggling writes only our database: no GitHub call, no hook created
or deleted (the App-level webhook already receives every event of the installation). Tracking schedules the
repository's import; untracking keeps every PR and review and stops a running import, which re-reads the flag before
each page.

Scheduling serves the first tracking, Import now, and the catch-up after an unsuspend or outage. What an import
covers is decided here and stored on the row, so a resumed run (after a crash, a rate-limit pause or a restart)
continues the same import:

- never imported, and a history import half done → resume it at its cursor;
- never imported → history import of PRs updated in the last ``IMPORT_HISTORY_DAYS`` (0: everything);
- imported before → catch-up of PRs updated since the last successful import (minus a small overlap for clock skew),
  or since an explicit ``since`` if that is earlier;
- access given back after a time without webhooks (re-added, reconnected, unsuspended, transferred in) → a catch-up
  of exactly the gap: PRs updated since the newest thing the team knows of the repository, or since the gap began
  when that is known (``tracked_repository_catch_up_gap``). A catch-up left unfinished keeps its earlier start.

The import itself runs in the ``imports`` queue (``apps.integrations.tasks.import_repository``), one page per
task, each queueing the next behind other teams' work; a catch-up asked for with Import now goes to the
``interactive`` queue, read first. Webhook deliveries have their own ``webhooks`` queue and workers, so a long
import never delays them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.integrations.models import (
    GitHubAppInstallation,
    ImportKind,
    ImportStatus,
    InactiveReason,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
    import_heartbeat_cutoff,
)
from apps.integrations.services.queueing import import_turn_enqueue, in_background
from apps.metrics.models import PullRequest
from apps.teams.models import Team

logger = logging.getLogger(__name__)

CATCH_UP_OVERLAP = timedelta(minutes=10)
RESUME_GRACE = timedelta(seconds=60)


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


def history_window_start(*, now: datetime | None = None) -> datetime | None:
    """Where a history import stops; None imports every PR the repository ever had."""
    if not settings.IMPORT_HISTORY_DAYS:
        return None
    return (now or timezone.now()) - timedelta(days=settings.IMPORT_HISTORY_DAYS)


def import_enqueue(*, tracked_repository_id: int, claim: str = "", interactive: bool = False) -> bool:
    """Queue the import's next turn (without a broker: on this process's background thread, in its team's lane); a
    ``claim`` continues the import that returned it. A broker that is down leaves the row queued (or running with
    an ageing heartbeat); ``tracked_repositories_resume`` retries."""
    team_id = None
    if in_background():
        team_id = TrackedRepository.objects.filter(pk=tracked_repository_id).values_list("team_id", flat=True).first()
    return import_turn_enqueue(
        tracked_repository_id=tracked_repository_id, claim=claim, interactive=interactive, lane=team_id
    )


@transaction.atomic
def tracked_repository_import_schedule(
    *,
    tracked_repository: TrackedRepository,
    since: datetime | None = None,
    interactive: bool = False,
    catch_up_since: datetime | None = None,
) -> bool:
    """Schedule the repository's next import (what it covers: the module docstring); queued after commit.
    ``interactive`` (a person pressed Import now) puts a catch-up ahead of history imports; a history import stays
    behind them, however it was resumed, so one team's long history cannot hold other teams' Import now.
    ``catch_up_since`` is where a catch-up starts instead of the last import (the start of a gap,
    ``tracked_repository_catch_up_gap``).

    Returns False when nothing was scheduled: the repository is not tracked, or an import is running now.
    """
    now = timezone.now()
    row = TrackedRepository.objects.select_for_update().get(pk=tracked_repository.pk)
    if not row.is_active or row.import_running(now=now):
        return False
    resuming = row.last_imported_at is None and row.import_kind == ImportKind.HISTORY and bool(row.import_cursor)
    if not resuming:
        if row.last_imported_at is None:
            row.import_kind, row.import_since = ImportKind.HISTORY, history_window_start(now=now)
        else:
            start = catch_up_since if catch_up_since is not None else row.last_imported_at - CATCH_UP_OVERLAP
            if row.import_kind == ImportKind.CATCH_UP and row.import_status != ImportStatus.IDLE and row.import_since:
                start = min(start, row.import_since)  # a catch-up left unfinished (paused, failed) keeps its range
            row.import_kind, row.import_since = ImportKind.CATCH_UP, min(start, since) if since else start
        row.import_cursor, row.import_count, row.import_total, row.import_started_at = "", 0, None, now
        row.import_page_size = settings.IMPORT_PAGE_SIZE
    row.import_status, row.import_resume_at, row.import_heartbeat_at = ImportStatus.QUEUED, None, now
    row.import_error_kind, row.import_error = "", ""
    row.save()
    interactive = interactive and row.import_kind == ImportKind.CATCH_UP
    transaction.on_commit(lambda: import_enqueue(tracked_repository_id=row.pk, interactive=interactive))
    return True


def tracked_repository_known_until(*, tracked_repository: TrackedRepository) -> datetime | None:
    """The newest moment the team's data of this repository is known to be complete: the newest PR update stored
    (every event before it was applied) or the start of the last completed import, whichever is later."""
    newest = PullRequest.objects.filter(
        team_id=tracked_repository.team_id, github_repo_id=tracked_repository.github_repo_id
    ).aggregate(newest=Max("pr_updated_at"))["newest"]
    known = [moment for moment in (newest, tracked_repository.last_imported_at) if moment is not None]
    return max(known) if known else None


def tracked_repository_catch_up_gap(*, tracked_repository: TrackedRepository, since: datetime | None = None) -> bool:
    """Access came back after a time when no webhook reached the team (re-added, reconnected, unsuspended,
    transferred in): import exactly what changed meanwhile, PRs updated since the newest one known (or since
    ``since``, when the gap began, if that is earlier), minus the overlap. A history import never finished resumes
    instead, where it stopped. Returns whether an import was scheduled."""
    known = tracked_repository_known_until(tracked_repository=tracked_repository)
    starts = [moment for moment in (known, since) if moment is not None]
    start = min(starts) - CATCH_UP_OVERLAP if starts else None
    return tracked_repository_import_schedule(tracked_repository=tracked_repository, catch_up_since=start)


def tracked_repositories_catch_up(*, installation: GitHubAppInstallation, since: datetime | None) -> int:
    """The installation is active again (``installation.unsuspend``, or reconciliation finding it unsuspended):
    every active tracked repository of its team catches up on the gap, and the imports the suspension paused
    resume. Returns how many were queued."""
    rows = TrackedRepository.objects.filter(installation=installation, is_active=True)
    if installation.team_id is not None:
        rows = rows.filter(team_id=installation.team_id)
    return sum(tracked_repository_catch_up_gap(tracked_repository=row, since=since) for row in rows)


def pull_request_state_settle(*, team_id: int, github_repo_id: int, updated_at: datetime) -> bool:
    """A close and a reopen of one second left a PR's state undecided (``apps.metrics.signals``): a catch-up of
    its repository reads the PR as GitHub has it now, which settles the tie. Returns whether one was scheduled
    (not when the repository is no longer tracked, or when an import is running: a catch-up already under way
    reads the PR too, unless it passed it before that second; the next catch-up or event settles it then)."""
    tracked = TrackedRepository.objects.filter(team_id=team_id, github_repo_id=github_repo_id, is_active=True).first()
    if tracked is None:
        return False
    return tracked_repository_import_schedule(tracked_repository=tracked, since=updated_at - CATCH_UP_OVERLAP)


def tracked_repositories_resume(*, limit: int = 200) -> int:
    """Periodic (beat): queue imports whose rate-limit pause is over, and take over those whose worker went silent
    (died, or the queued message was lost). The claim makes a double queue harmless."""
    now = timezone.now()
    due = Q(import_status=ImportStatus.WAITING, import_resume_at__lte=now - RESUME_GRACE) | Q(
        import_status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING],
        import_heartbeat_at__lte=import_heartbeat_cutoff(now),
    )
    pks = list(TrackedRepository.objects.filter(due, is_active=True).values_list("pk", flat=True)[:limit])
    if pks:
        TrackedRepository.objects.filter(pk__in=pks, import_status=ImportStatus.QUEUED).update(import_heartbeat_at=now)
    return sum(import_enqueue(tracked_repository_id=pk) for pk in pks)
