"""The one home of queueing work on the broker: how a stored delivery reaches a worker, and how anything else
(a batch for the sweeper, a history import) is queued without ever being lost.

A stored webhook delivery is not published on its own. Publishing costs more Python per message than storing the
delivery (kombu builds the message, reads its configuration, talks to Redis), and a sync gunicorn worker never has
two deliveries at once to share a message. So the request only *pokes* this process's wake-up thread (setting a
flag), and the thread sends at most one ``drain_deliveries`` message per ``WAKE_INTERVAL`` whatever the number of
deliveries stored meanwhile. The worker that runs it claims every pending delivery with ``SELECT … FOR UPDATE SKIP
LOCKED`` (``services.processing.deliveries_drain``), so a wake-up also processes deliveries whose own web process
died between its commit and its wake-up, or whose wake-up the broker lost; the sweeper (beat, every minute) stays
the last resort.

In the embedded default (no broker, eager tasks) nothing is queued: the delivery is processed on commit, before the
response returns. A history import or a recompute is too long for that: it runs on this process's one
background thread (``background``), so the page that started it answers at once and its progress is seen live.

Long work is queued fairly between teams by ``config.queues`` (``task_enqueue_long``), which the metrics core uses
too; its names are re-exported here.

Publishing always goes through a connection made from the current ``broker_url``, never Celery's pools, so tests
switch brokers by setting ``broker_url`` and ``task_always_eager`` alone (``conftest.use_broker``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kombu import Connection

from config.celery import app
from config.queues import background as background
from config.queues import in_background as in_background
from config.queues import task_enqueue as task_enqueue
from config.queues import task_enqueue_long as task_enqueue_long
from config.queues import work_in_turns as work_in_turns

logger = logging.getLogger(__name__)

MAX_BATCH = 100  # delivery ids in one process_deliveries message (sweeper, reprocessing)
WAKE_INTERVAL = 0.05  # seconds: at most 20 wake-up messages a second per web process, however busy


def deliveries_enqueue(*, pks: list[int]) -> bool:
    """Queue processing of these deliveries, up to ``MAX_BATCH`` a message. A broker that is down leaves them
    pending for the sweeper: never lost."""
    from apps.integrations.tasks import process_deliveries

    queued = True
    for start in range(0, len(pks), MAX_BATCH):
        chunk = pks[start : start + MAX_BATCH]
        queued &= task_enqueue(process_deliveries, chunk, what=f"{len(chunk)} webhook deliveries")
    return queued


def delivery_committed(delivery_pk: int) -> None:
    """A new delivery is committed: in-process (no broker) it is processed now, before the response; with a
    broker the wake-up thread is poked, so the request never waits on the broker."""
    if app.conf.task_always_eager:
        from apps.integrations.tasks import process_delivery

        task_enqueue(process_delivery, delivery_pk, what=f"webhook delivery pk={delivery_pk}")
    else:
        wakeups.poke()


class Wakeups:
    """A thread per process that turns any number of pokes into at most one ``send()`` per ``interval``.

    Started by the first poke, so only a process that stores deliveries has one (a gunicorn worker, which loads the
    application after the fork), and closed at exit with the wake-up it still owes sent. A failing ``send`` is
    logged and never stops the thread: the deliveries it was for are pending in the database, for the next wake-up
    or the sweeper.
    """

    def __init__(self, send: Callable[[], object], interval: float) -> None:
        self._send, self._interval = send, interval
        self._owed = False
        self._closing = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._sending = threading.Lock()
        self._starting = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._starting:  # two request threads poking a fresh process start one thread
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="delivery-wakeups", daemon=True)
                self._thread.start()

    def poke(self) -> None:
        """Owe one wake-up; cheap enough for the request path (a flag and an event)."""
        self._owed = True
        self._wake.set()
        if self._thread is None:
            self.start()

    def flush(self) -> None:
        """Send the wake-up owed, if any, now; returns once none is owed or in flight (tests switching brokers)."""
        with self._sending:
            if not self._owed:
                return
            self._owed = False
            try:
                self._send()
            except Exception:
                logger.warning("could not send a delivery wake-up; the next one or the sweeper drains", exc_info=True)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread after it has sent what it owes (process exit)."""
        thread = self._thread
        if thread is None:
            return
        self._closing = True
        self._stop.set()
        self._wake.set()
        thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self.flush()
            if self._closing:
                return
            self._stop.wait(self._interval)  # pokes meanwhile become one wake-up after the pause


class _DrainSender:
    """Publishes ``drain_deliveries`` on one connection kept by the wake-up thread (reopened after an error, or
    when ``broker_url`` changes)."""

    def __init__(self) -> None:
        self._connection: Connection | None = None
        self._url = ""

    def __call__(self) -> None:
        from apps.integrations.tasks import drain_deliveries

        if app.conf.task_always_eager:  # in-process, deliveries were processed on commit already
            return
        url = app.conf.broker_url
        if self._connection is None or self._url != url:
            self.close()
            self._connection, self._url = app.connection_for_write(url), url
        try:
            drain_deliveries.apply_async(connection=self._connection)  # type: ignore[call-arg]  # Celery option
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
            self._connection = None


_drain_sender = _DrainSender()
wakeups = Wakeups(_drain_sender, WAKE_INTERVAL)


def queueing_stop() -> None:
    """At process exit: the wake-up still owed is sent, then the thread and its connection close."""
    wakeups.close()
    _drain_sender.close()


# What the integrations services queue, each through one function here: no service module imports a tasks module.


def delivery_retry_enqueue(*, delivery_pk: int, countdown: float) -> bool:
    """Queue another attempt at a delivery after a transient failure, once its backoff has passed."""
    from apps.integrations.tasks import process_delivery

    return task_enqueue(
        process_delivery, delivery_pk, countdown=countdown, what=f"a retry of delivery pk={delivery_pk}"
    )


def import_turn_enqueue(*, tracked_repository_id: int, claim: str, interactive: bool, lane: int | None) -> bool:
    """Queue one turn of a repository's history import, in its team's ``lane`` (see ``task_enqueue_long``)."""
    from apps.integrations.tasks import import_repository

    return task_enqueue_long(
        import_repository,
        tracked_repository_id,
        claim,
        interactive,
        what=f"import of tracked repository {tracked_repository_id}",
        lane=lane,
        interactive=interactive,
    )


def reconcile_enqueue(*, installation_id: int, countdown: float | None) -> bool:
    """Queue the reconciliation of one installation with GitHub, ``countdown`` seconds from now."""
    from apps.integrations.tasks import reconcile_installation

    return task_enqueue(
        reconcile_installation, installation_id, countdown=countdown,
        what=f"reconciliation of installation {installation_id}",
    )  # fmt: skip


def deployment_changes_enqueue(*, deployment_id: int) -> None:
    """Queue the computation of a production deployment's changes once the current transaction commits (the task
    reads the success this transaction wrote; outside a transaction it is queued at once)."""
    from django.db import transaction

    from apps.integrations.tasks import compute_deployment_changes

    transaction.on_commit(
        lambda: task_enqueue(compute_deployment_changes, deployment_id, what=f"changes of deployment {deployment_id}")
    )
