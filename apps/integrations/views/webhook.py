"""``POST /webhooks/github/``: the one app-level webhook that receives every event of every installation.

Verify, record, queue, answer — GitHub waits at most ten seconds and never retries by itself, so nothing
slow happens here, and nothing is answered 2xx that is not stored first.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.integrations.github import webhook_secrets
from apps.integrations.services.deliveries import MalformedDelivery, delivery_parse, delivery_record
from github_app import verify_signature

logger = logging.getLogger(__name__)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _read_body(request: HttpRequest) -> bytes | None:
    """The raw body, read once; None when it is over GitHub's 25 MiB limit."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return body if len(body) <= limit else None


@csrf_exempt
@require_POST
def github_webhook(request: HttpRequest) -> HttpResponse:
    body = _read_body(request)
    if body is None:
        return _error(413, "The body is larger than 25 MiB.")
    if not verify_signature(body, request.headers.get("X-Hub-Signature-256"), webhook_secrets()):
        return _error(401, "Missing or invalid X-Hub-Signature-256.")
    try:
        incoming = delivery_parse(headers=request.headers, body=body)
    except MalformedDelivery as exc:
        return _error(400, str(exc))
    try:
        delivery_pk = delivery_record(incoming=incoming)
    except DatabaseError:
        logger.exception("could not store delivery %s", incoming.delivery_id)
        return _error(503, "Temporarily unable to store the delivery; GitHub will show it as failed.")
    if delivery_pk is None:
        return JsonResponse({"status": "duplicate", "delivery": incoming.delivery_id}, status=200)
    return JsonResponse({"status": "accepted", "delivery": incoming.delivery_id}, status=202)
