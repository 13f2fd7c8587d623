"""The Celery app. Queues: ``webhooks`` (deliveries, latency-sensitive), ``backfill`` (history imports),
``default`` (everything else). Workers refuse to start when the system checks fail."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tformance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _check_configuration(**kwargs: Any) -> None:
    from config.startup import run_system_checks

    run_system_checks()
