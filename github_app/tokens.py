"""Installation access tokens: minted with the App JWT, cached until 5 minutes before they expire.

Many workers may need a token for the same installation at once (an import fans out). Minting is
rate limited and slow, so only one process mints at a time per installation (`cache.add` as a
lock) while the others poll the cache briefly; if the minter dies, the wait is bounded and the
others mint themselves rather than hang.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests

from github_app.api.app import AppAPI
from github_app.cache import TokenCache
from github_app.credentials import AppCredentials

logger = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0
LOCK_TIMEOUT = 30.0


class InstallationTokenProvider:
    """`token(installation_id)` returns a usable installation token, from the shared cache when possible.

    Cache entries are `"<refresh_at epoch> <token>"`, so the token is treated as stale by this
    provider's own clock even if the cache backend keeps it a little longer.
    """

    def __init__(
        self,
        credentials: AppCredentials,
        session: requests.Session,
        cache: TokenCache,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        *,
        poll_interval: float = 0.05,
        max_wait: float = 5.0,
    ) -> None:
        self._app = AppAPI(credentials, session, clock, sleep=sleep)
        self._cache = cache
        self._clock, self._sleep = clock, sleep
        self._prefix = f"github_app:{credentials.app_id or credentials.client_id}:installation_token:"
        self._polls = max(1, int(max_wait / poll_interval))
        self._poll_interval = poll_interval

    def __repr__(self) -> str:
        return f"InstallationTokenProvider(prefix={self._prefix!r})"

    def _key(self, installation_id: int, repository_ids: tuple[int, ...] | None = None) -> str:
        """One cache entry per installation, and one per set of repositories a scoped token was minted for."""
        scope = f":repositories:{','.join(str(i) for i in sorted(set(repository_ids)))}" if repository_ids else ""
        return f"{self._prefix}{int(installation_id)}{scope}"

    def _cached(self, key: str) -> str | None:
        value = self._cache.get(key)
        if not value:
            return None
        refresh_at, _, token = value.partition(" ")
        try:
            fresh = float(refresh_at) > self._clock()
        except ValueError:
            return None
        return token if fresh and token else None

    def token(self, installation_id: int, repository_ids: tuple[int, ...] | None = None) -> str:
        """A token valid for at least 5 more minutes; mints (once across processes) when needed. With
        `repository_ids`, a token that reaches only those repositories (cached apart from the installation's)."""
        key = self._key(installation_id, repository_ids)
        token = self._cached(key)
        if token is not None:
            return token
        lock_key = key + ":lock"
        if self._cache.add(lock_key, "1", LOCK_TIMEOUT):
            try:
                return self._cached(key) or self._mint(key, installation_id, repository_ids)
            finally:
                self._cache.delete(lock_key)
        for _ in range(self._polls):
            self._sleep(self._poll_interval)
            token = self._cached(key)
            if token is not None:
                return token
        logger.warning("Token minting lock for installation %s held too long; minting anyway", installation_id)
        return self._mint(key, installation_id, repository_ids)

    def _mint(self, key: str, installation_id: int, repository_ids: tuple[int, ...] | None = None) -> str:
        token, expires_at = self._app.create_installation_token(installation_id, repository_ids)
        refresh_at = expires_at - REFRESH_MARGIN
        ttl = refresh_at - self._clock()
        if ttl > 0:
            self._cache.set(key, f"{refresh_at:.3f} {token}", ttl)
        logger.info("Minted installation token for installation %s", installation_id)
        return token

    def invalidate(self, installation_id: int, repository_ids: tuple[int, ...] | None = None) -> None:
        """Forget the cached token (GitHub answered 401 with it: revoked, or the clock is off)."""
        self._cache.delete(self._key(installation_id, repository_ids))
