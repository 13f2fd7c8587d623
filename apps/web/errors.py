"""The 500 page: the base layout with the signed-in user's navigation, like the 403 and 404 pages.

Django's own ``server_error`` renders ``500.html`` without the request, so a signed-in user would lose the
navigation; this one renders with it. If that fails too (the database that the navigation reads is what broke),
Django's context-free rendering of the same template answers instead.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return HttpResponseServerError(render_to_string("500.html", request=request))
    except Exception:  # the error page must answer whatever broke; the original error is already logged
        logger.warning("500 page rendered without the request's context", exc_info=True)
        return defaults.server_error(request)
