"""The demo's moving parts outside this process: the App key, the GitHub emulator and the web server.

Kept apart from ``demo.py`` (the underscore keeps Django from listing it as a command) so the command reads as
the sequence a person would follow, and so these helpers stay free of Django: they only start processes, wait
for ports and talk HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MANAGE_PY = Path(__file__).resolve().parents[4] / "manage.py"


class DemoError(Exception):
    """The demo cannot go on; the message says what went wrong and what to do, in plain words."""


@dataclass(frozen=True)
class DemoApp:
    """The GitHub App the emulator plays and tformance is configured with (the same values on both sides)."""

    app_id: int = 1
    client_id: str = "Iv1.tformance-demo"
    client_secret: str = "demo-client-secret"
    webhook_secret: str = "demo-webhook-secret"
    slug: str = "tformance-demo"
    name: str = "tformance (demo)"


def app_key_ensure(path: Path) -> bool:
    """Create the App's RSA key (2048 bits, mode 0600, PKCS#1 PEM like the key GitHub lets you download) when
    missing; the emulator verifies our JWTs with its public half. Returns whether a key was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return True


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` (checked before starting, so a second demo fails clearly)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) != 0


def _spawn(args: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a child with its output in ``log_path``. It stays in our process group, so a Ctrl-C in the terminal
    (or make's) reaches it even if this process is killed before it can stop it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - fixed args


def emulator_start(
    *, app: DemoApp, port: int, webhook_url: str, key_path: Path, live_interval: float, seed: int, log_path: Path
) -> subprocess.Popen[bytes]:
    """``python -m github_app.emulator`` with the demo world (org acme, three repositories, octo-admin)."""
    args = [
        sys.executable,
        "-m",
        "github_app.emulator",
        *("--port", str(port), "--scenario", "demo", "--seed", str(seed)),
        *("--webhook-url", webhook_url, "--live-interval", str(live_interval)),
        *("--app-id", str(app.app_id), "--client-id", app.client_id, "--client-secret", app.client_secret),
        *("--webhook-secret", app.webhook_secret, "--slug", app.slug, "--app-name", app.name),
        *("--private-key-path", str(key_path)),
    ]
    return _spawn(args, env=dict(os.environ), log_path=log_path)


def server_start(*, port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``manage.py runserver`` without the autoreloader: one process we can stop cleanly."""
    args = [sys.executable, str(MANAGE_PY), "runserver", f"127.0.0.1:{port}", "--noreload"]
    return _spawn(args, env=env, log_path=log_path)


def wait_until_up(
    url: str, *, process: subprocess.Popen[bytes], name: str, log_path: Path, timeout: float = 30.0
) -> None:
    """Poll ``url`` until it answers below 500; fail early, with the log's end, when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{name} exited with code {process.returncode}:\n{log_tail(log_path)}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise DemoError(f"{name} did not answer at {url} within {timeout:.0f} s:\n{log_tail(log_path)}")


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def processes_stop(processes: list[subprocess.Popen[bytes]], *, grace: float = 5.0) -> None:
    """SIGTERM each child (the emulator and runserver both exit on it), then SIGKILL what is left."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
