"""What an operator wants counted about calls to GitHub, told to a callback the application supplies.

Every GitHub call goes through the ``requests.Session`` the caller injects (``GitHubClient``, ``AppAPI``,
``InstallationTokenProvider`` all take one), so the session is where calls are observed: ``ObservedSession`` times
each exchange and hands an ``Exchange`` to ``observe``. The library knows what an exchange *means* (a rate-limited
answer, an installation-token mint); the application decides what to do with it (tformance turns it into
Prometheus counters in ``apps.integrations.prometheus``). No metrics library, no Django, no module state here.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from github_app.errors import RateLimited, error_for_response

logger = logging.getLogger(__name__)

# ``POST /app/installations/{installation_id}/access_tokens`` (under ``/api/v3`` on GitHub Enterprise Server).
_TOKEN_MINT_PATH = re.compile(r"/app/installations/\d+/access_tokens$")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP exchange with GitHub. ``status`` is None when no answer came (connection error, timeout)."""

    method: str
    path: str
    status: int | None
    seconds: float
    rate_limited: bool = False

    @property
    def status_class(self) -> str:
        """``2xx`` … ``5xx``, or ``error`` when GitHub never answered."""
        return f"{self.status // 100}xx" if self.status is not None else "error"

    @property
    def is_token_mint(self) -> bool:
        """An installation access token was asked for (``POST …/access_tokens``)."""
        return self.method == "POST" and _TOKEN_MINT_PATH.search(self.path) is not None

    @property
    def kind(self) -> str:
        """``graphql``, ``token`` (installation-token mint) or ``rest``: a label with a handful of values."""
        if self.path.endswith("/graphql"):
            return "graphql"
        return "token" if self.is_token_mint else "rest"


def is_rate_limited(response: requests.Response) -> bool:
    """GitHub's rate-limit answer (403 or 429 with its headers or message), as ``errors.error_for_response`` maps it.

    A GraphQL rate limit answered 200 with ``RATE_LIMITED`` in ``errors`` is not seen here (the body is not read);
    callers that wait on it count their wait themselves.
    """
    if response.status_code not in (403, 429):
        return False
    return isinstance(error_for_response(response, now=time.time(), what="a request"), RateLimited)


class ObservedSession(requests.Session):
    """A ``requests.Session`` that tells ``observe`` about every exchange. An observer that raises is logged and
    never fails the call: counting must not cost a delivery or an import."""

    def __init__(self, observe: Callable[[Exchange], None]) -> None:
        super().__init__()
        self._observe = observe

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        start = time.perf_counter()
        verb = method.decode() if isinstance(method, bytes) else method
        path = urlsplit(url.decode() if isinstance(url, bytes) else url).path
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException:
            self._tell(Exchange(verb.upper(), path, None, time.perf_counter() - start))
            raise
        elapsed = time.perf_counter() - start
        self._tell(Exchange(verb.upper(), path, response.status_code, elapsed, is_rate_limited(response)))
        return response

    def _tell(self, exchange: Exchange) -> None:
        try:
            self._observe(exchange)
        except Exception:
            logger.warning("observing a GitHub exchange failed", exc_info=True)
