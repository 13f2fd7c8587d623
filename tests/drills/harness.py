"""Real processes for the fault drills: a private Redis, gunicorn, a Celery worker, and the drill database.

Everything here starts a process this test session owns (its own process group, so teardown stops the
process and its children by id and nothing else), binds 127.0.0.1 on a free ephemeral port, and writes
its output to a log file whose tail is shown when a drill fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DRILL_DB = "tformance_drills"


def drill_database_name(database_url: str) -> str:
    """``<the suite's database>_drills``: two checkouts on one server (two branches, two schemas) never share the
    drill database; ``tformance_drills`` when the suite's database has no name."""
    name = urlsplit(database_url).path.lstrip("/")
    return f"{name}_drills" if name else DRILL_DB


KEPT_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def free_port() -> int:
    """A port nobody listens on right now (bind to 0 and read it back)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy; a loaded CI machine gets generous timeouts, never fixed sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def production_env(webhook_secret: str, **values: str) -> dict[str, str]:
    """The environment of a production process (``DEBUG`` off, ``config.settings``), inheriting nothing that names
    another database, broker or App; ``values`` add the rest (``DATABASE_URL``, ``CELERY_BROKER_URL``…)."""
    prefixes = ("DJANGO_", "GITHUB_", "CELERY_", "DATABASE_", "REDIS_", "IMPORT_", "WEBHOOK_", "DEBUG")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="drill-secret-key-not-for-production",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        GITHUB_APP_CREDENTIALS_FILE="",
        GITHUB_APP_WEBHOOK_SECRET=webhook_secret,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(values)
    return env


# --- the database -------------------------------------------------------------------------------------


def postgres_url_for(database_url: str, name: str) -> str:
    """The same server as ``database_url`` with another database name (libpq form, for psycopg)."""
    parts = urlsplit(database_url.replace("postgres://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{name}"))


def postgres_reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def database_create(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def database_recreate(admin_url: str, name: str) -> None:
    """A new, empty database: a schema left by another checkout (another branch's migrations) cannot break a run."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_truncate(url: str) -> None:
    """Empty every table the product writes, so each drill starts from a fresh install."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
            if row[0] not in KEPT_TABLES
        ]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


class Database:
    """Reads of the drill database straight over SQL: the drills audit what the processes wrote."""

    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def value(self, sql: str, params: list[Any] | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None


# --- processes ----------------------------------------------------------------------------------------


class Process:
    """One subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.command, self.env = name, command, env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and its children at once: a crash, no chance to clean up."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left after ``timeout``."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):  # children the leader left behind
            os.killpg(self.popen.pid, signal.SIGKILL)

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return f"--- {self.name} ({self.log_path}) ---\n" + "\n".join(text[-lines:])


def redis_server(port: int, log_dir: Path) -> Process:
    """A private, non-persistent Redis: stopping it disturbs no other test."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return Process(f"redis-{port}", [*command, "--daemonize", "no"], dict(os.environ), log_dir)


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def gunicorn(port: int, env: dict[str, str], log_dir: Path, name: str = "gunicorn") -> Process:
    command = [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "-c",
        "config/gunicorn.py",  # as the Procfile: the access line names the delivery; metrics of exited workers
        "--access-logfile",
        "-",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    return Process(name, command, env, log_dir)


def celery_worker(env: dict[str, str], log_dir: Path, name: str = "worker") -> Process:
    """``--pool solo``: the worker is one process, so a SIGKILL of it is the loss of the whole worker host."""
    command = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-Q",
        "webhooks,interactive,default,imports",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}-{os.getpid()}@%h",
    ]
    return Process(name, command, env, log_dir)


def worker_ready(process: Process, since: int = 0) -> bool:
    """Celery logs ``celery@host ready.`` once it consumes; ``since`` skips the log of an earlier run."""
    if not process.running:
        raise AssertionError(f"the Celery worker exited:\n{process.tail()}")
    return process.log_path.exists() and " ready." in process.log_path.read_text(errors="replace")[since:]


def http_up(url: str) -> bool:
    import requests

    try:
        requests.get(url, timeout=2)
    except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still loading on a busy machine
        return False
    return True


def manage(env: dict[str, str], *args: str, timeout: float = 180.0) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def ops(env: dict[str, str], command: str, **arguments: Any) -> Any:
    """Run one Django-side operation (``tests/drills/ops.py``) against the drill database; returns its JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.drills.ops", command, json.dumps(arguments)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"ops {command} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
