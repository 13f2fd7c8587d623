"""Signed webhook deliveries to the App's single webhook URL, and the delivery log GitHub keeps.

Like GitHub: one POST per event, HMAC-SHA256 signature of the exact body, a 10 s timeout, no
automatic retry. Every attempt, successful or not, is logged so ``GET /app/hook/deliveries`` and
redelivery (``POST /app/hook/deliveries/{id}/attempts``) behave as tformance expects.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

import requests

from .crypto import sign_body
from .models import App, Delivery
from .state import State, utcnow

TIMEOUT_SECONDS = 10
# GitHub: "Payloads are capped at 25 MB." Its docs do not say MB or MiB; the emulator takes 25 MiB, the size
# tformance's endpoint accepts (docs/architecture.md), so a payload the emulator sends is one the endpoint takes.
MAX_PAYLOAD_BYTES = 25 * 1024 * 1024
log = logging.getLogger(__name__)
_local = threading.local()


def _session() -> requests.Session:
    """One keep-alive session per thread: load tests push thousands of deliveries through ``/_emulator/send``."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def _ids_from(payload: dict[str, Any]) -> tuple[int | None, int | None, str | None]:
    installation = payload.get("installation") or {}
    repository = payload.get("repository") or {}
    action = payload.get("action")
    return installation.get("id"), repository.get("id"), action if isinstance(action, str) else None


def deliver(state: State, app: App, event: str, payload: dict[str, Any]) -> Delivery | None:
    """Sign and POST ``payload`` as ``event`` now; ``None`` when the App has no webhook URL (nothing is sent), or
    when the payload is over 25 MB: GitHub caps payloads at 25 MB and does not deliver a larger one ("Webhook
    events and payloads"). Its docs do not say whether the dropped event shows in the App's delivery log; here it
    does not (``GET /app/hook/deliveries`` cannot redeliver what was never sent)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    if len(body) > MAX_PAYLOAD_BYTES:
        log.warning("not delivering %s: its payload is %s bytes, over GitHub's 25 MB cap", event, len(body))
        return None
    installation_id, repository_id, action = _ids_from(payload)
    delivery = Delivery(
        id=state.new_delivery_id(),
        guid=str(uuid.uuid4()),
        app_id=app.id,
        event=event,
        action=action,
        installation_id=installation_id,
        repository_id=repository_id,
        body=body,
        delivered_at=utcnow(),
    )
    return _attempt(state, app, delivery)


def redeliver(state: State, app: App, original: Delivery) -> Delivery | None:
    """Send the same body with the same GUID again; the new log entry says ``redelivery: true``."""
    delivery = Delivery(
        id=state.new_delivery_id(),
        guid=original.guid,
        app_id=app.id,
        event=original.event,
        action=original.action,
        installation_id=original.installation_id,
        repository_id=original.repository_id,
        body=original.body,
        delivered_at=utcnow(),
        redelivery=True,
    )
    return _attempt(state, app, delivery)


def _attempt(state: State, app: App, delivery: Delivery) -> Delivery | None:
    if not app.webhook_url:
        return None
    headers = {
        "X-GitHub-Event": delivery.event,
        "X-GitHub-Delivery": delivery.guid,
        "X-GitHub-Hook-ID": str(app.hook_id),
        "X-GitHub-Hook-Installation-Target-ID": str(app.id),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-Hub-Signature-256": sign_body(app.webhook_secret, delivery.body),
        "User-Agent": "GitHub-Hookshot/emulator",
        "Content-Type": "application/json",
    }
    delivery.url = app.webhook_url
    started = time.monotonic()
    try:
        response = _session().post(app.webhook_url, data=delivery.body, headers=headers, timeout=TIMEOUT_SECONDS)
        delivery.status_code = response.status_code
        delivery.status = (
            "OK" if 200 <= response.status_code < 300 else f"Invalid HTTP Response: {response.status_code}"
        )
    except requests.Timeout:
        delivery.status = "timed out"
    except requests.ConnectionError:
        delivery.status = "Connection refused"
    except requests.RequestException as exc:  # an unusable URL is still a logged failure, as on GitHub
        delivery.status = type(exc).__name__
    delivery.duration = round(time.monotonic() - started, 2)
    state.record_delivery(delivery)
    return delivery
