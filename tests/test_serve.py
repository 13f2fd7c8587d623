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
            requests.get(url, timeout=1, allow_redirects=False)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    pytest.fail(f"nothing answered at {url} within {seconds} s")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_with_debug_off_behind_an_https_proxy_then_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = _free_port()
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
    process = subprocess.Popen(
        [str(REPO / "bin" / "serve")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
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
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole foreground group
        output, _ = process.communicate(timeout=30)
    assert process.returncode in (0, 130), output  # 130: stopped by SIGINT, as a shell reports Ctrl-C
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(process.pid), "a process of make serve outlived Ctrl-C"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/healthz", timeout=2)
    assert "CELERY_BROKER_URL not set" in output
