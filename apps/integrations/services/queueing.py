"""The one home of queueing work on the broker: how a stored delivery reaches a worker, and how anything else
(a batch for the sweeper, a history import) is queued without ever being lost.

A stored webhook delivery is not published on its own. Publishing costs about half a millisecond of Python per
message (kombu builds the message, reads its configuration, talks to Redis), more than storing the delivery, and a
sync gunicorn worker never has two deliveries at once to share a message. So the request only *pokes* this
process's wake-up thread (setting a flag), and the thread sends at most one ``drain_deliveries`` message per
``WAKE_INTERVAL`` whatever the number of deliveries stored meanwhile. The worker that runs it claims every pending
delivery with ``SELECT … FOR UPDATE SKIP LOCKED`` (``services.processing.deliveries_drain``), so a wake-up also
processes deliveries whose own web process died between its commit and its wake-up, or whose wake-up the broker
lost; the sweeper (beat, every minute) stays the last resort.

In the embedded default (no broker, eager tasks) nothing is queued: the delivery is processed on commit, before the
response returns (DESIGN.md §4). A history import is too long for that: it runs on this process's one background
thread (``background``), so the page that started it answers at once and its progress is seen live.

Publishing always goes through a connection made from the current ``broker_url``, never Celery's pools, so tests
switch brokers by setting ``broker_url`` and ``task_always_eager`` alone (``conftest.use_broker``).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import Task
from kombu import Connection

from config.celery import app

logger = logging.getLogger(__name__)

MAX_BATCH = 100  # delivery ids in one process_deliveries message (sweeper, reprocessing)
BACKGROUND_ATTEMPTS = 5  # a background task that met a busy database is tried this many times in all
BACKGROUND_RETRY_PAUSE = 0.5  # seconds, times the attempt number
WAKE_INTERVAL = 0.05  # seconds: at most 20 wake-up messages a second per web process, however busy


def task_enqueue(task: Task, *args: Any, what: str, countdown: float | None = None) -> bool:
    """Queue ``task(*args)``. A broker that is down is logged and answered False, never raised: the work is
    already recorded in the database, and a periodic job (the delivery sweeper, the backfill resumer) queues it
    again once the broker is back. Eager (no broker), the task runs here and now."""
    options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
    try:
        if app.conf.task_always_eager:
            task.apply_async(args=args, **options)
        else:
            with app.connection_for_write() as connection:
                task.apply_async(args=args, connection=connection, **options)  # type: ignore[call-arg]  # Celery option
    except Exception:
        logger.warning("could not queue %s; a periodic job will queue it again", what, exc_info=True)
        return False
    return True


class BackgroundTasks:
    """Eager tasks run one after another on a daemon thread of this process: the embedded default's worker.

    With no broker a long task (a repository's history import) would otherwise run inside the request that asked
    for it. Only used without a broker; the work is recorded in the database before it is submitted (the row is
    ``queued``), so a process that exits mid-task leaves it for Sync now or the resumer, as a dead worker would.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._queue: queue.Queue[tuple[Task, tuple[Any, ...], str]] = queue.Queue()
        self._starting = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, task: Task, *args: Any, what: str) -> None:
        self._queue.put((task, args, what))
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="background-tasks", daemon=True)
                self._thread.start()

    def join(self) -> None:
        """Return once every submitted task has run (tests, and a clean exit)."""
        self._queue.join()

    def _run(self) -> None:
        from django.db import connections

        while True:
            task, args, what = self._queue.get()
            try:
                self._apply(task, args, what)
            finally:
                connections.close_all()  # this thread's connections; the next task opens its own
                self._queue.task_done()

    @staticmethod
    def _apply(task: Task, args: tuple[Any, ...], what: str) -> None:
        """Run the task; a database that is busy (SQLite: another thread holds the write lock) is tried again after a
        pause, as a worker's task would be retried, instead of leaving the import queued until Sync now."""
        from django.db import OperationalError, connections

        for attempt in range(1, BACKGROUND_ATTEMPTS + 1):
            result = task.apply(args=args)
            error = result.result if result.failed() else None
            if error is None:
                return
            if not isinstance(error, OperationalError) or attempt == BACKGROUND_ATTEMPTS:
                logger.error("background %s failed: %r", what, error)
                return
            logger.warning("background %s: %s; trying again", what, error)
            connections.close_all()
            time.sleep(BACKGROUND_RETRY_PAUSE * attempt)


background = BackgroundTasks()


def task_enqueue_long(task: Task, *args: Any, what: str) -> bool:
    """Queue a task that may run for minutes: on the broker when there is one, else on this process's background
    thread (``settings.BACKFILL_IN_BACKGROUND``, on by default) so the request answers at once."""
    from django.conf import settings

    if app.conf.task_always_eager and settings.BACKFILL_IN_BACKGROUND:
        background.submit(task, *args, what=what)
        return True
    return task_enqueue(task, *args, what=what)


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

    Started by ``IntegrationsConfig.ready()`` (or by the first poke, in a process forked after it), closed at exit
    with the wake-up it still owes sent. A failing ``send`` is logged and never stops the thread: the deliveries it
    was for are pending in the database, for the next wake-up or the sweeper.
    """

    def __init__(self, send: Callable[[], object], interval: float) -> None:
        self._send, self._interval = send, interval
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked child has no thread, and fresh locks

    def _reset(self) -> None:
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


def queueing_start() -> None:
    """Called by ``IntegrationsConfig.ready()``: with a broker, this process's wake-up thread runs from the start."""
    if not app.conf.task_always_eager:
        wakeups.start()


def queueing_stop() -> None:
    """At process exit: the wake-up still owed is sent, then the thread and its connection close."""
    wakeups.close()
    _drain_sender.close()
