"""WSGI entry point (gunicorn config.wsgi). Stops the process when the system checks fail.

GitHub's webhook is served by a handler of its own with no middleware (``config.webhook_route``); every other path
goes through Django's full stack.

Once the application is loaded and checked, everything it allocated so far (modules, models, URL patterns: most
of its objects) lives as long as the process. ``gc.freeze()`` moves those objects out of the collector's view, so
a full collection walks only what requests allocate since, instead of every long-lived object each time: those
collections were the largest pause a webhook delivery saw in the middle of a request (``gc.callbacks`` shows them).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

from config.webhook_route import with_webhook_route

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = with_webhook_route(get_wsgi_application())

from config.startup import run_system_checks  # noqa: E402

run_system_checks()
gc.collect()
gc.freeze()
