"""Logging filters used by ``LOGGING`` in the settings."""

from __future__ import annotations

import logging


class NoTracebackBelow500(logging.Filter):
    """A refused request (403 ``PermissionDenied``, 404) is logged as one line, without the exception's traceback.

    ``django.request`` attaches the exception to every 4xx it logs; the traceback says nothing an operator needs
    for an expected refusal, and buries the real errors (5xx), which keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True
