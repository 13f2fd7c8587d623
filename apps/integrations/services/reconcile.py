"""Daily reconciliation: make our installations and their repositories equal to GitHub's.

Webhook deliveries can be lost or arrive out of order; GitHub's own answers are the truth:
``GET /app/installations`` (all pages, App JWT) and, per installation, ``GET /installation/repositories``
(all pages, installation token). Every call is made before anything is written, so a failure changes
nothing — above all a rate-limited 403, which must never be taken for lost access. An installation of ours
that GitHub does not list is checked with ``GET /app/installations/{id}``: only a 404 means it was deleted.

A rate limit, or a failure of the listing itself, aborts the whole run (nothing changed, the next run tries
again). Any other error of one installation (a 403 from an organization's IP allow list, a 5xx that outlived
the retries) leaves that installation untouched, is reported with GitHub's reason, and the others go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from apps.integrations.github import app_api
from apps.integrations.models import GitHubAppInstallation, InstallationStatus
from apps.integrations.services.installations import installation_mark_deleted
from apps.integrations.services.refresh import InstallationState, installation_state_apply, installation_state_fetch
from github_app import AppAPI, GitHubError, InstallationNotFound, NotFound, RateLimited

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    installations_seen: int = 0
    installations_deleted: int = 0
    repositories_added: int = 0
    repositories_removed: int = 0
    dry_run: bool = False
    aborted: str = ""
    failed: dict[int, str] = field(default_factory=dict)  # installation id → why it was left as it was


@dataclass
class _Fetched:
    states: list[InstallationState] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    def add(self, installation_id: int, data: dict | None) -> None:
        """GitHub's state of one installation; a 404 means gone, another error (not a rate limit) is recorded."""
        try:
            self.states.append(installation_state_fetch(installation_id=installation_id, data=data))
        except (InstallationNotFound, NotFound):
            self.gone.append(installation_id)
        except RateLimited:
            raise
        except GitHubError as exc:
            self.failed[installation_id] = f"{type(exc).__name__}: {exc}"
            logger.warning("installation %s not reconciled, left as it was: %s", installation_id, exc)


def _fetch_all(api: AppAPI) -> _Fetched:
    """Ask GitHub everything first: the states to apply, the ids of ours that are gone, and those that failed."""
    fetched = _Fetched()
    for data in api.list_installations():
        fetched.add(int(data["id"]), data)
    listed = {s.snapshot.installation_id for s in fetched.states} | set(fetched.gone) | set(fetched.failed)
    ours = GitHubAppInstallation.objects.exclude(status=InstallationStatus.DELETED).exclude(installation_id__in=listed)
    for installation_id in ours.values_list("installation_id", flat=True):
        fetched.add(installation_id, None)
    return fetched


def installations_reconcile(*, dry_run: bool = False) -> ReconcileReport:
    """Run once; with ``dry_run`` everything is computed and rolled back. A rate limit or a failed listing
    aborts the run with nothing changed (the next run tries again); one installation's error is reported in
    ``failed`` and leaves only that installation as it was."""
    report = ReconcileReport(dry_run=dry_run)
    try:
        fetched = _fetch_all(app_api())
    except GitHubError as exc:
        report.aborted = f"{type(exc).__name__}: {exc}"
        logger.warning("installation reconciliation aborted, nothing changed: %s", report.aborted)
        return report
    states, gone, report.failed = fetched.states, fetched.gone, fetched.failed
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
