"""Reads of installations for pages and for other handlers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import (
    DeliveryStatus,
    GitHubAppInstallation,
    ImportKind,
    ImportStatus,
    InactiveReason,
    InstallationConnectionEvent,
    InstallationRepository,
    InstallationStatus,
    TrackedRepository,
    WebhookDelivery,
    import_heartbeat_cutoff,
)
from apps.integrations.services.registration import app_permissions
from apps.teams.models import Team
from github_app import install_url_for

# An installation that still delivers events; a deleted one's late deliveries are ignored.
LIVE_STATUSES = (InstallationStatus.ACTIVE, InstallationStatus.SUSPENDED)
STOPPED_BY_GITHUB = (InactiveReason.ACCESS_REMOVED, InactiveReason.MOVED)
DELETED_ON_GITHUB = (InactiveReason.REPOSITORY_DELETED, InactiveReason.REPOSITORY_DROPPED)


def installation_team_for_event(installation_id: int | None) -> Team | None:
    """The team whose data a ``pull_request*`` delivery of this installation belongs to, or None when the
    installation is unknown, not linked to a team, or uninstalled (the delivery is then ignored)."""
    if installation_id is None:
        return None
    row = (
        GitHubAppInstallation.objects.select_related("team")
        .filter(installation_id=installation_id, team__isnull=False)
        .exclude(status=InstallationStatus.DELETED)
        .first()
    )
    return row.team if row else None


def team_installations(*, team: Team) -> QuerySet[GitHubAppInstallation]:
    """The team's installations with how many repositories each reaches; current ones first."""
    return (
        GitHubAppInstallation.objects.filter(team=team)
        .annotate(repository_count=Count("repositories", filter=Q(repositories__removed_at__isnull=True)))
        .order_by("status", "account_login")
    )


# What the deployment figures need beyond the PR permissions: Deployments for the events, Contents for the compare
# that tells a deployment's changes.
DEPLOYMENT_PERMISSIONS = ("deployments", "contents")
# GitHub's access levels, weakest first: an installation granted ``write`` has what ``read`` asks for.
PERMISSION_LEVELS = ("read", "write", "admin")


@dataclass(frozen=True, slots=True)
class PermissionRequest:
    """A permission the App asks for that an installation has not granted (or granted at a lower level)."""

    name: str  # GitHub's name: ``pull_requests``
    level: str

    @property
    def label(self) -> str:
        """As GitHub's installation page names it: "Pull requests"."""
        return self.name.replace("_", " ").capitalize()


def permissions_not_granted(
    *, installation: GitHubAppInstallation, wanted: Mapping[str, str]
) -> list[PermissionRequest]:
    """What of ``wanted`` the installation's owner has not accepted.

    When an App asks for more, GitHub keeps every installation on what its owner last accepted and asks the owner
    to review the request; until they accept, GitHub sends none of the new permission's events and answers the
    calls that need it with 403. ``installation.permissions`` is what GitHub last said was granted (the
    ``installation`` events and reconciliation keep it current, ``new_permissions_accepted`` included).
    """
    granted = installation.permissions or {}
    return [
        PermissionRequest(name=name, level=level)
        for name, level in sorted(wanted.items())
        if _level_rank(granted.get(name)) < _level_rank(level)
    ]


def team_installations_not_granting(
    *, team: Team, permissions: tuple[str, ...]
) -> dict[str, list[GitHubAppInstallation]]:
    """For each of ``permissions``, the team's installations still sending events whose owner has not accepted it at
    the level the App asks for it (``app-manifest.json``): a page whose figures need it says so for them, instead of
    showing their repositories' silence as zeros. One read of the manifest and of the installations for them all."""
    asked = app_permissions()
    installations = list(team_installations(team=team).filter(status__in=LIVE_STATUSES))
    return {
        permission: [
            installation
            for installation in installations
            if permissions_not_granted(installation=installation, wanted={permission: asked[permission]})
        ]
        for permission in permissions
    }


def _level_rank(level: str | None) -> int:
    return PERMISSION_LEVELS.index(level) + 1 if level in PERMISSION_LEVELS else 0


def team_connection_events(*, team: Team, limit: int = 20) -> list[InstallationConnectionEvent]:
    """Who connected or disconnected the team's GitHub installations, and when; newest first."""
    return list(InstallationConnectionEvent.objects.for_team(team).order_by("-created_at", "-pk")[:limit])


def github_install_url(*, state: str) -> str:
    """GitHub's page to install the App with our ``state``: ``{GITHUB_WEB_URL}/apps/<slug>/installations/new`` on
    github.com, ``/github-apps/<slug>/installations/new`` on GitHub Enterprise Server (``github_app``'s layout)."""
    page = install_url_for(
        web_url=settings.GITHUB_WEB_URL, api_url=settings.GITHUB_API_URL, slug=settings.GITHUB_APP_SLUG
    )
    return f"{page}?{urlencode({'state': state})}"


