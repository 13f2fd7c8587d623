"""The WSGI application gunicorn serves: GitHub's webhook bypasses the browser middleware, every page keeps it.

These requests go through ``config.webhook_route`` as gunicorn hands them over (a WSGI environ), not through the
test client, whose handler always applies the full middleware stack.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import close_old_connections

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from config.webhook_route import with_webhook_route
from github_app import sign_payload

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"


@contextmanager
def _test_transaction_kept() -> Iterator[None]:
    """As Django's test client does: a request must not close the connection holding the test's transaction."""
    request_started.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)


def _call(app: Any, method: str, path: str, body: bytes = b"", **headers: str) -> tuple[int, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    with _test_transaction_kept():
        content = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], content


@pytest.fixture
def application():
    return with_webhook_route(WSGIHandler())


def _signed(settings, payload: dict) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign_payload(body, settings.GITHUB_APP_WEBHOOK_SECRET.split(",")[0]),
    }
    return body, headers


@pytest.mark.parametrize("path", ["/webhooks/github/", "/webhooks/github"])
def test_a_delivery_is_stored_and_answered_without_the_browser_middleware(application, settings, path):
    body, headers = _signed(settings, {"zen": "Keep it logically awesome.", "hook_id": 9001})
    status, response_headers, content = _call(application, "POST", path, body, **headers)
    assert status == 202, content
    assert json.loads(content)["status"] == "accepted"
    stored = WebhookDelivery.objects.get(delivery_id=headers["X-GitHub-Delivery"])
    assert stored.event == "ping"
    assert stored.status in {DeliveryStatus.PENDING, DeliveryStatus.PROCESSED}
    # No middleware ran: none of the headers the page middleware adds, no session or CSRF cookie.
    assert CSP not in response_headers
    assert "X-Frame-Options" not in response_headers
    assert "Set-Cookie" not in response_headers


def test_a_refused_delivery_is_answered_as_before(application, settings):
    body, headers = _signed(settings, {"zen": "x"})
    headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
    status, _headers, content = _call(application, "POST", "/webhooks/github/", body, **headers)
    assert status == 401
    assert "X-Hub-Signature-256" in json.loads(content)["error"]
    assert not WebhookDelivery.objects.exists()


def test_pages_still_go_through_the_middleware(application):
    status, response_headers, _content = _call(application, "GET", "/accounts/login/")
    assert status == 200
    assert CSP in response_headers
    assert response_headers["X-Frame-Options"] == "DENY"
