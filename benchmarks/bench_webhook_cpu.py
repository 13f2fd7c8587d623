"""The web process's own work per webhook delivery, counted in instructions rather than timed.

Run: ``.venv/bin/python benchmarks/bench_webhook_cpu.py``. Prints, for a 28 KB ``pull_request`` delivery posted
to ``config.wsgi``'s application as gunicorn hands it over (a WSGI environ; PostgreSQL, Redis broker, DEBUG off):

- instructions per delivery in the thread that serves the request, counted by ``valgrind --tool=callgrind`` (the
  count at 600 deliveries minus the count at 300, over 300, so start-up cancels out), for the application as
  served (Django's handler, every middleware); callgrind's count barely moves from run to run whatever
  else the machine does, where the wall-clock figures of ``ours.sh`` move by a third on a shared two-core machine;
- CPU microseconds per delivery (``time.process_time``, 2,000 deliveries), which do move with the machine.

It does not count gunicorn's HTTP parsing or PostgreSQL's side (``../shared/peer-bench/ours.sh`` measures the
whole). Uses ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/tformance_bench_webhook_cpu``, created
and migrated if needed) and Redis db 13 as the broker; skips the callgrind part when valgrind is not installed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BODY = ROOT / "github_app/tests/data/github/webhooks/pull_request/opened.payload.json"
SECRET = "bench-webhook-secret"
ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-webhook-cpu-secret-key-0123456789abcdef0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "GITHUB_APP_WEBHOOK_SECRET": SECRET,
    "GITHUB_APP_CREDENTIALS_FILE": "",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tformance_bench_webhook_cpu"),
}
MODES = {"served": "config.wsgi's application (every middleware)"}
WARM_UP = 200


def _application(mode: str) -> Callable[..., Any]:
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


def _deliveries(mode: str, count: int) -> float:
    """Post ``count`` deliveries (after a warm-up) and return the CPU seconds they took."""
    import django

    django.setup()
    app = _application(mode)
    body = BODY.read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    def post() -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/webhooks/github/",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "HTTP_X_GITHUB_EVENT": "pull_request",
            "HTTP_X_GITHUB_DELIVERY": str(uuid.uuid4()),
            "HTTP_X_HUB_SIGNATURE_256": signature,
        }
        status: list[str] = []
        b"".join(app(environ, lambda s, _headers, _exc=None: status.append(s)))
        if not status[0].startswith("202"):
            raise SystemExit(f"the webhook answered {status[0]}")

    for _ in range(WARM_UP):
        post()
    started = time.process_time()
    for _ in range(count):
        post()
    return time.process_time() - started


def _child(mode: str, count: int, *, callgrind_out: str | None = None) -> str:
    command = [sys.executable, __file__, "--child", mode, str(count)]
    if callgrind_out:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--separate-threads=yes",
            f"--callgrind-out-file={callgrind_out}",
            *command,
        ]
    env = {**os.environ, **ENV, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def _instructions(mode: str, count: int) -> int:
    """The request thread's instructions: the wake-up thread's broker sends are left out, since under valgrind a
    request lasts longer than the wake-up interval and nearly every one would be followed by a send."""
    with tempfile.TemporaryDirectory() as scratch:
        _child(mode, count, callgrind_out=f"{scratch}/cg")
        main_thread = next(Path(scratch).glob("cg-01"))
        found = re.search(r"^(?:summary|totals): (\d+)", main_thread.read_text(), re.MULTILINE)
    if not found:
        raise SystemExit("callgrind wrote no instruction count")
    return int(found.group(1))


def _prepare() -> None:
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_metrics import ensure_database

    ensure_database(ENV["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env={**os.environ, **ENV}, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        mode, count = args.child[0], int(args.child[1])
        print(f"cpu {_deliveries(mode, count):.6f}")
        return
    _prepare()
    for mode, what in MODES.items():
        cpu = float(re.search(r"cpu ([0-9.]+)", _child(mode, 2000)).group(1))  # type: ignore[union-attr]
        line = f"webhook, {what}: {cpu / 2000 * 1e6:.0f} µs CPU per delivery (2,000 deliveries)"
        if shutil.which("valgrind"):
            per = (_instructions(mode, 600) - _instructions(mode, 300)) / 300
            line += f"; {per / 1e6:.2f} M instructions per delivery (callgrind, 600 minus 300 deliveries)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
