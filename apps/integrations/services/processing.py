"""Processing one stored delivery: claim it, route it through the dispatch table, record the outcome.

The claim, the handler's writes and the final status commit together, so a worker that dies half-way
leaves the delivery pending (the sweeper queues it again) and never half-applied. On PostgreSQL the claim
is ``SELECT … FOR UPDATE SKIP LOCKED``: a second worker given the same delivery moves on at once.

``deliveries_drain`` (woken by the web processes, see ``services.queueing``) claims the pending deliveries in
batches and commits a batch once: the claim, every handler's writes and the statuses. The PR events' handlers return
the change their delivery says, and the batch's changes are written together, in one call of the one write path of PR
data (``pull_requests_write``, which the history import calls too). Any error rolls the batch back and its
deliveries go through ``delivery_process`` one by one, where a handler bug fails its own delivery only and a
transient error counts the attempt and asks for a retry with backoff.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.integrations.handlers import HANDLERS, DeliveryIgnored
from apps.integrations.handlers.pull_requests import CHANGE_EVENTS, tracking_memoized
from apps.integrations.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryQuerySet
from apps.integrations.prometheus import delivery_outcome, rate_limit_wait
from apps.metrics.services import PullRequestChange, pull_requests_write
from config.log_context import bound_context, log_context, log_context_bind
from github_app import RateLimited, ServerError, TransportError, parse_event

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """A transient failure (database, GitHub 5xx, network, rate limit): try the delivery again later."""

    def __init__(self, countdown: float, reason: str) -> None:
        super().__init__(reason)
        self.countdown = countdown


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, IntegrityError):
        return False
    return isinstance(exc, DatabaseError | ServerError | TransportError | RateLimited)


def retry_countdown(*, attempts: int, exc: BaseException, now: float | None = None) -> float:
    """Seconds to wait before the next attempt: GitHub's own moment for a rate limit, else capped
    exponential backoff with jitter (5 s, 10 s, 20 s … at most 10 minutes)."""
    if isinstance(exc, RateLimited):
        return max(1.0, exc.retry_at - (now if now is not None else time.time()))
    base = min(600.0, 5.0 * 2.0 ** max(0, attempts - 1))
    return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not security


def _claim(delivery_pk: int) -> WebhookDelivery | None:
    """The pending delivery, locked, with its body (``with_payload``: one query for both)."""
    pending = WebhookDelivery.objects.filter(pk=delivery_pk, status=DeliveryStatus.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        return pending.with_payload().select_for_update(skip_locked=True, of=("self",)).first()
    # SQLite: the conditional UPDATE takes the database's write lock; a second worker finds nothing pending.
    if not pending.update(status=DeliveryStatus.PROCESSING):
        return None
    return WebhookDelivery.objects.with_payload().get(pk=delivery_pk)


def _dispatch(delivery: WebhookDelivery) -> tuple[str, str, PullRequestChange | None]:
    """The delivery's status and reason, and the change of PR data its handler returned (written by the caller)."""
    handler = HANDLERS.get(delivery.event)
    if handler is None:
        return DeliveryStatus.IGNORED, f"no handler for {delivery.event} events", None
    body = delivery.payload_stored()
    if body is None:
        return DeliveryStatus.FAILED, "the payload was pruned before it was processed", None
    payload = orjson.loads(body)
    repository = payload.get("repository") if isinstance(payload, dict) else None
    log_context_bind(repository=repository.get("full_name") if isinstance(repository, dict) else None)
    event = parse_event(delivery.event, delivery.delivery_id, payload)
    try:
        change = handler(event, delivery)
    except DeliveryIgnored as exc:
        return DeliveryStatus.IGNORED, str(exc), None
    return DeliveryStatus.PROCESSED, "", change


def delivery_log_context(delivery: WebhookDelivery) -> log_context:
    """Bind what the delivery is about for every line logged while it is handled (``config.log_context``):
    GitHub's delivery id, never the row id."""
    return log_context(
        delivery_id=delivery.delivery_id,
        event=delivery.event,
        action=delivery.action,
        installation_id=delivery.installation_id,
    )


def _outcome_recorded(
    delivery: WebhookDelivery, status: str, reason: str, context: dict[str, Any] | None = None
) -> None:
    """Processing of the delivery is committed: one line an operator finds with ``grep <delivery id>`` in the
    worker's log (with the web process's access line, the delivery's whole path), and the outcome and lag counted.
    ``context``: what was bound while it was handled (the repository is learnt from the payload then)."""
    with delivery_log_context(delivery), log_context(**(context or {})):
        level = logging.ERROR if status == DeliveryStatus.FAILED else logging.INFO
        logger.log(level, "delivery %s%s", status, f": {reason}" if reason else "")
    delivery_outcome(event=delivery.event, outcome=status, received_at=delivery.received_at)


def _run_handler(delivery: WebhookDelivery) -> tuple[str, str]:
    """A handler bug or a malformed payload fails this delivery only; transient errors propagate."""
    try:
        with transaction.atomic():
            status, reason, change = _dispatch(delivery)
            if change is not None:
                pull_requests_write(changes=[change])
            return status, reason
    except Exception as exc:
        if _is_transient(exc):
            raise
        logger.exception("webhook delivery failed")
        return DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]


