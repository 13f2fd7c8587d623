"""WSGI entry point (gunicorn config.wsgi). Stops the process when the system checks fail."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.startup import run_system_checks  # noqa: E402

run_system_checks()
