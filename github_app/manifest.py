"""GitHub App manifest flow: create the App from a JSON manifest, then convert the returned code.

GitHub redirects to `redirect_url?code=...` after the user confirms the manifest; the code is
exchanged (unauthenticated, within one hour) at `POST /app-manifests/{code}/conversions` for the
new App's id, secrets and private key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from github_app.client import GitHubClient
from github_app.errors import UnexpectedResponse
from github_app.retry import ONCE

WEBHOOK_PATH = "/webhooks/github/"
MANIFEST_CALLBACK_PATH = "/integrations/github/manifest/callback/"
INSTALL_CALLBACK_PATH = "/integrations/github/callback/"


def build_manifest(template: dict[str, Any], base_url: str, *, public: bool = True) -> dict[str, Any]:
    """Copy of `template` (app-manifest.json) with every URL pointing at this deployment's `base_url`.

    `public`: GitHub lets any account install a public App, and only the owning account a private one; a
    deployment that serves several organizations needs it public.
    """
    base = base_url.rstrip("/")
    manifest = copy.deepcopy(template)
    manifest["public"] = public
    manifest["url"] = base
    hook = dict(manifest.get("hook_attributes") or {})
    hook["url"] = base + WEBHOOK_PATH
    manifest["hook_attributes"] = hook
    manifest["redirect_url"] = base + MANIFEST_CALLBACK_PATH
    # With request_oauth_on_install, GitHub sends the user back to callback_urls[0] with a sign-in code after an
    # installation; a setup_url (and setup_on_update, "Redirect on update") is then unavailable, so none is set.
    manifest["callback_urls"] = [base + INSTALL_CALLBACK_PATH]
    return manifest


@dataclass(frozen=True)
class ManifestResult:
    """The new App as GitHub created it; secrets are hidden from repr."""

    id: int
    slug: str
    client_id: str
    client_secret: str = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    pem: str = field(repr=False)
    html_url: str
    owner_login: str


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise UnexpectedResponse(f"manifest conversion answer has no string {key!r}")
    return value


def convert_manifest_code(api_url: str, session: requests.Session, code: str) -> ManifestResult:
    """`POST /app-manifests/{code}/conversions` (201, no authentication) → the new App's credentials."""
    client = GitHubClient(api_url, session, retry=ONCE)  # the code is single-use: never retried
    body = client.post(f"/app-manifests/{quote(code, safe='')}/conversions")
    if not isinstance(body, dict) or not isinstance(body.get("id"), int):
        raise UnexpectedResponse("manifest conversion answer has no numeric 'id'")
    owner = body.get("owner")
    webhook_secret = body.get("webhook_secret")
    return ManifestResult(
        id=body["id"],
        slug=_text(body, "slug"),
        client_id=_text(body, "client_id"),
        client_secret=_text(body, "client_secret"),
        webhook_secret=webhook_secret if isinstance(webhook_secret, str) else None,
        pem=_text(body, "pem"),
        html_url=_text(body, "html_url"),
        owner_login=owner.get("login", "") if isinstance(owner, dict) else "",
    )
