"""WSGI entry point (gunicorn config.wsgi). Stops the process when the system checks fail.

Once the application is loaded and checked, everything it allocated so far (modules, models, URL patterns) lives as
long as the process. ``gc.freeze()`` moves those objects out of the collector's view, so a full collection in the
middle of a request walks only what requests allocated since, not the whole start-up heap.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.startup import run_system_checks  # noqa: E402

run_system_checks()
gc.collect()
gc.freeze()
