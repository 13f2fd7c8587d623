"""Reads of installations for pages and for other handlers."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from apps.integrations.models import GitHubAppInstallation, InstallationStatus, TrackedRepository
from apps.teams.models import Team


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


def installation_settings_url(*, installation: GitHubAppInstallation) -> str:
    """Where an account owner manages the App's installation on GitHub (repositories, permissions, uninstall)."""
    path = f"settings/installations/{installation.installation_id}"
    if installation.account_type == "Organization":
        return f"{settings.GITHUB_WEB_URL}/organizations/{installation.account_login}/{path}"
    return f"{settings.GITHUB_WEB_URL}/{path}"


def github_install_url(*, state: str) -> str:
    """``{GITHUB_WEB_URL}/apps/<slug>/installations/new?state=…``: GitHub's page to install the App."""
    return f"{settings.GITHUB_WEB_URL}/apps/{settings.GITHUB_APP_SLUG}/installations/new?{urlencode({'state': state})}"


def tracked_repository_for_delivery(*, installation_id: int | None, github_repo_id: int) -> TrackedRepository | None:
    """The active tracking, with its team, that a ``pull_request*`` delivery of this installation and repository
    counts for: one query on the hot path; None means the delivery is ignored."""
    if installation_id is None:
        return None
    return (
        TrackedRepository.objects.select_related("team")
        .filter(
            github_repo_id=github_repo_id,
            is_active=True,
            team__github_installations__installation_id=installation_id,
        )
        .exclude(team__github_installations__status=InstallationStatus.DELETED)
        .first()
    )
