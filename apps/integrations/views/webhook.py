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
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.integrations.github import webhook_secrets
from apps.integrations.prometheus import webhook_answered
from apps.integrations.services.deliveries import (
    MAX_HEADER_LENGTH,
    MalformedDelivery,
    delivery_parse,
    delivery_record,
)
from config.log_context import log_context, log_context_bind
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
    """Every line logged while the delivery is received (and, with no broker, processed) carries its delivery id
    and event (``config.log_context``); the answer is counted by status (``tformance_webhook_requests``). A refusal
    is logged here, inside that context, instead of by Django after it has ended. The headers are bound before the
    signature is checked, truncated as they would be stored, so a refused delivery can be found by its id too."""
    headers = request.headers
    delivery_id = (headers.get("X-GitHub-Delivery") or "")[:MAX_HEADER_LENGTH]
    with log_context(delivery_id=delivery_id, event=(headers.get("X-GitHub-Event") or "")[:MAX_HEADER_LENGTH]):
        response = _receive(request)
        if response.status_code >= 400:
            log_response(
                "webhook refused with %s: %s",
                response.status_code,
                response.content.decode(errors="replace")[:200],
                response=response,
                request=request,
                logger=logger,
            )
    webhook_answered(response.status_code)
    return response


def _receive(request: HttpRequest) -> HttpResponse:
    body = _read_body(request)
    if body is None:
        return _error(413, "The body is larger than 25 MiB.")
    if not verify_signature(body, request.headers.get("X-Hub-Signature-256"), webhook_secrets()):
        return _error(401, "Missing or invalid X-Hub-Signature-256.")
    try:
        incoming = delivery_parse(headers=request.headers, body=body)
    except MalformedDelivery as exc:
        return _error(400, str(exc))
    log_context_bind(action=incoming.action, installation_id=incoming.installation_id)
    try:
        delivery_pk = delivery_record(incoming=incoming)
    except DatabaseError:
        logger.exception("could not store delivery %s", incoming.delivery_id)
        return _error(503, "Temporarily unable to store the delivery; GitHub will show it as failed.")
    if delivery_pk is None:
        return JsonResponse({"status": "duplicate", "delivery": incoming.delivery_id}, status=200)
    return JsonResponse({"status": "accepted", "delivery": incoming.delivery_id}, status=202)