def github_authorize_url(*, state: str) -> str:
    """GitHub's sign-in page for the App (the OAuth web flow, ``{GITHUB_WEB_URL}/login/oauth/authorize``), returning
    to the install callback, which is the App's registered callback URL (``BASE_URL`` + the callback path)."""
    query = {
        "client_id": settings.GITHUB_APP_CLIENT_ID,
        "redirect_uri": settings.BASE_URL + reverse("integrations:github_callback"),
        "state": state,
    }
    return f"{settings.GITHUB_WEB_URL.rstrip('/')}/login/oauth/authorize?{urlencode(query)}"


def tracked_repository_for_delivery(*, installation_id: int | None, github_repo_id: int) -> TrackedRepository | None:
    """The active tracking, with its team, that a ``pull_request*`` delivery of this installation and repository
    counts for: one query on the hot path; None means the delivery is ignored.

    The installation conditions sit in one ``filter()`` call, so they hold for the same joined installation row:
    the delivering installation must be linked to the tracking's team and not deleted. The team's other
    installations play no part (an ``exclude()`` across the relation would drop the delivery as soon as any one of
    them was deleted: docs/architecture.md, invariant 5).
    """
    if installation_id is None:
        return None
    return (
        TrackedRepository.objects.select_related("team")
        .filter(
            github_repo_id=github_repo_id,
            is_active=True,
            team__github_installations__installation_id=installation_id,
            team__github_installations__status__in=LIVE_STATUSES,
        )
        .first()
    )


REPOSITORY_FILTERS = ("all", "tracked", "untracked", "archived")


def team_repositories(*, team: Team, search: str = "", show: str = "all") -> QuerySet[InstallationRepository]:
    """The repositories the team's installations reach, from our mirror (never a GitHub call per page view).

    Annotated with ``is_tracked``. Repositories the App lost access to are listed only while tracked, so an admin
    can still untrack them, and so are tracked ones deleted on GitHub, so an admin can drop them from the figures.
    ``show`` is one of ``REPOSITORY_FILTERS``.
    """
    tracked = TrackedRepository.objects.filter(team=team, github_repo_id=OuterRef("github_repo_id"), is_active=True)
    # A repository the App lost access to is listed through the installation the team tracks it by (not twice when
    # the tracking followed a transfer to another installation), while tracked, stopped by GitHub (not by an admin),
    # or deleted on GitHub (so an admin can drop it from the figures).
    here = TrackedRepository.objects.filter(
        team=team, github_repo_id=OuterRef("github_repo_id"), installation=OuterRef("installation")
    ).filter(Q(is_active=True) | Q(inactive_reason__in=(*STOPPED_BY_GITHUB, *DELETED_ON_GITHUB)))
    rows = (
        InstallationRepository.objects.filter(installation__team=team)
        .exclude(installation__status=InstallationStatus.DELETED)
        .annotate(is_tracked=Exists(tracked))
        .filter(Q(removed_at__isnull=True) | Q(Exists(here)))
        .select_related("installation")
        .order_by("full_name", "pk")
    )
    if search:
        rows = rows.filter(full_name__icontains=search.strip())
    if show == "tracked":
        rows = rows.filter(is_tracked=True)
    elif show == "untracked":
        rows = rows.filter(is_tracked=False)
    elif show == "archived":
        rows = rows.filter(archived=True)
    return rows


@dataclass(frozen=True)
class RepositoryRow:
    """One line of the repository page: the mirrored repository and the team's tracking of it, if any."""

    repository: InstallationRepository
    tracked: TrackedRepository | None

    @property
    def is_tracked(self) -> bool:
        return self.tracked is not None and self.tracked.is_active

    @property
    def deleted_on_github(self) -> bool:
        """Deleted on GitHub while tracked: shown as such, its history still in the figures unless dropped."""
        return self.tracked is not None and self.tracked.inactive_reason in DELETED_ON_GITHUB

    @property
    def dropped_from_figures(self) -> bool:
        return self.tracked is not None and self.tracked.inactive_reason == InactiveReason.REPOSITORY_DROPPED

    @property
    def is_importing(self) -> bool:
        """An import queued or running and alive (by its heartbeat): the row polls and hides Import now."""
        return self.is_tracked and self.tracked is not None and self.tracked.import_in_progress(now=timezone.now())

    @property
    def is_stalled(self) -> bool:
        """Queued or running, but silent past ``IMPORT_LOCK_SECONDS``: the row says so and offers Import now."""
        return self.is_tracked and self.tracked is not None and self.tracked.import_stalled(now=timezone.now())

    @property
    def import_description(self) -> str:
        """What the import queued or running covers, in the words Import now answers with."""
        tracked = self.tracked
        if tracked is None:
            return ""
        since = tracked.import_since
        if tracked.import_kind == ImportKind.CATCH_UP and since is not None:
            return f"Catch-up: PRs updated since {timezone.localtime(since):%Y-%m-%d %H:%M %Z}"
        if since is not None:
            return f"History import: PRs updated since {since:%Y-%m-%d}"
        return "History import: every PR"

    @property
    def progress_percent(self) -> int:
        tracked = self.tracked
        if tracked is None or not tracked.import_total:
            return 0
        return min(100, round(100 * tracked.import_count / tracked.import_total))


