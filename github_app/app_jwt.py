"""App JWTs: the credential for `/app/...` endpoints, including minting installation tokens.

GitHub rejects a JWT whose `exp` is more than 10 minutes ahead and one whose `iat` is in the future
by its clock, so `iat` is backdated 60 s against clock drift and `exp` is now + 540 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from github_app.credentials import load_private_key

IAT_BACKDATE = 60
LIFETIME = 540
REUSE_MARGIN = 60


def sign_app_jwt(issuer: str, private_key: RSAPrivateKey, now: float) -> str:
    """Sign with an already parsed key (parsing a PEM costs more than signing)."""
    issued = int(now)
    claims = {"iat": issued - IAT_BACKDATE, "exp": issued + LIFETIME, "iss": str(issuer)}
    return jwt.encode(claims, private_key, algorithm="RS256")


def create_app_jwt(issuer: str, private_key_pem: str, now: float | None = None) -> str:
    """An RS256 App JWT for `issuer` (client id or app id) valid from now - 60 s to now + 540 s."""
    return sign_app_jwt(issuer, load_private_key(private_key_pem), time.time() if now is None else now)


class AppJWT:
    """Holds one App JWT and hands it out while it has more than 60 s left, so a burst of App API
    calls signs once instead of once per call. Thread-safe; the clock is injectable for tests."""

    def __init__(self, issuer: str, private_key: RSAPrivateKey | str, clock: Callable[[], float] = time.time) -> None:
        self._issuer = str(issuer)
        self._key = load_private_key(private_key) if isinstance(private_key, str) else private_key
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"AppJWT(issuer={self._issuer!r})"

    def token(self) -> str:
        now = self._clock()
        with self._lock:
            if self._token is None or self._expires_at - now <= REUSE_MARGIN:
                self._token = sign_app_jwt(self._issuer, self._key, now)
                self._expires_at = int(now) + LIFETIME
            return self._token

    def reset(self) -> None:
        """Forget the held JWT (after GitHub rejected it, e.g. because the key was rotated)."""
        with self._lock:
            self._token = None
