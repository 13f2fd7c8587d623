"""How fresh and complete each tracked repository's data is, and what is behind, in words for the dashboard.

Everything here is read from our own tables (no GitHub call per page view): the installation's state, the
deliveries GitHub sent for it (last received, waiting to be processed, failed and being retried, failed for
good), and each tracked repository's import (its progress, a rate-limit pause, a failure). A delivery names its
installation and its repository (``repository_id``, read from the payload), so a repository's last event is one
backward probe of ``delivery_repo_recv_idx``, and what waits or failed is counted per repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.timesince import timesince

from apps.integrations.models import (
    DeliveryStatus,
    GitHubAppInstallation,
    InstallationStatus,
    SyncKind,
    SyncStatus,
    TrackedRepository,
    WebhookDelivery,
)
from apps.integrations.services.backfill import TOKEN_PROBLEM
from apps.teams.models import Team

# Events waiting longer than this mean processing is behind (a healthy worker takes well under a second).
PROCESSING_LAG = timedelta(minutes=1)
# Deliveries that failed for good are reported for this long after they arrived.
FAILED_RECENTLY = timedelta(days=1)


@dataclass(frozen=True)
class InstallationFreshness:
    installation: GitHubAppInstallation
    waiting: int  # stored, not processed yet (pending or being processed, no failed attempt)
    oldest_waiting_at: datetime | None
    retrying: int  # failed at least once, retried automatically
    failed: int  # failed after every attempt, in the last day
    token_problem: str = ""  # GitHub's answer when it refused the App's credentials for this installation

    @property
    def state(self) -> str:
        if self.installation.status == InstallationStatus.SUSPENDED:
            return "suspended"
        if self.installation.status == InstallationStatus.DELETED:
            return "uninstalled"
        return "token problems" if self.token_problem else "active"


@dataclass(frozen=True)
class Unfinished:
    """A repository's deliveries not processed yet or failed recently (see ``InstallationFreshness``)."""

    waiting: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class RepositoryFreshness:
    tracked: TrackedRepository
    installation: InstallationFreshness | None
    unfinished: Unfinished = field(default_factory=Unfinished)

    @property
    def last_event_at(self) -> datetime | None:
        """The newest event GitHub sent for it, processed or not (annotated by ``team_freshness``)."""
        return getattr(self.tracked, "last_event_at", None)

    @property
    def history(self) -> str:
        """ "complete", "not imported yet", or "n of total" while an import runs or waits."""
        t = self.tracked
        if t.sync_status in (SyncStatus.QUEUED, SyncStatus.RUNNING, SyncStatus.WAITING, SyncStatus.FAILED):
            done = f"{t.sync_imported} of {t.sync_total}" if t.sync_total else f"{t.sync_imported} so far"
            return f"catching up since {t.sync_since:%Y-%m-%d %H:%M} UTC, {done}" if self.catching_up else done
        return "complete" if t.last_synced_at is not None else "not imported yet"

    @property
    def catching_up(self) -> bool:
        """The import under way is a catch-up (after Sync now, or access given back after a time without events)."""
        return self.tracked.sync_kind == SyncKind.CATCH_UP and self.tracked.sync_since is not None

    @property
    def history_complete(self) -> bool:
        return self.history == "complete"


@dataclass(frozen=True)
class Notice:
    """Something behind, said in words, with what is being done about it."""

    what: str
    doing: str


@dataclass(frozen=True)
class TeamFreshness:
    now: datetime
    repositories: list[RepositoryFreshness]
    installations: list[InstallationFreshness] = field(default_factory=list)

    @property
    def last_event_at(self) -> datetime | None:
        return max((r.last_event_at for r in self.repositories if r.last_event_at), default=None)

    @property
    def complete(self) -> int:
        return sum(1 for r in self.repositories if r.history_complete)

    @property
    def waiting(self) -> int:
        return sum(i.waiting for i in self.installations)

    @property
    def retrying(self) -> int:
        return sum(i.retrying for i in self.installations)

    @property
    def failed(self) -> int:
        return sum(i.failed for i in self.installations)

    @property
    def notices(self) -> list[Notice]:
        return [*_installation_notices(self), *_import_notices(self)]


def _events(n: int) -> str:
    return f"{n} event{'' if n == 1 else 's'}"


def _age(moment: datetime, now: datetime) -> str:
    return timesince(moment, now).split(",")[0]


