"""REST answers the suite mocks, as the emulator's routes answer them, and our own signature test vector."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from github_app.emulator import shapes
from github_app.emulator.models import Delivery, Installation

from .world import Document, World, at


def _api_installation(w: World, inst: Installation, **fields: Any) -> dict[str, Any]:
    body = shapes.installation_json(w.state, inst)
    body.update(fields)
    return body


def _token_response(w: World) -> dict[str, Any]:
    """``POST /app/installations/{id}/access_tokens``, as the emulator's route answers it (201)."""
    inst = w.octo_installation
    return {
        "token": "ghs_f1x7ure5f1x7ure5f1x7ure5f1x7ure5f1x7",
        "expires_at": "2016-07-11T22:14:10Z",
        "permissions": dict(inst.permissions),
        "repository_selection": inst.repository_selection,
    }


def _api_deliveries(w: World) -> list[Any]:
    def delivery(ident: int, day: int, redelivery: bool) -> dict[str, Any]:
        return Delivery(
            id=ident,
            guid="0b989ba4-242f-11e5-81e1-c7b6966d2516",
            app_id=w.app.id,
            event="pull_request",
            action="opened",
            installation_id=w.pr_installation.id,
            repository_id=w.hello.id,
            body=b"{}",
            delivered_at=at(f"2019-06-0{day}T00:57:16Z"),
            redelivery=redelivery,
            duration=0.27,
            status="OK",
            status_code=200,
        ).as_json()

    return [delivery(12345678, 3, False), delivery(123456789, 4, True)]


def _from_manifest(w: World, pem: str) -> dict[str, Any]:
    """``POST /app-manifests/{code}/conversions``: the App with its secrets, as the emulator's route answers it."""
    body = shapes.app_json(w.state, w.app)
    body.pop("installations_count", None)
    body.update({"client_secret": w.app.client_secret, "webhook_secret": w.app.webhook_secret, "pem": pem})
    return body


def _octo_installation_listing(w: World) -> dict[str, Any]:
    first = _api_installation(w, w.octo_installation)
    first.update(id=1)
    second = _api_installation(w, w.installation)
    return {"total_count": 2, "installations": [first, second]}


def api(w: World, pem: str) -> dict[str, Callable[[], Document]]:
    """File name under ``api/`` → builder (one per REST operation the suite mocks)."""

    def list_installations() -> Document:
        first = _api_installation(w, w.octo_installation)
        first.update(id=1)
        return [first]

    return {
        "apps-get-authenticated.json": lambda: shapes.app_json(w.state, w.app),
        "apps-list-installations.json": list_installations,
        "apps-get-installation.json": lambda: _api_installation(w, w.octo_installation, id=1),
        "apps-create-installation-access-token.json": lambda: _token_response(w),
        "apps-list-repos-accessible-to-installation.json": lambda: {
            "total_count": 1,
            "repositories": [shapes.repo_json(w.state, w.octo_repo)],
        },
        "apps-list-installations-for-authenticated-user.json": lambda: _octo_installation_listing(w),
        "apps-list-webhook-deliveries.json": lambda: _api_deliveries(w),
        "apps-create-from-manifest.json": lambda: _from_manifest(w, pem),
    }


def signature_vector() -> dict[str, Any]:
    """Our own test vector for ``X-Hub-Signature-256``, computed here with the standard library's HMAC."""
    secret, payload = "tformance fixtures secret", '{"zen":"Keep it logically awesome."}'
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {
        "secret": secret,
        "payload": payload,
        "signature_256": f"sha256={digest}",
        "hexdigest": digest,
        "encoding": "secret and payload are UTF-8 bytes without a trailing newline",
    }
