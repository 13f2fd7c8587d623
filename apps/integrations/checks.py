"""System checks: the App must never start with an open webhook door.

A missing webhook secret is an Error, so ``manage.py check``, ``runserver``, gunicorn (through
``manage.py check --deploy`` in the Procfile's release step) and the Celery workers all refuse to start.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

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
