"""Refuse to serve or work with a broken configuration.

``runserver`` and ``manage.py check`` run Django's system checks by themselves; gunicorn and Celery
workers do not. Both entry points call this, so a missing webhook secret stops every process type
with the same message instead of leaving an open door.
"""

from __future__ import annotations

import io

from django.core.management import call_command


def run_system_checks() -> None:
    """Raise ``SystemCheckError`` (listing what to set) when any system check reports an error."""
    call_command("check", fail_level="ERROR", stdout=io.StringIO())