def _installation_notices(f: TeamFreshness) -> list[Notice]:
    notices = []
    for i in f.installations:
        account = i.installation.account_login or str(i.installation.installation_id)
        if i.state == "suspended":
            notices.append(Notice(
                f"The GitHub App is suspended on {account}: GitHub sends no events and imports are paused, so "
                "figures for its repositories stop at the suspension.",
                f"Nothing is lost; an owner of {account} can unsuspend the App in GitHub's settings and tformance "
                "catches up by itself.",
            ))  # fmt: skip
        elif i.state == "token problems":
            notices.append(Notice(
                f"GitHub refuses the App's credentials for {account} ({i.token_problem}): imports of its "
                "repositories stopped.",
                "Events GitHub sends still arrive and count. An operator should check the App's id and private "
                "key (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY); then Sync now resumes each import where it stopped.",
            ))  # fmt: skip
        elif i.state == "uninstalled":
            notices.append(Notice(
                f"The GitHub App was uninstalled from {account}: no new data arrives for its repositories.",
                "Their history is kept; installing the App again resumes them.",
            ))  # fmt: skip
        if i.oldest_waiting_at is not None and f.now - i.oldest_waiting_at > PROCESSING_LAG:
            verb = "is" if i.waiting == 1 else "are"
            notices.append(Notice(
                f"{_events(i.waiting)} from GitHub for {account} {verb} waiting to be processed, the oldest for "
                f"{_age(i.oldest_waiting_at, f.now)}: the figures do not include them yet.",
                "They are stored and queued; workers process them in order, and a sweep queues again any a "
                "worker missed.",
            ))  # fmt: skip
        if i.retrying:
            notices.append(Notice(
                f"{_events(i.retrying)} for {account} failed to process and {'is' if i.retrying == 1 else 'are'} being "
                "retried.",
                f"Each is retried automatically, up to {settings.WEBHOOK_MAX_ATTEMPTS} attempts.",
            ))  # fmt: skip
        if i.failed:
            notices.append(Notice(
                f"{_events(i.failed)} for {account} could not be processed after every attempt in the last day.",
                "They are kept with their error for an operator; the next import of the repository (Sync now) "
                "brings in what they carried.",
            ))  # fmt: skip
    return notices


def _import_notices(f: TeamFreshness) -> list[Notice]:
    notices, now = [], timezone.now()
    for r in f.repositories:
        t = r.tracked
        if t.import_stalled(now=now):
            notices.append(Notice(
                f"The import of {t.full_name} stopped making progress ({r.history} pull requests): its figures are "
                "incomplete until it finishes.",
                "An admin can resume it with Sync now on the repositories page; it continues where it stopped.",
            ))  # fmt: skip
        elif t.sync_status in (SyncStatus.QUEUED, SyncStatus.RUNNING) and r.catching_up:
            since = timezone.localtime(t.sync_since)
            notices.append(Notice(
                f"{t.full_name} is catching up on the pull requests updated since {since:%Y-%m-%d %H:%M %Z} "
                f"({t.sync_imported} imported so far): its figures are incomplete until it finishes.",
                "Events that GitHub could not deliver to tformance meanwhile (access removed, the App suspended or "
                "disconnected, the repository moved) are imported in the background.",
            ))  # fmt: skip
        elif t.sync_status in (SyncStatus.QUEUED, SyncStatus.RUNNING):
            notices.append(Notice(
                f"The history of {t.full_name} is being imported ({r.history} pull requests): its figures are "
                "incomplete until the import finishes.",
                "The import runs in the background and resumes where it stopped after any interruption.",
            ))  # fmt: skip
        elif t.sync_status == SyncStatus.WAITING:
            resume = f" around {timezone.localtime(t.sync_resume_at):%H:%M}" if t.sync_resume_at else ""
            rate_limited = "rate limit" in t.sync_error
            notices.append(Notice(
                f"The import of {t.full_name} is paused ({r.history} pull requests): "
                f"{'GitHub rate-limited it' if rate_limited else t.sync_error or 'waiting for GitHub'}. "
                "Its figures are incomplete until it finishes.",
                f"It resumes by itself{resume}{' when the rate limit resets' if rate_limited else ''}.",
            ))  # fmt: skip
        elif t.sync_status == SyncStatus.FAILED and t.sync_error.startswith(TOKEN_PROBLEM):
            continue  # said once for its installation
        elif t.sync_status == SyncStatus.FAILED:
            notices.append(Notice(
                f"The import of {t.full_name} failed ({r.history} pull requests): {t.sync_error}",
                "An admin can retry it with Sync now on the repositories page; new events still arrive.",
            ))  # fmt: skip
        elif t.last_synced_at is None:
            notices.append(Notice(
                f"The history of {t.full_name} has not been imported yet: only events since it was tracked count.",
                "An admin can start the import with Sync now on the repositories page.",
            ))  # fmt: skip
    return notices


