"""Celery tasks of the GitHub integration. Each takes ids, calls one service and owns its retry policy."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task, shared_task

from apps.integrations.services.deliveries import deliveries_sweep_pending
from apps.integrations.services.lifecycle import deliveries_expire, delivery_payloads_prune
from apps.integrations.services.payload_partitions import payload_partitions_ensure
from apps.integrations.services.processing import RetryLater, deliveries_drain, delivery_process
from apps.integrations.services.queueing import delivery_retry_enqueue, task_enqueue, work_in_turns
from apps.integrations.services.recovery import deliveries_recover_failed

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def process_delivery(self: Task[Any, Any], delivery_pk: int) -> str | None:
    """Queue ``webhooks``. Transient failures retry with backoff; the attempt limit lives in the service."""
    try:
        return delivery_process(delivery_pk=delivery_pk)
    except RetryLater as exc:
        if self.request.is_eager:
            # In-process (no broker): no waiting here; the delivery stays pending for the sweeper.
            logger.warning("delivery pk=%s left pending after a transient error: %s", delivery_pk, exc)
            return None
        raise self.retry(countdown=exc.countdown, exc=exc) from exc


@shared_task(acks_late=True)
def drain_deliveries() -> int:
    """Queue ``webhooks``: a web process's wake-up (at most one per process every ``WAKE_INTERVAL``). Claims and
    processes every pending delivery not yet attempted; a long queue is drained in turns, each one queueing the
    next, so retries and other messages interleave."""
    done, more = deliveries_drain()
    if more:
        task_enqueue(drain_deliveries, what="the rest of the pending deliveries")
    return done


@shared_task(acks_late=True)
def process_deliveries(delivery_pks: list[int]) -> None:
    """Queue ``webhooks``: a batch from the sweeper or reprocessing. Each delivery is claimed on its own, so a
    batch redelivered after a worker died skips what is done; one that needs a retry goes on alone with its
    backoff."""
    for pk in delivery_pks:
        try:
            delivery_process(delivery_pk=pk)
        except RetryLater as exc:
            if not process_deliveries.request.is_eager:
                delivery_retry_enqueue(delivery_pk=pk, countdown=exc.countdown)


@shared_task
def sweep_pending_deliveries(after: list[Any] | None = None) -> int:
    """Every minute (beat): pending deliveries the broker lost are queued, for ``WEBHOOK_SWEEP_SECONDS`` at most;
    a backlog left over is swept on by a follow-up of this task from where it stopped, not by the next beat."""
    result = deliveries_sweep_pending(after=(after[0], after[1]) if after else None)
    if result.resume_after is not None:
        task_enqueue(sweep_pending_deliveries, list(result.resume_after), what="the rest of the pending sweep")
    return result.queued


@shared_task
def recover_failed_deliveries() -> int:
    return deliveries_recover_failed()


@shared_task
def prune_delivery_payloads() -> int:
    """Daily (beat): audit rows past ``WEBHOOK_DELIVERY_RETENTION_DAYS`` deleted, then payloads past
    ``WEBHOOK_PAYLOAD_RETENTION_DAYS`` dropped (in that order, so no payload is dropped from a row about to go);
    each bounded by ``WEBHOOK_LIFECYCLE_SECONDS`` (the next day goes on). Returns how many payloads were dropped."""
    deliveries_expire()
    return delivery_payloads_prune()


@shared_task
def create_payload_partitions() -> int:
    """Daily (beat): the payload table's day partitions of the next ``DAYS_AHEAD`` days exist (PostgreSQL; a
    delivery of a day with none lands in the DEFAULT partition). Returns how many were created."""
    return payload_partitions_ensure()


@shared_task
def reconcile_installations() -> int:
    """Hourly (beat): queue this hour's share of the installations (one task each, spread over the hour), so
    every installation is reconciled once a day; see services.reconcile."""
    from apps.integrations.github import GitHubAppNotConfigured
    from apps.integrations.services.reconcile import installations_reconcile_due

    try:
        return installations_reconcile_due()
    except GitHubAppNotConfigured:
        logger.info("GitHub App not configured; skipping reconciliation")
        return 0


@shared_task(bind=True, max_retries=None, acks_late=True)
def reconcile_installation(self: Task[Any, Any], installation_id: int) -> dict[str, Any]:
    """One installation made equal to GitHub's, in its own transaction. A rate limit re-schedules it for the
    reset (at most an hour away); any other GitHub error is recorded on the installation by the service."""
    from dataclasses import asdict

    from apps.integrations.services.reconcile import installation_reconcile
    from github_app import RateLimited

    try:
        return asdict(installation_reconcile(installation_id=installation_id))
    except RateLimited as exc:
        if self.request.is_eager:
            logger.warning("installation %s not reconciled (rate limit); tomorrow's run tries again", installation_id)
            return {"rate_limited": True}
        countdown = min(max(exc.retry_at - time.time(), 1.0), 3600.0)
        raise self.retry(countdown=countdown, exc=exc) from exc


@shared_task(bind=True, max_retries=None, acks_late=True)
def import_repository(
    self: Task[Any, Any], tracked_repository_id: int, claim: str = "", interactive: bool = False
) -> str:
    """Queue ``imports`` (see ``CELERY_TASK_ROUTES``), or ``interactive`` for a Import now catch-up: one turn of a
    repository's import (``IMPORT_PAGES_PER_TURN`` pages), run by workers of their own so the ``webhooks`` queue
    keeps its latency (see the Procfile). The next turn is queued at the back with the import's claim, so other
    teams' imports and Import now run between two pages of a long one.

    A run that must wait for GitHub's rate-limit reset re-schedules itself for then instead of sleeping in the
    worker. In-process (no broker) nothing is re-scheduled: the row stays ``waiting`` until Import now.
    """
    from django.conf import settings

    from apps.integrations.services.import_run import tracked_repository_import
    from apps.integrations.services.tracking import import_enqueue

    pages = settings.IMPORT_PAGES_PER_TURN if work_in_turns() else None
    outcome = tracked_repository_import(tracked_repository_id=tracked_repository_id, claim=claim, pages=pages)
    if outcome.status == "more":
        import_enqueue(tracked_repository_id=tracked_repository_id, claim=outcome.claim, interactive=interactive)
    elif outcome.countdown is not None and not self.request.is_eager:
        self.apply_async(args=(tracked_repository_id,), countdown=outcome.countdown)
    return outcome.status


@shared_task
def resume_imports() -> int:
    """Every few minutes (beat): imports whose rate-limit pause is over, or whose worker died, are queued again."""
    from apps.integrations.services.tracking import tracked_repositories_resume

    return tracked_repositories_resume()


@shared_task(bind=True, max_retries=None, acks_late=True)
def compute_deployment_changes(self: Task[Any, Any], deployment_id: int) -> str:
    """The pull requests a production deployment shipped (services.deployment_changes). A rate limit re-schedules it
    for the reset, as an import waits; any other GitHub error (the client already retried what is transient, a 404
    or 403 will not heal by retrying) leaves the deployment's changes unknown, shown as such, and is logged."""
    from apps.integrations.services.deployment_changes import deployment_changes_compute
    from github_app import GitHubError, RateLimited

    try:
        return deployment_changes_compute(deployment_id=deployment_id)
    except RateLimited as exc:
        if self.request.is_eager:
            logger.warning("changes of deployment %s not computed (rate limit)", deployment_id)
            return "rate limited"
        countdown = min(max(exc.retry_at - time.time(), 1.0), 3600.0)
        raise self.retry(countdown=countdown, exc=exc) from exc
    except GitHubError as exc:
        logger.warning("changes of deployment %s not computed: %s", deployment_id, type(exc).__name__)
        return "github error"
