"""The product's URLs plus the two yardsticks the webhook endpoint is measured against.

- ``/bench/bare/``: a Django view that answers 200 and does nothing (the floor: Django and gunicorn).
- ``/bench/reference/``: the least a correct webhook endpoint does — verify the HMAC, parse the JSON, insert
  one row, answer 202 — written plainly with a raw cursor (the cost of the work itself).
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import IntegrityError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@csrf_exempt
def reference(request: HttpRequest) -> HttpResponse:
    body = request.body
    secret = settings.GITHUB_APP_WEBHOOK_SECRET.split(",")[0].encode()
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        return HttpResponse(status=401)
    payload = json.loads(body)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_reference (delivery_id, event, action, payload, received_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    request.headers["X-GitHub-Delivery"],
                    request.headers["X-GitHub-Event"],
                    payload.get("action", ""),
                    body.decode(),
                    timezone.now(),
                ],
            )
    except IntegrityError:
        return JsonResponse({"status": "duplicate"})
    return JsonResponse({"status": "accepted"}, status=202)


urlpatterns = [path("bench/bare/", bare), path("bench/reference/", reference), *product_urlpatterns]
