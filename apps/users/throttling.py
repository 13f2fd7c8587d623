"""Who a request comes from, and how many account emails one address may receive.

Sign-in throttling itself is django-axes (settings: ``AXES_*``); the client address and account name are what it
needs from us. Sign-ups and account emails (verification, invitations, resets) are counted here, per hour.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

EMAIL_WINDOW_SECONDS = 3600


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or with ``TRUSTED_PROXY_COUNT`` proxies in front, the address the
    outermost trusted proxy saw (counted from the right of ``X-Forwarded-For``, which a client cannot forge past
    the proxies that append to it)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded: list[str] = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def login_account(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a log-in attempt is for, as django-axes counts it: the email typed in the form's ``username``
    field, lower-cased so ``Grace@`` and ``grace@`` share one count. (Without this axes would read the model's
    ``USERNAME_FIELD``, ``email``, find nothing, and count every account under one empty name.)"""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(typed).strip().lower()


def mailbox(email: str) -> str:
    """The inbox an address reaches, for counting only: lower-cased, and without a ``+tag`` in its local part
    (``box+1@`` and ``box+2@`` land in one inbox at the common providers, so a flood must not get a fresh count
    per tag). Nothing is stored or sent in this form; a provider that ignores dots is not guessed at."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}" if local else email.strip().lower()


def rate_allowed(*, scope: str, key: str, limit: int, window_seconds: int = EMAIL_WINDOW_SECONDS) -> bool:
    """Count one event of ``scope`` for ``key`` and say whether it is within ``limit`` per window. The count lives in
    the cache (shared by every web process with Redis); the key is hashed, so no address is kept in clear."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"users:rate:{scope}:{digest}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def account_email_allowed(*, purpose: str, email: str) -> bool:
    """Count one email of ``purpose`` to ``email`` and say whether it may be sent: at most
    ``ACCOUNT_EMAILS_PER_ADDRESS`` an hour to one inbox, so nobody can flood it through our forms."""
    return rate_allowed(scope=f"emails:{purpose}", key=mailbox(email), limit=settings.ACCOUNT_EMAILS_PER_ADDRESS)


def signup_allowed(*, request: HttpRequest) -> bool:
    """At most ``ACCOUNT_SIGNUPS_PER_CLIENT`` sign-ups an hour from one client address (each sends an email)."""
    return rate_allowed(scope="signups", key=client_ip(request), limit=settings.ACCOUNT_SIGNUPS_PER_CLIENT)