_UNFINISHED = Q(status__in=(DeliveryStatus.PENDING, DeliveryStatus.PROCESSING))


def _unfinished(installations: Sequence[GitHubAppInstallation], now: datetime) -> list[dict[str, Any]]:
    """One statement whatever the number of deliveries: the unfinished or recently failed ones (the pending and
    failed partial indexes: few rows), counted per installation and repository."""
    unfinished = (
        WebhookDelivery.objects.filter(installation_id__in=[i.installation_id for i in installations])
        .filter(_UNFINISHED | Q(status=DeliveryStatus.FAILED, received_at__gte=now - FAILED_RECENTLY))
        .values("installation_id", "repository_id")
        .annotate(
            waiting=Count("pk", filter=_UNFINISHED & Q(attempts=0)),
            oldest=Min("received_at", filter=_UNFINISHED),
            retrying=Count("pk", filter=Q(status=DeliveryStatus.PENDING, attempts__gt=0)),
            failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        )
        .order_by()
    )
    return [dict(row) for row in unfinished]


def _installation_freshness(
    installations: Sequence[GitHubAppInstallation], rows: list[dict[str, Any]], refused: dict[int, str]
) -> list[InstallationFreshness]:
    def total(installation_id: int, name: str) -> int:
        return sum(r[name] or 0 for r in rows if r["installation_id"] == installation_id)

    return [
        InstallationFreshness(
            installation=i,
            waiting=total(i.installation_id, "waiting"),
            oldest_waiting_at=min(
                (r["oldest"] for r in rows if r["installation_id"] == i.installation_id and r["oldest"]), default=None
            ),
            retrying=total(i.installation_id, "retrying"),
            failed=total(i.installation_id, "failed"),
            token_problem=refused.get(i.pk, ""),
        )
        for i in installations
    ]


def team_freshness(
    *, team: Team, github_repo_ids: list[int] | None = None, now: datetime | None = None
) -> TeamFreshness:
    """Each tracked repository's freshness (those of ``github_repo_ids`` when given: the rows a page shows) and
    the team's installations' delivery state (three statements)."""
    now = now or timezone.now()
    tracked_rows = TrackedRepository.objects.for_team(team).filter(is_active=True)
    if github_repo_ids is not None:
        tracked_rows = tracked_rows.filter(github_repo_id__in=github_repo_ids)
    # The newest delivery of each repository through its installation: one backward probe of
    # ``delivery_repo_recv_idx`` per repository shown.
    newest = WebhookDelivery.objects.filter(
        installation_id=OuterRef("installation__installation_id"), repository_id=OuterRef("github_repo_id")
    ).order_by("-received_at")
    tracked = list(
        tracked_rows.annotate(last_event_at=Subquery(newest.values("received_at")[:1])).order_by("full_name", "pk")
    )
    installations = list(GitHubAppInstallation.objects.filter(team=team).order_by("account_login", "pk"))
    refused = {
        t.installation_id: t.sync_error.removeprefix(TOKEN_PROBLEM).lstrip(": ")
        for t in tracked
        if t.installation_id is not None
        and t.sync_status == SyncStatus.FAILED
        and t.sync_error.startswith(TOKEN_PROBLEM)
    }
    rows = _unfinished(installations, now)
    by_id = {i.installation.pk: i for i in _installation_freshness(installations, rows, refused)}
    # Keyed by GitHub's installation id and repository id: what waits for a repository through its own installation.
    by_repository = {
        (r["installation_id"], r["repository_id"]): Unfinished(r["waiting"] or 0, r["retrying"] or 0, r["failed"] or 0)
        for r in rows
    }
    repositories = []
    for t in tracked:
        installation = by_id.get(t.installation_id) if t.installation_id is not None else None
        github_installation_id = installation.installation.installation_id if installation else None
        unfinished = by_repository.get((github_installation_id, t.github_repo_id), Unfinished())
        repositories.append(RepositoryFreshness(t, installation, unfinished))
    used = {r.installation.installation.pk for r in repositories if r.installation}
    live = [i for i in by_id.values() if i.installation.pk in used or i.state != "uninstalled"]
    return TeamFreshness(now=now, repositories=repositories, installations=live)
