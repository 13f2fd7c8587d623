"""Queueing work so that no team's long job holds another team's short one.

Long work runs in turns: an import one page per task, a recompute one batch of PRs per task, each turn queueing the
next at the back, so other teams' turns come between two of a long job's. What a person waits for on a page (a
Import now catch-up, the recompute after Mark as bot) goes to the ``interactive`` queue, which the import workers
read before ``default`` and ``imports`` (``-Q interactive,default,imports`` with the Redis transport's
``queue_order_strategy = "priority"``: the first queue that has a message is read, not round-robin).

Without a broker (the embedded default) the same turns run on this process's one background thread
(``background``), which keeps one lane per team and takes one turn of each in turn, interactive lanes first; the
request that asked for the work answers at once.

Publishing goes through a connection made from the current ``broker_url``, never Celery's pools, so tests switch
brokers by setting ``broker_url`` and ``task_always_eager`` alone (``conftest.use_broker``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Hashable
from typing import Any

from celery import Task

from config.celery import app

logger = logging.getLogger(__name__)

BACKGROUND_ATTEMPTS = 5  # a background task that met a busy database is tried this many times in all
BACKGROUND_RETRY_PAUSE = 0.5  # seconds, times the attempt number
INTERACTIVE_QUEUE = "interactive"  # what a person waits for on a page: Import now, a recompute after Mark as bot


def task_enqueue(
    task: Task[Any, Any], *args: Any, what: str, countdown: float | None = None, queue: str | None = None
) -> bool:
    """Queue ``task(*args)`` (on ``queue``, else where ``CELERY_TASK_ROUTES`` sends it). A broker that is down is
    logged and answered False, never raised: the work is already recorded in the database, and a periodic job (the
    delivery sweeper, the import resumer) queues it again once the broker is back. Eager (no broker), the task
    runs here and now."""
    options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
    if queue is not None:
        options["queue"] = queue
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
    ``queued``), so a process that exits mid-task leaves it for Import now or the resumer, as a dead worker would.

    Tasks wait in lanes, one per ``lane`` (a team): a thread takes the first task of the first lane, then moves
    that lane to the back, so a team whose import queues page after page shares the thread with every other team.
    Interactive lanes (Import now, recomputes) go before the others, and a second thread takes only those, so Import
    now never waits for the page an import is writing (as a second worker process would with a broker).
    """

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._lanes: dict[tuple[bool, Hashable], deque[tuple[Task[Any, Any], tuple[Any, ...], str]]] = {}
        self._unfinished = 0
        self._threads: list[threading.Thread] = []

    def submit(
        self, task: Task[Any, Any], *args: Any, what: str, lane: Hashable = None, interactive: bool = False
    ) -> None:
        with self._ready:
            self._lanes.setdefault((not interactive, lane), deque()).append((task, args, what))
            self._unfinished += 1
            self._ready.notify()
            if not self._threads:
                for name, interactive_only in (("background-tasks", False), ("background-interactive", True)):
                    thread = threading.Thread(target=self._run, args=(interactive_only,), name=name, daemon=True)
                    thread.start()
                    self._threads.append(thread)

    def join(self) -> None:
        """Return once every submitted task has run (tests, and a clean exit)."""
        with self._ready:
            self._ready.wait_for(lambda: self._unfinished == 0)

    def _next(self, interactive_only: bool) -> tuple[Task[Any, Any], tuple[Any, ...], str]:
        """The first task of the first lane (interactive lanes sort first); its lane goes to the back."""
        with self._ready:
            self._ready.wait_for(lambda: any(not interactive_only or not later for later, _ in self._lanes))
            key = min(self._lanes, key=lambda lane: lane[0])  # dicts keep order: the first of the most urgent
            lane = self._lanes.pop(key)
            item = lane.popleft()
            if lane:
                self._lanes[key] = lane
            return item

    def _run(self, interactive_only: bool) -> None:
        from django.db import connections

        while True:
            task, args, what = self._next(interactive_only)
            try:
                self._apply(task, args, what)
            finally:
                connections.close_all()  # this thread's connections; the next task opens its own
                with self._ready:
                    self._unfinished -= 1
                    self._ready.notify_all()

    @staticmethod
    def _apply(task: Task[Any, Any], args: tuple[Any, ...], what: str) -> None:
        """Run the task; a database that is busy (SQLite: another thread holds the write lock) is tried again after a
        pause, as a worker's task would be retried, instead of leaving the import queued until Import now."""
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


def task_enqueue_long(
    task: Task[Any, Any], *args: Any, what: str, lane: Hashable = None, interactive: bool = False
) -> bool:
    """Queue one turn of long work (an import's page, a recompute's batch): on the broker when there is one (the
    ``interactive`` queue when a person waits for it), else on this process's background thread
    (``settings.IMPORT_IN_BACKGROUND``, on by default) in the ``lane`` of its team, so the request answers at
    once."""
    if in_background():
        background.submit(task, *args, what=what, lane=lane, interactive=interactive)
        return True
    return task_enqueue(task, *args, what=what, queue=INTERACTIVE_QUEUE if interactive else None)


def in_background() -> bool:
    """Whether long work runs on this process's background thread (no broker), not on a worker."""
    from django.conf import settings

    return bool(app.conf.task_always_eager and settings.IMPORT_IN_BACKGROUND)


def work_in_turns() -> bool:
    """Whether long work is split into turns, each queued behind other teams' work: on a broker or the background
    thread. Eager inside the request (the tests' default), a task runs all its turns itself."""
    return not app.conf.task_always_eager or in_background()
