"""Celery tasks of the GitHub integration. Each takes ids, calls one service and owns its retry policy."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from apps.integrations.services.deliveries import deliveries_sweep_pending, delivery_payloads_prune
from apps.integrations.services.processing import RetryLater, deliveries_drain, delivery_process
from apps.integrations.services.queueing import task_enqueue
from apps.integrations.services.recovery import deliveries_recover_failed

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def process_delivery(self: Task, delivery_pk: int) -> str | None:
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
                task_enqueue(process_delivery, pk, countdown=exc.countdown, what=f"a retry of delivery pk={pk}")


@shared_task
def sweep_pending_deliveries() -> int:
    return deliveries_sweep_pending()


@shared_task
def recover_failed_deliveries() -> int:
    return deliveries_recover_failed()


@shared_task
def prune_delivery_payloads() -> int:
    return delivery_payloads_prune()


@shared_task
def reconcile_installations() -> dict:
    """Daily (beat): installations and their repositories made equal to GitHub's; see services.reconcile."""
    from dataclasses import asdict

    from apps.integrations.services.reconcile import installations_reconcile

    return asdict(installations_reconcile())


@shared_task(bind=True, max_retries=None, acks_late=True)
def backfill_repository(self: Task, tracked_repository_id: int) -> str:
    """Queue ``backfill`` (see ``CELERY_TASK_ROUTES``): one repository's import, run by workers of its own so the
    ``webhooks`` queue keeps its latency (start them separately: ``celery -A config worker -Q webhooks`` and
    ``celery -A config worker -Q backfill,default``).

    A run that must wait for GitHub's rate-limit reset re-schedules itself for then instead of sleeping in the
    worker. In-process (no broker) nothing is re-scheduled: the row stays ``waiting`` until Sync now.
    """
    from apps.integrations.services.backfill import tracked_repository_backfill

    outcome = tracked_repository_backfill(tracked_repository_id=tracked_repository_id)
    if outcome.countdown is not None and not self.request.is_eager:
        self.apply_async(args=(tracked_repository_id,), countdown=outcome.countdown)
    return outcome.status


@shared_task
def resume_backfills() -> int:
    """Every few minutes (beat): imports whose rate-limit pause is over, or whose worker died, are queued again."""
    from apps.integrations.services.sync import tracked_repositories_resume

    return tracked_repositories_resume()
