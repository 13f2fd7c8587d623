"""Publishing stored deliveries to the broker off the request path, many per message under load.

A Celery publish costs about half a millisecond of Python per message (kombu builds a Redis client, declares
the queue, reads its configuration), more than storing the delivery itself. The webhook view therefore only
hands the stored delivery's id to this process's publisher thread, which sends whatever has gathered in one
``process_deliveries`` message: one id when GitHub is quiet, dozens during a burst.

Nothing can be lost here: the delivery is committed before its id arrives. If the process dies first, or the
broker is down, the delivery stays pending and the sweeper queues it a minute later.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

MAX_BATCH = 100


class DeliveryPublisher:
    """A background thread per process (started lazily, so after gunicorn forks) that publishes batches."""

    def __init__(self, publish: Callable[[list[int]], object]) -> None:
        self._publish = publish
        self._pending: list[int] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._publishing = threading.Lock()  # one flush at a time, so flush() also waits for one in flight
        self._owner_pid: int | None = None

    def submit(self, delivery_pk: int) -> None:
        with self._lock:
            self._pending.append(delivery_pk)
            if self._owner_pid != os.getpid():  # first use in this process (or a forked child)
                self._owner_pid = os.getpid()
                threading.Thread(target=self._run, name="delivery-publisher", daemon=True).start()
        self._wake.set()

    def flush(self) -> None:
        """Publish everything gathered so far; returns once nothing is pending or in flight (process exit,
        tests that switch brokers)."""
        with self._publishing:
            while batch := self._take():
                self._publish(batch)

    def _take(self) -> list[int]:
        with self._lock:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            return batch

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # never let the thread die: those deliveries stay pending for the sweeper
                logger.exception("delivery publisher failed; the sweeper will queue what it held")
