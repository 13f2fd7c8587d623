"""Independent read-only panels of one page, each read on its own database connection at the same time.

A year's dashboard is a handful of statements that each aggregate 100,000 to 300,000 index entries (the summary's
percentiles, reviewer load, the weekly medians, the table) and that do not depend on one another. PostgreSQL runs
one statement on one core, and an ordered-set aggregate (``percentile_cont``) cannot be split across its parallel
workers, so one after another they leave every other core of the database idle while the page waits for their sum.
Run side by side, the page waits for the longest chain instead.

They run serially instead when a second connection could not see what the caller sees or would not help:
- inside a transaction (a test's, or a view under ``atomic``): another connection would not see its writes;
- on SQLite, the embedded default, one process and one file;
- when ``PARALLEL_READ_CONNECTIONS`` is 0, and inside a parallel read itself (no read waits on its own pool).

Each read runs as Django runs a request: stale or broken connections are closed before and after it (the same
``close_old_connections`` the request signals call), so ``CONN_MAX_AGE`` and health checks apply to the pool's
connections too. The caller's time zone and language go with each read; its other thread-locals do not.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone, translation

_inside_read: contextvars.ContextVar[bool] = contextvars.ContextVar("inside_parallel_read", default=False)
_pool: ThreadPoolExecutor | None = None
_pool_threads = 0
_pool_lock = threading.Lock()


def read_in_parallel(reads: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each read's result by name. A read's exception is raised here, as if it had run in the caller's thread.

    The first read runs in the caller's thread, on its own connection, while the pool runs the others: put the
    longest first. The caller would otherwise only wait.
    """
    if not _parallel_possible(len(reads)):
        return {name: read() for name, read in reads.items()}
    (first, read_first), *others = reads.items()
    pool = _reader_pool()
    zone, language = timezone.get_current_timezone(), translation.get_language()
    futures = {
        name: pool.submit(contextvars.copy_context().run, _run_read, read, zone, language) for name, read in others
    }
    results = {first: read_first()}
    return results | {name: future.result() for name, future in futures.items()}


def _parallel_possible(reads: int) -> bool:
    return (
        reads > 1
        and settings.PARALLEL_READ_CONNECTIONS > 0
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not _inside_read.get()
    )


def _run_read(read: Callable[[], Any], zone: Any, language: str | None) -> Any:
    _inside_read.set(True)  # this copy of the caller's context only
    close_old_connections()
    try:
        with timezone.override(zone), translation.override(language):
            return read()
    finally:
        close_old_connections()


def _reader_pool() -> ThreadPoolExecutor:
    """One pool per process, made on first use (in a gunicorn worker, after the fork: the application is not
    preloaded); each of its threads keeps its connection between pages, as a request thread does (``CONN_MAX_AGE``)."""
    global _pool, _pool_threads
    with _pool_lock:
        if _pool is None:
            _pool_threads = settings.PARALLEL_READ_CONNECTIONS
            _pool = ThreadPoolExecutor(_pool_threads, thread_name_prefix="parallel-read")
        return _pool


def close_connections() -> None:
    """Close the pool, and each of its threads' connections (a test run does, before it drops its database; a
    server's pool otherwise keeps them for its life, as its request threads do). The next read makes a new pool."""
    global _pool
    with _pool_lock:
        pool, threads, _pool = _pool, _pool_threads, None
    if pool is None:
        return
    all_busy = threading.Barrier(threads)  # each thread takes exactly one of the closes: none can take two

    def close() -> None:
        connection.close()
        all_busy.wait(timeout=30)

    for closing in [pool.submit(close) for _ in range(threads)]:
        closing.result()
    pool.shutdown()
