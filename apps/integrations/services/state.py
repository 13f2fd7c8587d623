"""Signed, single-use, expiring ``state`` values for redirects through GitHub (install and manifest flows).

The value is signed with Django's ``SECRET_KEY`` (``django.core.signing``) and carries a random nonce
stored in the cache; consuming it deletes the nonce, so a replayed state is refused even within its
lifetime. The cache is shared by every web process (Redis in production), so any host can consume it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core import signing
from django.core.cache import cache

STATE_MAX_AGE_SECONDS = 3600


class StateInvalid(Exception):
    """The state cannot be used; the message says why, in words for the user."""


def _key(purpose: str, nonce: str) -> str:
    return f"integrations:state:{purpose}:{nonce}"


def state_issue(*, purpose: str, user_id: int, data: dict[str, Any] | None = None) -> str:
    """A state for ``purpose`` bound to ``user_id``; ``data`` comes back from ``state_consume``."""
    nonce = secrets.token_urlsafe(24)
    cache.set(_key(purpose, nonce), user_id, timeout=STATE_MAX_AGE_SECONDS + 60)
    return signing.dumps({"n": nonce, "u": user_id, "d": data or {}}, salt=f"tformance.state.{purpose}")


def state_consume(*, purpose: str, state: str, user_id: int) -> dict[str, Any]:
    """Check and use up a state. Another user's state is refused without being used up."""
    if not state:
        raise StateInvalid("The link from GitHub carried no state, so we cannot tell which team it is for.")
    try:
        value = signing.loads(state, salt=f"tformance.state.{purpose}", max_age=STATE_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise StateInvalid("This link has expired (it is valid for one hour). Please start again.") from None
    except signing.BadSignature:
        raise StateInvalid("This link is not valid. Please start again from tformance.") from None
    if not isinstance(value, dict) or value.get("u") != user_id:
        raise StateInvalid("This link was started by another user. Please start again while signed in as yourself.")
    if not cache.delete(_key(purpose, str(value.get("n")))):
        raise StateInvalid("This link has already been used. Please start again.")
    return dict(value.get("d") or {})
