"""``GET /metrics``: the Prometheus endpoint for operators (``apps.integrations.prometheus`` says what it holds).

Off unless ``METRICS_TOKEN`` is set: then 404, as if there were no such page. With it set, a scrape must send
``Authorization: Bearer <METRICS_TOKEN>`` (Prometheus: ``authorization: {credentials: …}``); any other request is
answered 401 with nothing else. The figures are not secret business data, but they tell an outsider how busy the
product is and when GitHub is limiting it, so they are never open.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from apps.integrations.prometheus import prometheus_exposition


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@require_GET
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("No metrics endpoint: METRICS_TOKEN is not set.")
    if not _authorized(request, token):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(prometheus_exposition(), content_type=CONTENT_TYPE_LATEST)
