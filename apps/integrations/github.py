"""The one bridge from Django settings to ``github_app``: credentials, sessions and the token cache."""

from __future__ import annotations

import functools
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import requests
from django.conf import settings
from django.core.cache import cache

from apps.integrations.prometheus import github_exchange_observed
from github_app import (
    AppAPI,
    AppCredentials,
    InstallationAPI,
    InstallationTokenProvider,
    ObservedSession,
    RetryPolicy,
    SecondaryLimitStrikes,
)

# Pages catch GitHub's failures under this name: apps.web talks to GitHub only through integrations (a contract
# in pyproject.toml), and a refusal or an outage is the one thing of github_app a page must tell apart.
from github_app import GitHubError as GitHubError


class GitHubAppNotConfigured(Exception):
    """The App's id or private key is missing, so nothing can be asked of GitHub."""


def webhook_secrets() -> tuple[str, ...]:
    """All accepted webhook secrets; more than one while a secret is being rotated."""
    return tuple(s.strip() for s in settings.GITHUB_APP_WEBHOOK_SECRET.split(",") if s.strip())


def _private_key() -> str:
    if settings.GITHUB_APP_PRIVATE_KEY:
        return settings.GITHUB_APP_PRIVATE_KEY.replace("\\n", "\n")
    if settings.GITHUB_APP_PRIVATE_KEY_PATH:
        return Path(settings.GITHUB_APP_PRIVATE_KEY_PATH).read_text()
    return ""


def app_credentials() -> AppCredentials:
    """Credentials from settings; raises ``GitHubAppNotConfigured`` instead of failing deep in a call."""
    private_key = _private_key()
    if not settings.GITHUB_APP_ID or not private_key:
        raise GitHubAppNotConfigured("Set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (or _PATH) to call GitHub.")
    return AppCredentials(
        app_id=str(settings.GITHUB_APP_ID),
        client_id=settings.GITHUB_APP_CLIENT_ID,
        client_secret=settings.GITHUB_APP_CLIENT_SECRET,
        private_key_pem=private_key,
        webhook_secrets=webhook_secrets(),
        api_url=settings.GITHUB_API_URL,
        web_url=settings.GITHUB_WEB_URL,
        slug=settings.GITHUB_APP_SLUG,
        jwt_issuer_kind=settings.GITHUB_APP_JWT_ISSUER,
    )


@functools.cache
def http_session() -> requests.Session:
    """The one ``requests.Session`` of this process, shared by every call to GitHub; every call is counted by kind
    and answer (``apps.integrations.prometheus``).

    A session per installation made every installation pay a TCP and TLS handshake (two when its token had to be
    minted) on each reconciliation. One pooled session keeps the connections to GitHub open across installations
    and tasks. Authorization is a per-request header (``github_app.client``), never session state, and the session
    keeps no cookies, so nothing of one installation's call reaches another's. It is made on first use, in the
    process that calls GitHub: gunicorn loads the application after forking its workers, and a Celery worker's
    parent process forks its children without calling GitHub, so no two processes share its connections.
    """
    session = ObservedSession(github_exchange_observed)
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


def secondary_limit_strikes(subject: str) -> SecondaryLimitStrikes:
    """Secondary rate limits met in a row by one credential, in the shared cache (every worker waits longer)."""
    return SecondaryLimitStrikes(cache, f"github_app:secondary_limits:{subject}")


def app_api() -> AppAPI:
    return AppAPI(app_credentials(), http_session(), strikes=secondary_limit_strikes("app"))


def token_provider(credentials: AppCredentials | None = None) -> InstallationTokenProvider:
    """Installation tokens cached in Django's cache (Redis in production), never in the database."""
    return InstallationTokenProvider(credentials or app_credentials(), http_session(), cache)


def installation_api(
    installation_id: int, *, retry: RetryPolicy | None = None, repository_ids: tuple[int, ...] | None = None
) -> InstallationAPI:
    """The installation's API; ``retry`` replaces the client's default policy, ``repository_ids`` narrows its token
    to those repositories."""
    credentials = app_credentials()
    return InstallationAPI(
        credentials,
        http_session(),
        token_provider(credentials),
        installation_id,
        strikes=secondary_limit_strikes(f"installation:{int(installation_id)}"),
        retry=retry,
        repository_ids=repository_ids,
    )
