"""The Celery app. Queues: ``webhooks`` (deliveries, latency-sensitive), ``imports`` (history imports),
``default`` (everything else). Workers refuse to start when the system checks fail."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, worker_init, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tformance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _check_configuration(**kwargs: Any) -> None:
    from config.startup import run_system_checks

    run_system_checks()


@setup_logging.connect
def _use_django_logging(loglevel: int | str | None = None, **kwargs: Any) -> None:
    """Workers log through ``settings.LOGGING`` (the bound delivery/import context, ``LOG_FORMAT``) instead of
    Celery's own root handler, which would drop both. Celery's own lines keep the worker's ``--loglevel`` (its
    "ready" line is what supervisors and the drills wait for), whatever ``LOG_LEVEL`` says for the rest."""
    import logging
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger("celery").setLevel(loglevel)


@worker_process_shutdown.connect
def _metrics_process_dead(pid: int | None = None, **kwargs: Any) -> None:
    """A prefork child that exits leaves its metric files; its live gauges stop counting (prometheus multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
