"""An operator follows one delivery, or one import, through the logs with ``grep <delivery id>``.

The lines are captured through the same filter and formatters the settings configure (``settings.LOGGING``), once
while the web process receives a delivery and once while the worker processes it, as two separate steps.
"""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services.processing import delivery_process
from config.log_context import log_context

pytestmark = pytest.mark.django_db

DELIVERY_ID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


@contextmanager
def captured_lines(log_format: str = "text") -> Iterator[list[str]]:
    """Every line the root logger writes meanwhile, formatted as the console handler of ``settings.LOGGING``
    formats it with ``LOG_FORMAT=log_format`` (same filters, same formatter)."""
    stream = io.StringIO()
    config = {**settings.LOGGING, "root": {"handlers": ["capture"], "level": "INFO"}, "incremental": False}
    config["handlers"] = {
        "capture": {
            **settings.LOGGING["handlers"]["console"],
            "formatter": log_format,
            "stream": stream,
        }
    }
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    logging.config.dictConfig({**config, "disable_existing_loggers": False})
    lines: list[str] = []
    try:
        yield lines
    finally:
        lines.extend(line for line in stream.getvalue().splitlines() if line.strip())
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def deferred_webhook(client, settings, event: str, payload: dict, delivery_id: str, **meta):
    """POST a signed delivery as the web process receives it with a broker: stored, not processed yet."""
    from github_app import sign_payload

    body = json.dumps(payload).encode()
    headers = {
        "HTTP_X_GITHUB_EVENT": event,
        "HTTP_X_GITHUB_DELIVERY": delivery_id,
        "HTTP_X_HUB_SIGNATURE_256": sign_payload(body, settings.GITHUB_APP_WEBHOOK_SECRET.split(",")[0]),
        **meta,
    }
    return client.post("/webhooks/github/", data=body, content_type="application/json", **headers)


def test_one_delivery_is_followed_with_grep_through_the_web_process_and_then_the_worker(
    client, settings, github_payload, django_capture_on_commit_callbacks
):
    payload = github_payload("installation/created.payload.json")
    installation_id = payload["installation"]["id"]

    # Web process: the request stores the delivery; a refused copy (bad signature) is logged with the same id.
    with captured_lines() as web_lines, django_capture_on_commit_callbacks(execute=False):
        assert deferred_webhook(client, settings, "installation", payload, DELIVERY_ID).status_code == 202
        refused = deferred_webhook(client, settings, "installation", payload, DELIVERY_ID, HTTP_X_HUB_SIGNATURE_256="x")
        assert refused.status_code == 401
    assert WebhookDelivery.objects.get(delivery_id=DELIVERY_ID).status == DeliveryStatus.PENDING

    # Worker: processing the stored delivery, outside any request.
    with captured_lines() as worker_lines:
        assert delivery_process(delivery_pk=WebhookDelivery.objects.get().pk) == DeliveryStatus.PROCESSED

    assert any("webhook refused with 401" in line for line in web_lines)
    assert sum("Unauthorized" in line for line in web_lines) == 0  # Django does not log the refusal a second time
    assert any("installation.created applied" in line for line in worker_lines), worker_lines
    assert any("delivery processed" in line for line in worker_lines), worker_lines
    for line in web_lines + worker_lines:
        assert f"delivery_id={DELIVERY_ID}" in line, line
        assert "event=installation" in line, line
    for line in worker_lines:
        assert f"installation_id={installation_id}" in line and "action=created" in line, line


@pytest.mark.django_db(transaction=True)
def test_json_lines_carry_the_context_and_the_extra_fields_under_their_own_keys(client, settings, github_payload):
    """The embedded default (no broker): the delivery is processed inside the request, on commit."""
    payload = github_payload("installation/created.payload.json")

    with captured_lines("json") as lines:
        assert deferred_webhook(client, settings, "installation", payload, DELIVERY_ID).status_code == 202

    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert records, "processing (in-process, no broker) logs at least one line"
    for record in records:
        assert record.get("delivery_id") == DELIVERY_ID, record
        assert record["event"] == "installation" and record["action"] == "created"
        assert record["installation_id"] == payload["installation"]["id"]
        assert "request" not in record


def test_extra_fields_passed_by_the_code_are_written_not_dropped():
    logger = logging.getLogger("apps.integrations.tests")

    with captured_lines() as lines, log_context(repository="acme/big tools", installation_id=7):
        logger.info("repository tracked", extra={"team_id": 3})
        logger.info("override", extra={"installation_id": 8})
    with captured_lines() as after:
        logger.info("outside")

    assert lines[0].endswith('repository tracked installation_id=7 repository="acme/big tools" team_id=3')
    assert lines[1].endswith('override installation_id=8 repository="acme/big tools"')
    assert after[0].endswith("outside")  # nothing bound leaks past the block
