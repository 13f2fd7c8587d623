"""How fresh and complete each tracked repository's data is, and what is behind, as kinds and figures the
dashboard's templates word (``metrics/_freshness.html``, ``_notice.html``, ``_history.html``), so every sentence a
user reads about it is in one place.

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
from typing import Any, Literal, get_args

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.timesince import timesince

from apps.integrations.models import (
    DeliveryStatus,
    GitHubAppInstallation,
    ImportErrorKind,
    ImportKind,
    ImportStatus,
    InstallationStatus,
    TrackedRepository,
    WebhookDelivery,
)
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
    credentials_refused: bool = False  # an import of its repositories failed because GitHub refused the App's
    token_problem: str = ""  # credentials, with GitHub's answer

    @property
    def account(self) -> str:
        """How the notices name the installation: its account, or its id before the account is known."""
        return self.installation.account_login or str(self.installation.installation_id)

    @property
    def state(self) -> str:
        if self.installation.status == InstallationStatus.SUSPENDED:
            return "suspended"
        if self.installation.status == InstallationStatus.DELETED:
            return "uninstalled"
        return "token problems" if self.credentials_refused else "active"


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
    def history_partial(self) -> bool:
        """An import is under way, paused or failed (``metrics/_history.html`` says how far it got)."""
        return self.tracked.import_status in (
            ImportStatus.QUEUED,
            ImportStatus.RUNNING,
            ImportStatus.WAITING,
            ImportStatus.FAILED,
        )

    @property
    def catching_up(self) -> bool:
        """The import under way is a catch-up (after Import now, or access given back after a time without events)."""
        return self.tracked.import_kind == ImportKind.CATCH_UP and self.tracked.import_since is not None

    @property
    def history_complete(self) -> bool:
        return not self.history_partial and self.tracked.last_imported_at is not None


NoticeKind = Literal[
    "suspended",
    "credentials_refused",
    "uninstalled",
    "events_waiting",
    "events_retrying",
    "events_failed",
    "import_stalled",
    "catching_up",
    "importing",
    "import_paused",
    "import_failed",
    "not_imported",
]


@dataclass(frozen=True)
class Notice:
    """Something behind: its ``kind`` and the installation or repository it is about. ``metrics/_notice.html``
    words each kind (what is behind, and what is being done about it), so the sentences live in one place."""

    kind: NoticeKind
    installation: InstallationFreshness | None = None
    repository: RepositoryFreshness | None = None
    age: str = ""  # how long the oldest event of "events_waiting" has waited
    max_attempts: int = 0  # how often "events_retrying" are tried at most


NOTICE_KINDS: tuple[NoticeKind, ...] = get_args(NoticeKind)


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


def _installation_notices(f: TeamFreshness) -> list[Notice]:
    notices = []
    for i in f.installations:
        if i.state == "suspended":
            notices.append(Notice("suspended", installation=i))
        elif i.state == "token problems":
            notices.append(Notice("credentials_refused", installation=i))
        elif i.state == "uninstalled":
            notices.append(Notice("uninstalled", installation=i))
        if i.oldest_waiting_at is not None and f.now - i.oldest_waiting_at > PROCESSING_LAG:
            age = timesince(i.oldest_waiting_at, f.now, depth=1)
            notices.append(Notice("events_waiting", installation=i, age=age))
        if i.retrying:
            notices.append(Notice("events_retrying", installation=i, max_attempts=settings.WEBHOOK_MAX_ATTEMPTS))
        if i.failed:
            notices.append(Notice("events_failed", installation=i))
    return notices


def _import_notices(f: TeamFreshness) -> list[Notice]:
    notices, now = [], timezone.now()
    for r in f.repositories:
        t = r.tracked
        if t.import_stalled(now=now):
            notices.append(Notice("import_stalled", repository=r))
        elif t.import_status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            notices.append(Notice("catching_up" if r.catching_up else "importing", repository=r))
        elif t.import_status == ImportStatus.WAITING:
            notices.append(Notice("import_paused", repository=r))
        elif t.import_status == ImportStatus.FAILED and t.import_error_kind == ImportErrorKind.CREDENTIALS_REFUSED:
            continue  # said once for its installation
        elif t.import_status == ImportStatus.FAILED:
            notices.append(Notice("import_failed", repository=r))
        elif t.last_imported_at is None:
            notices.append(Notice("not_imported", repository=r))
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
            credentials_refused=i.pk in refused,
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
        t.installation_id: t.import_error
        for t in tracked
        if t.installation_id is not None
        and t.import_status == ImportStatus.FAILED
        and t.import_error_kind == ImportErrorKind.CREDENTIALS_REFUSED
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