def team_repository_rows(*, team: Team, repositories: list[InstallationRepository]) -> list[RepositoryRow]:
    ids = [r.github_repo_id for r in repositories]
    tracked = {t.github_repo_id: t for t in TrackedRepository.objects.filter(team=team, github_repo_id__in=ids)}
    return [RepositoryRow(r, tracked.get(r.github_repo_id)) for r in repositories]


def team_repository_row(*, team: Team, github_repo_id: int) -> RepositoryRow | None:
    """One row of the page (for the live fragment), or None when the team's installations do not reach it."""
    repository = team_repositories(team=team).filter(github_repo_id=github_repo_id).first()
    if repository is None:
        return None
    return team_repository_rows(team=team, repositories=[repository])[0]


def tracked_repositories_matching(*, identifier: str, team_slug: str | None = None) -> QuerySet[TrackedRepository]:
    """Active tracked repositories by ``owner/name`` (case-insensitive) or ``github_repo_id``, for commands."""
    rows = TrackedRepository.objects.filter(is_active=True).select_related("team", "installation")
    if team_slug:
        rows = rows.filter(team__slug=team_slug)
    if identifier.isdigit():
        return rows.filter(github_repo_id=int(identifier))
    return rows.filter(full_name__iexact=identifier)


@dataclass(frozen=True)
class InactiveRepositories:
    """The team's repositories that are no longer tracked, by what that means for its figures.

    ``untracked``: tracked once and no longer: their history stays stored but out of the figures. Not among them: a
    tracked repository deleted on GitHub (the past it was part of does not change because it was deleted later,
    until an admin drops it from the figures: ``repository_drop_from_figures``), nor one transferred to another
    organization (its history up to the move stays counted).
    ``deleted``: deleted on GitHub while the team tracked them (kept in the figures or dropped by an admin).
    """

    untracked: frozenset[int]
    deleted: frozenset[int]


def team_inactive_repositories(*, team: Team) -> InactiveRepositories:
    """One read for both sets (the dashboard needs both on every render)."""
    rows = (
        TrackedRepository.objects.for_team(team)
        .filter(is_active=False)
        .values_list("github_repo_id", "inactive_reason")
    )
    return InactiveRepositories(
        untracked=frozenset(
            repo_id
            for repo_id, reason in rows
            if reason not in (InactiveReason.REPOSITORY_DELETED, InactiveReason.MOVED)
        ),
        deleted=frozenset(repo_id for repo_id, reason in rows if reason in DELETED_ON_GITHUB),
    )


def team_untracked_repository_ids(*, team: Team) -> frozenset[int]:
    """``InactiveRepositories.untracked``: what leaves the team's figures."""
    return team_inactive_repositories(team=team).untracked


@dataclass(frozen=True)
class GitHubSetup:
    """Where the team stands in connecting GitHub, for the home page's checklist."""

    installations: list[GitHubAppInstallation]  # connected and not uninstalled, with who connected them
    tracked: int  # repositories tracked now
    importing: int  # of which an import is queued or running
    imported_once: int  # of which one import finished at least once
    imported: int  # PRs read by the imports in progress
    total: int  # PRs those imports will read (0 while GitHub has not said)

    @property
    def import_percent(self) -> int:
        return min(100, round(100 * self.imported / self.total)) if self.total else 0


def team_github_setup(*, team: Team) -> GitHubSetup:
    """Installations linked to the team and what its tracked repositories' imports have done: three queries."""
    installations = list(
        GitHubAppInstallation.objects.filter(team=team, status__in=LIVE_STATUSES)
        .select_related("linked_by")
        .order_by("linked_at", "pk")
    )
    active, cutoff = (ImportStatus.QUEUED, ImportStatus.RUNNING), import_heartbeat_cutoff(timezone.now())
    rows = list(
        TrackedRepository.objects.for_team(team)
        .filter(is_active=True)
        .values_list("import_status", "last_imported_at", "import_count", "import_total", "import_heartbeat_at")
    )
    running = [row for row in rows if row[0] in active and row[4] is not None and row[4] > cutoff]  # alive
    return GitHubSetup(
        installations=installations,
        tracked=len(rows),
        importing=len(running),
        imported_once=sum(1 for row in rows if row[1] is not None),
        imported=sum(row[2] for row in running),
        total=sum(row[3] or 0 for row in running),
    )


def deliveries_pending_summary(*, cap: int) -> tuple[int, datetime | None]:
    """How many deliveries are pending (counted up to ``cap``) and when the oldest arrived: two reads of the
    ``delivery_pending_idx`` partial index, bounded whatever the backlog (the metrics endpoint asks on every scrape)."""
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
    count = pending.order_by().values("pk")[:cap].count()
    oldest = pending.order_by("received_at").values_list("received_at", flat=True).first()
    return count, oldest
