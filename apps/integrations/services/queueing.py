"""Queueing work on the broker without ever losing it."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

logger = logging.getLogger(__name__)


def task_enqueue(task: Task, *args: Any, what: str) -> bool:
    """Queue ``task(*args)``. A broker that is down is logged and answered False, never raised: the work is
    already recorded in the database, and a periodic job (the delivery sweeper, the backfill resumer) queues it
    again once the broker is back."""
    try:
        task.apply_async(args=list(args))
    except Exception:
        logger.warning("could not queue %s; a periodic job will queue it again", what, exc_info=True)
        return False
    return True
