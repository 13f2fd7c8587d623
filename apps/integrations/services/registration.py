"""Registering the GitHub App from ``app-manifest.json`` (GitHub's manifest flow) and storing its credentials.

Flow: a staff user posts the manifest to ``{GITHUB_WEB_URL}/settings/apps/new?state=…`` (personal account) or
``{GITHUB_WEB_URL}/organizations/<org>/settings/apps/new?state=…``; GitHub creates the App and redirects to the
manifest's ``redirect_url`` with a ``code`` valid for one hour; ``POST /app-manifests/{code}/conversions``
turns it into the App's id, slug, client id/secret, webhook secret and private key. Those are written to
``GITHUB_APP_CREDENTIALS_FILE`` (mode 0600), which ``config/settings.py`` reads when the ``GITHUB_APP_*``
environment variables are not set. The processes must be restarted to pick it up.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from apps.integrations.github import http_session
from github_app import ManifestResult, build_manifest, convert_manifest_code

logger = logging.getLogger(__name__)

MANIFEST_FILE = Path(settings.BASE_DIR) / "app-manifest.json"


class RegistrationError(Exception):
    """The App cannot be registered or its credentials stored; the message is shown to the staff user."""


def manifest_template() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(MANIFEST_FILE.read_text())  # our own file: an object
    return manifest


def app_permissions() -> dict[str, str]:
    """The permissions this version of tformance needs (the manifest's ``default_permissions``), by GitHub's name."""
    permissions: dict[str, str] = manifest_template()["default_permissions"]
    return permissions


def manifest_for_base_url(*, base_url: str) -> dict[str, Any]:
    """The manifest with every URL pointing at this deployment (webhook, callbacks, redirect), public unless
    ``GITHUB_APP_PUBLIC`` is off."""
    return build_manifest(manifest_template(), base_url, public=settings.GITHUB_APP_PUBLIC)


def manifest_registration_url(*, organization: str, state: str) -> str:
    """GitHub's "new App from manifest" page, for an organization or for the signed-in user's account."""
    owner = f"/organizations/{organization}" if organization else ""
    return f"{settings.GITHUB_WEB_URL}{owner}/settings/apps/new?{urlencode({'state': state})}"


def credentials_path() -> Path:
    return Path(settings.GITHUB_APP_CREDENTIALS_FILE)


def app_credentials_file_exists() -> bool:
    return credentials_path().exists()


def app_credentials_store(*, result: ManifestResult, path: Path) -> None:
    """Write the credentials atomically to ``path`` with mode 0600 (the private key is in it).

    Keys are the setting names, so settings read them back one to one.
    """
    values = {
        "GITHUB_APP_ID": str(result.id),
        "GITHUB_APP_SLUG": result.slug,
        "GITHUB_APP_CLIENT_ID": result.client_id,
        "GITHUB_APP_CLIENT_SECRET": result.client_secret,
        "GITHUB_APP_WEBHOOK_SECRET": result.webhook_secret or "",
        "GITHUB_APP_PRIVATE_KEY": result.pem,
        "html_url": result.html_url,
        "owner_login": result.owner_login,
    }
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # created 0600
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(values, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def app_register_from_manifest_code(*, code: str) -> ManifestResult:
    """Convert the manifest ``code`` and store the App's credentials. An existing credentials file is never
    overwritten: the check runs before the (single-use) code is spent, so nothing is lost."""
    path = credentials_path()
    if not code:
        raise RegistrationError("GitHub did not send a code. Please start the registration again.")
    if path.exists():
        raise RegistrationError(
            f"A credentials file already exists at {path}. Move it aside first if you really want to "
            "register another App (the code stays valid for one hour)."
        )
    result = convert_manifest_code(settings.GITHUB_API_URL, http_session(), code)
    app_credentials_store(result=result, path=path)
    logger.info("GitHub App %s (id %s) registered; credentials written to %s", result.slug, result.id, path)
    return result