def delivery_process(*, delivery_pk: int) -> str | None:
    """Process one delivery; returns its final status, or None when it is not pending (done, or taken).

    Raises ``RetryLater`` for a transient failure while attempts remain.
    """
    try:
        with transaction.atomic():
            delivery = _claim(delivery_pk)
            if delivery is None:
                return None
            with delivery_log_context(delivery):
                status, reason = _run_handler(delivery)
                context = bound_context()
            delivery.status, delivery.reason = status, reason
            delivery.attempts += 1
            delivery.processed_at = timezone.now()
            delivery.save(update_fields=["status", "reason", "attempts", "processed_at"])
    except Exception as exc:
        if not _is_transient(exc):
            raise
        return _after_transient_failure(delivery_pk, exc)
    _outcome_recorded(delivery, status, reason, context)
    return status


def _after_transient_failure(delivery_pk: int, exc: BaseException) -> str:
    """Count the attempt; give up as failed after ``WEBHOOK_MAX_ATTEMPTS``, else ask to be retried."""
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    delivery = WebhookDelivery.objects.get(pk=delivery_pk)
    delivery.attempts += 1
    delivery.reason = reason
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["status", "reason", "attempts", "processed_at"])
        _outcome_recorded(delivery, DeliveryStatus.FAILED, f"after {delivery.attempts} attempts: {reason}")
        return DeliveryStatus.FAILED
    delivery.save(update_fields=["reason", "attempts"])
    countdown = retry_countdown(attempts=delivery.attempts, exc=exc)
    delivery_outcome(event=delivery.event, outcome="retry", received_at=None)
    if isinstance(exc, RateLimited):
        rate_limit_wait(where="delivery", seconds=countdown)
    raise RetryLater(countdown, reason) from exc


DRAIN_BATCH = 50  # deliveries claimed and committed together


def deliveries_drain(*, limit: int = 1000) -> tuple[int, bool]:
    """Process pending deliveries not yet attempted, oldest first, up to ``limit``; returns how many were
    processed and whether some may be left (then the caller queues another drain, so a busy queue never keeps
    one task forever). Deliveries waiting for a retry (``attempts > 0``) are left to their countdown task and
    the sweeper."""
    done = 0
    while done < limit:
        batch = _drain_batch() if connection.features.has_select_for_update_skip_locked else _drain_one_by_one()
        done += batch
        if batch == 0:
            return done, False
    return done, True


def _pending_fresh() -> WebhookDeliveryQuerySet:
    return WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, attempts=0).order_by("received_at")


def _drain_batch() -> int:
    """One transaction for up to ``DRAIN_BATCH`` deliveries, handlers run without a savepoint each (two statements
    saved per delivery). Any exception rolls the whole batch back and sends it through one delivery at a time,
    where a handler bug fails its own delivery only and a transient error counts an attempt and retries."""
    claimed: list[int] = []
    try:
        with transaction.atomic():
            deliveries = list(
                _pending_fresh().with_payload().select_for_update(skip_locked=True, of=("self",))[:DRAIN_BATCH]
            )
            claimed = [d.pk for d in deliveries]
            outcomes: dict[tuple[str, str], list[int]] = {}
            contexts: dict[int, dict[str, Any]] = {}
            changes: list[PullRequestChange] = []
            with tracking_memoized():
                for delivery in deliveries:
                    if delivery.event not in CHANGE_EVENTS:
                        # Its handler may write PR rows itself (a repository rename): the changes of the deliveries
                        # before it are written first, so writes keep the order of the deliveries.
                        pull_requests_write(changes=changes)
                        changes = []
                    with delivery_log_context(delivery):
                        status, reason, change = _dispatch(delivery)
                        outcomes.setdefault((status, reason), []).append(delivery.pk)
                        contexts[delivery.pk] = bound_context()
                    if change is not None:
                        changes.append(change)
                pull_requests_write(changes=changes)  # the PR data of the batch, in one write
            now = timezone.now()  # the batch's work is done; it commits next
            for (status, reason), pks in outcomes.items():  # mostly one UPDATE: every delivery "processed"
                WebhookDelivery.objects.filter(pk__in=pks).update(
                    status=status, reason=reason, attempts=F("attempts") + 1, processed_at=now
                )
        ends = {pk: outcome for outcome, pks in outcomes.items() for pk in pks}
        for delivery in deliveries:  # committed: told once, never for a batch rolled back and redone one by one
            _outcome_recorded(delivery, *ends[delivery.pk], contexts[delivery.pk])
    except Exception as exc:
        if not claimed:
            if _is_transient(exc):
                return 0  # the claim itself failed (database away): the sweeper comes back for them
            raise
        logger.info("a drain batch of %s deliveries goes one by one after %s", len(claimed), type(exc).__name__)
        _process_one_by_one(claimed)
    return len(claimed)


def _drain_one_by_one() -> int:
    """Without SKIP LOCKED (SQLite) each delivery is claimed on its own by ``delivery_process``."""
    pks = list(_pending_fresh().values_list("pk", flat=True)[:DRAIN_BATCH])
    _process_one_by_one(pks)
    return len(pks)


def _process_one_by_one(pks: list[int]) -> None:
    from apps.integrations.services.queueing import delivery_retry_enqueue

    for pk in pks:
        try:
            delivery_process(delivery_pk=pk)
        except RetryLater as exc:
            delivery_retry_enqueue(delivery_pk=pk, countdown=exc.countdown)
