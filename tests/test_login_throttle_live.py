"""Log-in throttling against what `make serve` runs (gunicorn, DEBUG off), with no proxy in front and behind one.

Without a proxy a client writes X-Forwarded-For itself, so a new one per try must not give it a fresh count; behind
one, the address the proxy appended is the client, whatever the client wrote before it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.test_serve import _free_port, _serve, _wait_until_up

PASSWORD = "a-long-passphrase-2026"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """Start `bin/serve` (DEBUG off, SQLite, no broker) with the given proxy settings; stop it after the test."""
    started: list[subprocess.Popen] = []

    def start(**extra: str) -> str:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = _serve(
            tmp_path,
            port,
            stdout=(tmp_path / f"serve-{port}.log").open("w"),
            BASE_URL=base,
            DATABASE_URL=f"sqlite:///{tmp_path / f'db-{port}.sqlite3'}",
            WEB_CONCURRENCY="1",  # the embedded default's cache is per process
            SECURE_SSL_REDIRECT="0",  # plain HTTP to gunicorn: the TLS proxy is not what this test is about
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            **extra,
        )
        started.append(process)
        _wait_until_up(f"{base}/healthz", process)
        return base

    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)


def _post(base: str, path: str, data: dict[str, str], forwarded: str | None) -> requests.Response:
    """A form POST as a browser sends it: the page first (for its CSRF token), then the form."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    browser = requests.Session()
    page = browser.get(base + path, headers=headers, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(
        base + path,
        data={"csrfmiddlewaretoken": token, **data},
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )


def _sign_up(base: str, email: str, forwarded: str | None = None) -> None:
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, "team_name": ""}
    assert _post(base, "/accounts/signup/", data, forwarded).status_code == 302


def _log_in(base: str, email: str, password: str, forwarded: str | None = None) -> int:
    return _post(base, "/accounts/login/", {"username": email, "password": password}, forwarded).status_code


@pytest.mark.parametrize(
    "proxy_settings",
    [
        {"TRUSTED_PROXY_COUNT": "0"},  # told there is no proxy
        # make serve's defaults with DEBUG off (one proxy, at FORWARDED_ALLOW_IPS), reached directly instead: the
        # proxy's address is one this test does not connect from, as a remote client's is not 127.0.0.1.
        {"FORWARDED_ALLOW_IPS": "10.255.255.254"},
    ],
    ids=["no-proxy-count-0", "proxy-expected-but-reached-directly"],
)
def test_without_a_proxy_a_new_x_forwarded_for_per_try_still_pauses(serve, proxy_settings: dict[str, str]) -> None:
    base = serve(**proxy_settings)
    _sign_up(base, "grace@example.com")

    # Four guesses at each of many accounts, a new X-Forwarded-For on every try.
    answers = [_log_in(base, f"user{n // 4}@example.com", "x", forwarded=f"10.9.{n}.1") for n in range(20)]

    assert answers[-1] == 429  # LOGIN_FAILURES_PER_CLIENT (20) from this one client
    assert _log_in(base, "grace@example.com", PASSWORD, forwarded="10.9.99.1") == 429


def test_behind_a_proxy_guessing_pauses_the_guesser_not_the_owner_and_own_log_ins_do_not_reset_it(serve) -> None:
    base = serve(TRUSTED_PROXY_COUNT="1", FORWARDED_ALLOW_IPS="127.0.0.1")  # this test is the proxy
    _sign_up(base, "grace@example.com", forwarded="198.51.100.7")
    _sign_up(base, "mallory@example.com", forwarded="203.0.113.5")

    # Whatever the client writes, the proxy appends the address it saw; only that one counts.
    guesses = [_log_in(base, "grace@example.com", f"g{n}", forwarded=f"10.0.0.{n}, 203.0.113.5") for n in range(5)]
    assert guesses == [200] * 4 + [429]
    assert _log_in(base, "grace@example.com", PASSWORD, forwarded="203.0.113.5") == 429
    assert _log_in(base, "grace@example.com", PASSWORD, forwarded="198.51.100.7") == 302  # the owner, elsewhere

    # 4 wrong passwords, then the attacker's own account, repeated: the address still pauses.
    answers = []
    for round_ in range(4):
        answers += [_log_in(base, f"someone{round_}@example.com", "x", forwarded="203.0.113.5") for _ in range(4)]
        answers.append(_log_in(base, "mallory@example.com", PASSWORD, forwarded="203.0.113.5"))
    assert answers[-1] == 429 and 429 in answers[:-1]
