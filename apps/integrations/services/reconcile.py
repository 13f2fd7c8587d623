"""Daily reconciliation: make our installations and their repositories equal to GitHub's.

Webhook deliveries can be lost or arrive out of order; GitHub's own answers are the truth:
``GET /app/installations`` (all pages, App JWT) and, per installation, ``GET /installation/repositories``
(all pages, installation token). Every call is made before anything is written, so a failure changes
nothing — above all a rate-limited 403, which must never be taken for lost access. An installation of ours
that GitHub does not list is checked with ``GET /app/installations/{id}``: only a 404 means it was deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from apps.integrations.github import app_api
from apps.integrations.models import GitHubAppInstallation, InstallationStatus
from apps.integrations.services.installations import installation_mark_deleted
from apps.integrations.services.refresh import InstallationState, installation_state_apply, installation_state_fetch
from github_app import AppAPI, GitHubError, InstallationNotFound, NotFound

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    installations_seen: int = 0
    installations_deleted: int = 0
    repositories_added: int = 0
    repositories_removed: int = 0
    dry_run: bool = False
    aborted: str = ""


def _fetch_one(installation_id: int, data: dict | None) -> InstallationState | None:
    """GitHub's state of one installation, or None when it turns out to be gone (404)."""
    try:
        return installation_state_fetch(installation_id=installation_id, data=data)
    except (InstallationNotFound, NotFound):
        return None


def _fetch_all(api: AppAPI) -> tuple[list[InstallationState], list[int]]:
    """Ask GitHub everything first: the states to apply and the ids of ours that are gone."""
    states: list[InstallationState] = []
    gone: list[int] = []
    for data in api.list_installations():
        state = _fetch_one(int(data["id"]), data)
        if state is None:
            gone.append(int(data["id"]))
        else:
            states.append(state)
    listed = {s.snapshot.installation_id for s in states} | set(gone)
    ours = GitHubAppInstallation.objects.exclude(status=InstallationStatus.DELETED).exclude(installation_id__in=listed)
    for installation_id in ours.values_list("installation_id", flat=True):
        state = _fetch_one(installation_id, None)
        if state is None:
            gone.append(installation_id)
        else:
            states.append(state)
    return states, gone


def installations_reconcile(*, dry_run: bool = False) -> ReconcileReport:
    """Run once; with ``dry_run`` everything is computed and rolled back. A GitHub error aborts the run
    with nothing changed (the next run tries again)."""
    report = ReconcileReport(dry_run=dry_run)
    try:
        states, gone = _fetch_all(app_api())
    except GitHubError as exc:
        report.aborted = f"{type(exc).__name__}: {exc}"
        logger.warning("installation reconciliation aborted, nothing changed: %s", report.aborted)
        return report
    with transaction.atomic():
        for state in states:
            _, added, removed = installation_state_apply(state=state)
            report.repositories_added += added
            report.repositories_removed += removed
        for installation in GitHubAppInstallation.objects.filter(installation_id__in=gone):
            report.installations_deleted += installation_mark_deleted(installation=installation)
        report.installations_seen = len(states)
        if dry_run:
            transaction.set_rollback(True)
    logger.info("installation reconciliation: %s", report)
    return report
