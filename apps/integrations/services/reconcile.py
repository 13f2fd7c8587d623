"""Reconciliation: make our installations and their repositories equal to GitHub's, one installation at a time.

Webhook deliveries can be lost or arrive out of order; GitHub's own answers are the truth. Each installation is
reconciled on its own (``installation_reconcile``): ``GET /app/installations/{id}`` (App JWT; a 404 alone means
it was deleted) and ``GET /installation/repositories`` (all pages, installation token) are asked first, outside
any transaction, then the answer is applied in one short transaction of its own, compared in bulk and written
only where it differs — an installation nothing happened to is read and not written.

An error of one installation (a 403 from an organization's IP allow list, a 5xx that outlived the retries) is
recorded on its row (``reconcile_error``, shown in the admin) and leaves it as it was; the others go on. A rate
limit is never taken for lost access: that installation is left as it was and tried again after the reset.

Spread over the day (``installations_reconcile_due``, beat, hourly): each hour reconciles the installations
whose id falls in that hour's slot (``installation_id % 24``), queued one task each, spaced across the hour —
no row records when it was done, so an unchanged day writes nothing. Once a day (slot 0) GitHub's list of
installations (``GET /app/installations``, 100 a page) is read for installations we have never heard of.
``installations_reconcile`` runs everything at once in this process (the management command).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.integrations.github import app_api, app_credentials
from apps.integrations.models import GitHubAppInstallation, InstallationStatus
from apps.integrations.services.installations import installation_mark_deleted
from apps.integrations.services.refresh import installation_state_apply, installation_state_fetch
from github_app import GitHubError, InstallationNotFound, NotFound, RateLimited

logger = logging.getLogger(__name__)

SLOTS = 24  # one slot an hour: every installation once a day


@dataclass
class InstallationOutcome:
    """What reconciling one installation did; ``failed`` is GitHub's reason when it was left as it was."""

    seen: bool = False
    deleted: bool = False
    added: int = 0
    removed: int = 0
    failed: str = ""


@dataclass
class ReconcileReport:
    installations_seen: int = 0
    installations_deleted: int = 0
    repositories_added: int = 0
    repositories_removed: int = 0
    dry_run: bool = False
    aborted: str = ""
    failed: dict[int, str] = field(default_factory=dict)  # installation id → why it was left as it was

    def add(self, installation_id: int, outcome: InstallationOutcome) -> None:
        self.installations_seen += outcome.seen
        self.installations_deleted += outcome.deleted
        self.repositories_added += outcome.added
        self.repositories_removed += outcome.removed
        if outcome.failed:
            self.failed[installation_id] = outcome.failed


def _record_error(installation_id: int, reason: str) -> None:
    """Written only when it changes: the same error day after day is one write."""
    GitHubAppInstallation.objects.filter(installation_id=installation_id).exclude(reconcile_error=reason).update(
        reconcile_error=reason, updated_at=timezone.now()
    )


def installation_reconcile(
    *, installation_id: int, data: dict[str, Any] | None = None, dry_run: bool = False
) -> InstallationOutcome:
    """Reconcile one installation in a transaction of its own. ``data`` is its entry of ``GET /app/installations``
    when the caller has just read it (saves the ``GET /app/installations/{id}``). Raises ``RateLimited``, with
    nothing of this installation changed; any other GitHub error is recorded and returned in ``failed``."""
    outcome = InstallationOutcome()
    try:
        state = installation_state_fetch(installation_id=installation_id, data=data, conditional=True)
    except (InstallationNotFound, NotFound):
        state = None
    except RateLimited:
        raise
    except GitHubError as exc:
        outcome.failed = f"{type(exc).__name__}: {exc}"
        logger.warning("installation %s not reconciled, left as it was: %s", installation_id, exc)
        if not dry_run:
            _record_error(installation_id, outcome.failed)
        return outcome
    with transaction.atomic():
        if state is None:
            row = GitHubAppInstallation.objects.filter(installation_id=installation_id).first()
            outcome.deleted = row is not None and installation_mark_deleted(installation=row)
        else:
            row, outcome.added, outcome.removed = installation_state_apply(state=state)
            outcome.seen = True
        if row is not None and row.reconcile_error:  # the error of an earlier day is over
            row.reconcile_error = ""
            row.save(update_fields=["reconcile_error", "updated_at"])
        if dry_run:
            transaction.set_rollback(True)
    return outcome


def _listed() -> dict[int, dict[str, Any]]:
    """``GET /app/installations``, all pages (App JWT): GitHub's installations by id."""
    return {int(data["id"]): data for data in app_api().list_installations()}


def installations_reconcile(*, dry_run: bool = False) -> ReconcileReport:
    """Reconcile every installation now, one after another, each in its own transaction (the management command).
    A rate limit stops the run there: the installations done stay done, the rest are left as they were."""
    report = ReconcileReport(dry_run=dry_run)
    try:
        listed = _listed()
    except GitHubError as exc:
        report.aborted = f"{type(exc).__name__}: {exc}"
        logger.warning("installation reconciliation aborted, nothing changed: %s", report.aborted)
        return report
    ours = GitHubAppInstallation.objects.exclude(status=InstallationStatus.DELETED).exclude(installation_id__in=listed)
    ids = [*listed, *ours.values_list("installation_id", flat=True)]
    for installation_id in ids:
        try:
            report.add(
                installation_id,
                installation_reconcile(
                    installation_id=installation_id, data=listed.get(installation_id), dry_run=dry_run
                ),
            )
        except RateLimited as exc:
            report.aborted = f"{type(exc).__name__} at installation {installation_id}: {exc}"
            logger.warning("installation reconciliation stopped by a rate limit: %s", report.aborted)
            break
    logger.info("installation reconciliation: %s", report)
    return report


def installations_due(*, slot: int) -> list[int]:
    """Our installations (not deleted) whose turn is this slot of the day."""
    due = (
        GitHubAppInstallation.objects.exclude(status=InstallationStatus.DELETED)
        .annotate(slot=F("installation_id") % SLOTS)
        .filter(slot=slot)
        .order_by("installation_id")
    )
    return list(due.values_list("installation_id", flat=True))


def installations_unknown() -> list[int]:
    """Installations GitHub lists that we have no row for (their ``installation.created`` was lost)."""
    listed = set(_listed())
    return sorted(listed - set(GitHubAppInstallation.objects.values_list("installation_id", flat=True)))


def installations_reconcile_due(*, hour: int | None = None) -> int:
    """Queue this hour's installations, one task each, spaced over ``RECONCILE_SPREAD_SECONDS`` (less than the
    broker's visibility timeout, so a countdown never outlives it). Returns how many were queued."""
    from apps.integrations.services.queueing import reconcile_enqueue

    app_credentials()  # not configured: raises here, before any task is queued to fail
    slot = timezone.now().hour if hour is None else hour
    ids = installations_due(slot=slot % SLOTS)
    if slot % SLOTS == 0:
        try:
            ids += installations_unknown()
        except RateLimited as exc:
            logger.warning("GitHub's list of installations not read (rate limit); tomorrow's run reads it: %s", exc)
    spacing = settings.RECONCILE_SPREAD_SECONDS / max(len(ids), 1)
    queued = 0
    for i, installation_id in enumerate(ids):
        queued += reconcile_enqueue(installation_id=installation_id, countdown=i * spacing or None)
    return queued
