"""Who a request comes from, and how many account emails one address may receive.

Sign-in throttling itself is django-axes (settings: ``AXES_*``); these are the two pieces it and the account emails
need from us.
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


def account_email_allowed(*, purpose: str, email: str) -> bool:
    """Count one email of ``purpose`` to ``email`` and say whether it may be sent: at most
    ``ACCOUNT_EMAILS_PER_ADDRESS`` an hour, so nobody can flood an inbox through our forms. The count lives in the
    cache (shared by every web process); the address is hashed in the key."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    key = f"users:emails:{purpose}:{digest}"
    cache.add(key, 0, timeout=EMAIL_WINDOW_SECONDS)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=EMAIL_WINDOW_SECONDS)
        sent = 1
    return sent <= settings.ACCOUNT_EMAILS_PER_ADDRESS
