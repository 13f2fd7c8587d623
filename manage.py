#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A missing setting (SECRET_KEY, ALLOWED_HOSTS...) is the operator's to fix: say which, in one line.
        sys.exit(f"tformance: {exc}")


if __name__ == "__main__":
    main()
