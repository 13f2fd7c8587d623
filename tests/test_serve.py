"""`make serve` for real: what it runs boots with DEBUG off, serves pages and static files behind a TLS proxy, and
Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            time.sleep(0.3)
    pytest.fail(f"nothing answered at {url} within {seconds} s")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _serve(tmp_path: Path, port: int, *, stdout: Any = subprocess.PIPE, **extra: str) -> subprocess.Popen:
    """Start what `make serve` runs, with DEBUG off, in its own process group (a terminal's foreground job); its
    output goes to ``stdout`` (a pipe, or a file for a server that logs more than a pipe holds)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "CELERY_BROKER_URL", "REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        ENV_FILE=os.devnull,
        PORT=str(port),
        SECRET_KEY="serve-test-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        BASE_URL=f"https://127.0.0.1:{port}",
        GITHUB_APP_WEBHOOK_SECRET="serve-test-secret",
        GITHUB_APP_CREDENTIALS_FILE="",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="1",
        WEB_THREADS="2",
    )
    env.update(extra)  # a test's own settings win over these
    return subprocess.Popen(
        [str(REPO / "bin" / "serve")],
        cwd=REPO,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _ctrl_c(process: subprocess.Popen) -> str:
    """Ctrl-C as a terminal sends it (to the whole foreground group); every process must be gone after it."""
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(process.pid), "a process of make serve outlived Ctrl-C\n" + output
    assert process.returncode in (0, 130), output  # 130: stopped by SIGINT, as a shell reports Ctrl-C
    return output


def test_serve_with_debug_off_behind_an_https_proxy_then_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = _free_port()
    process = _serve(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/healthz", process)
        assert requests.get(f"{base}/accounts/login/", allow_redirects=False, timeout=5).status_code == 301  # to https
        proxied = {"X-Forwarded-Proto": "https"}
        login = requests.get(f"{base}/accounts/login/", headers=proxied, timeout=5)
        assert login.status_code == 200 and "Log in" in login.text
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', login.text)
        assert stylesheet and re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", stylesheet.group(1))
        css = requests.get(base + stylesheet.group(1), headers=proxied, timeout=5)
        assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css") and css.text.strip()
    finally:
        output = _ctrl_c(process)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/healthz", timeout=2)
    assert "CELERY_BROKER_URL not set" in output and "worker-webhooks" not in output and "beat" not in output


@pytest.mark.services
def test_serve_with_a_broker_also_starts_the_workers_and_beat_and_stops_them(tmp_path: Path, redis_broker_url) -> None:
    port = _free_port()
    process = _serve(
        tmp_path,
        port,
        CELERY_BROKER_URL=redis_broker_url,
        WEBHOOK_WORKER_CONCURRENCY="1",
        IMPORT_WORKER_CONCURRENCY="1",
    )
    output = ""
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while output.count(" ready.") < 2 and time.monotonic() < deadline:  # each Celery worker says "... ready."
            output += process.stdout.readline()
    finally:
        output += _ctrl_c(process)
    for name in ("web.1", "worker-webhooks.1", "worker-imports.1", "beat.1"):
        assert f"{name} started" in output and f"{name} stopped" in output, output
    assert output.count(" ready.") >= 2, output
