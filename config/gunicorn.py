"""gunicorn settings the Procfile's ``web`` process loads (``-c config/gunicorn.py``); the command line sets the rest.

- The access log line of a webhook carries GitHub's delivery id (``delivery_id=…``, the ``X-GitHub-Delivery``
  header), the key every application log line of that delivery carries too (``config.log_context``): one
  ``grep <delivery id>`` finds its request, its answer and its processing. Other requests show ``delivery_id=-``.
- prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``): a worker that exits is marked dead, so
  its live gauges stop counting; its counters stay in the totals, as they must.
"""

from __future__ import annotations

import os
from typing import Any

access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms delivery_id=%({x-github-delivery}i)s'
)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
