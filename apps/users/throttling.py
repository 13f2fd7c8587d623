"""Who a request comes from, and how many account emails one address may receive.

Sign-in throttling itself is django-axes (settings: ``AXES_*``); the client address and account name are what it
needs from us. Sign-ups and account emails (verification, invitations, resets) are counted here, per hour.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_cache_timeout, get_client_cache_keys, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

EMAIL_WINDOW_SECONDS = 3600


def _from_trusted_proxy(address: str) -> bool:
    """Whether the connection came from a proxy we put in front (``FORWARDED_ALLOW_IPS``, as gunicorn reads it):
    only such a peer's ``X-Forwarded-For`` is more than the client's own words."""
    allowed = settings.FORWARDED_ALLOW_IPS
    if "*" in allowed:
        return True
    try:
        peer = ipaddress.ip_address(address)
        return any(peer in ipaddress.ip_network(entry, strict=False) for entry in allowed)
    except ValueError:
        return address in allowed


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or with ``TRUSTED_PROXY_COUNT`` proxies in front, the address the
    outermost trusted proxy saw (counted from the right of ``X-Forwarded-For``, which a client cannot forge past
    the proxies that append to it). A request that did not come through one of our proxies (``FORWARDED_ALLOW_IPS``)
    is its ``REMOTE_ADDR``: without a proxy in front a client writes the whole header itself."""
    remote = str(request.META.get("REMOTE_ADDR") or "unknown")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0 or not _from_trusted_proxy(remote):
        return remote
    forwarded: list[str] = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def login_account(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a log-in attempt is for, as django-axes counts it: the email typed in the form's ``username``
    field, lower-cased so ``Grace@`` and ``grace@`` share one count. (Without this axes would read the model's
    ``USERNAME_FIELD``, ``email``, find nothing, and count every account under one empty name.)"""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(typed).strip().lower()


@dataclass(frozen=True)
class LoginPause:
    """Why log-in is refused for now: ``address`` (too many failures for this account from this address, or from
    this address for any account: the cool-off) or ``account`` (many failures from many addresses: a short wait)."""

    reason: str
    seconds: int


def _login_keys(*, account: str, address: str) -> tuple[str, str, str]:
    """axes' cache keys, in ``AXES_LOCKOUT_PARAMETERS`` order: (account, address), address, account."""
    pair, by_address, by_account = get_client_cache_keys(AccessAttempt(username=account, ip_address=address))
    return pair, by_address, by_account


def _last_failure_key(account: str) -> str:
    return "users:login-last-failure:" + hashlib.sha256(account.encode()).hexdigest()[:32]


class LoginThrottleHandler(AxesCacheHandler):
    """django-axes' cache handler, counting failures by ``AXES_LOCKOUT_PARAMETERS``: per (account, address), per
    address and per account. What it does with those counts differs from axes' single limit:

    - (account, address) reaching ``AXES_FAILURE_LIMIT``, or the address reaching ``LOGIN_FAILURES_PER_CLIENT``
      over all accounts: that address pauses for ``AXES_COOLOFF_TIME``. Someone guessing from one place stops.
    - the account alone reaching ``LOGIN_ACCOUNT_BACKOFF_AFTER`` (guesses from many addresses): every further try
      for it waits 2, 4, 8… seconds after the last failure, at most ``LOGIN_BACKOFF_MAX_SECONDS``. Guessing slows
      to a crawl, but the owner is never locked out by strangers: they wait seconds, or reset the password.
    - a successful log-in clears only that account's counts, never the address's (``AXES_RESET_ON_SUCCESS`` off:
      axes would clear the address's count too, and one's own account would then reset a guesser's count).
    """

    def login_pause(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> LoginPause | None:
        account = get_client_username(request, credentials) or ""
        pair, by_address, by_account = (
            int(self.cache.get(key, 0)) for key in _login_keys(account=account, address=client_ip(request))
        )
        cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds())
        if pair >= settings.AXES_FAILURE_LIMIT or by_address >= settings.LOGIN_FAILURES_PER_CLIENT:
            return LoginPause("address", cool_off)
        if account and by_account >= settings.LOGIN_ACCOUNT_BACKOFF_AFTER:
            step = by_account - settings.LOGIN_ACCOUNT_BACKOFF_AFTER + 1
            wait = min(2**step, settings.LOGIN_BACKOFF_MAX_SECONDS)
            remaining = float(self.cache.get(_last_failure_key(account), 0)) + wait - time.time()
            if remaining > 0:
                return LoginPause("account", math.ceil(remaining))
        return None

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        pause = self.login_pause(request, credentials)
        request.login_pause = pause  # type: ignore[attr-defined]  # for the page that explains it
        return pause is not None

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        already_paused = request is not None and getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)  # counts (not while paused)
        if request is None or already_paused:
            return
        account = get_client_username(request, credentials) or ""
        if account:
            self.cache.set(_last_failure_key(account), time.time(), timeout=get_cache_timeout(request))
        if self.is_locked(request, credentials):  # this failure reached a limit: say so now
            request.axes_locked_out = True
            request.axes_credentials = credentials

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        login_failures_forget(account=user.get_username(), address=client_ip(request))


def login_failures_forget(*, account: str, address: str) -> None:
    """Clear an account's failure counts: from ``address``, and the back-off of the account as a whole. The
    address's own count (over all accounts) stays: neither logging in to one's own account nor resetting its
    password may wipe what that address did to others. Emails are compared lower-cased, as they are counted."""
    account = account.strip().lower()
    pair, _, by_account = _login_keys(account=account, address=address)
    cache = get_cache()
    cache.delete_many([pair, by_account, _last_failure_key(account)])


def login_locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The page for a paused log-in (``AXES_LOCKOUT_CALLABLE``): how long, and that a reset lets the owner in."""
    pause = getattr(request, "login_pause", None) or LoginPause(
        "address", int(settings.AXES_COOLOFF_TIME.total_seconds())
    )
    context = {"pause": pause, "minutes": math.ceil(pause.seconds / 60)}
    response = render(request, "users/locked_out.html", context, status=429)
    response["Retry-After"] = str(pause.seconds)
    return response


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
