"""System checks: the App must never start with an open webhook door.

A missing webhook secret is an Error, so ``manage.py check``, ``runserver``, gunicorn (through
``manage.py check --deploy`` in the Procfile's release step) and the Celery workers all refuse to start.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.checks import Error, Warning, register

from apps.integrations.github import webhook_secrets


@register()
def webhook_secret_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if webhook_secrets():
        return []
    return [
        Error(
            "No GitHub webhook secret is configured, so webhook signatures could not be verified.",
            hint="Set GITHUB_APP_WEBHOOK_SECRET to the App's webhook secret (several, comma-separated, "
            "while rotating it).",
            id="tformance.E001",
        )
    ]


@register()
def no_renamed_settings(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """The ``BACKFILL_*`` variables became ``IMPORT_*`` when "import" came to name every history import: an old name
    left in a deployment's environment would otherwise be ignored without a word, and its default used instead."""
    return [
        Warning(
            f"{name} is no longer read.",
            hint=f"Rename it to {name.replace('BACKFILL_', 'IMPORT_', 1)}.",
            id="tformance.W001",
        )
        for name in sorted(os.environ)
        if name.startswith("BACKFILL_")
    ]
