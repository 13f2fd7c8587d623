"""Throughput and latency of ``POST /webhooks/github/`` on gunicorn + PostgreSQL, next to two yardsticks.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_webhook.py``). Needs PostgreSQL (DATABASE_URL or
the local default), Redis for the broker (processing is queued, as in production; no worker runs), and
``wrk`` (``apt-get install wrk``). Prints requests/s and p50/p99 for:

- the bare Django view (the floor),
- the reference endpoint (verify HMAC, parse JSON, insert one row, 202),
- tformance's webhook endpoint,

all in the same run on the same server, with a 28 KB real pull_request payload and a unique delivery id per
request: 2 sync workers and 8 connections by default, as ``../shared/peer-bench/ours.sh`` measures (``BENCH_WORKERS``,
``BENCH_WORKER_CLASS=gthread`` with 4 threads, ``BENCH_CONNECTIONS``). Target: webhook >= 1.0 x reference. A sync
worker handles one delivery at a time, so it shows what each delivery costs; it also prints how many broker
messages the stored deliveries took (at most one per web process every 50 ms, never one per delivery).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = ROOT.parent / "shared" / "fixtures" / "github" / "webhooks" / "pull_request" / "opened.payload.json"
DB_NAME = "tformance_bench_webhook"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
SECRET = "bench-webhook-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT", "0")) or _free_port()
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "import")

ENDPOINTS = [
    ("bare Django view", "/bench/bare/"),
    ("reference endpoint", "/bench/reference/"),
    ("tformance webhook", "/webhooks/github/"),
]

LUA = """
counter = 0
local body = io.open("{body}", "rb"):read("*a")
request = function()
  counter = counter + 1
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  headers["X-GitHub-Event"] = "pull_request"
  headers["X-GitHub-Delivery"] = string.format("%s-%d-%d", "{run}", math.random(1, 1e9), counter)
  headers["X-Hub-Signature-256"] = "{signature}"
  return wrk.format("POST", nil, headers, body)
end
"""


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "GITHUB_APP_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }


def prepare_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=_env(), check=True)
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_reference (id bigserial PRIMARY KEY, delivery_id varchar(64) UNIQUE, "
            "event varchar(64), action varchar(64), payload text, received_at timestamptz)"
        )
        conn.execute("TRUNCATE bench_reference, integrations_webhookdelivery")
    if BROKER_URL.startswith("redis"):
        redis.Redis.from_url(BROKER_URL).flushdb()  # the bench's own broker database: no worker drains it


def _count(sql: str) -> int:
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(sql).fetchone()[0]


def start_gunicorn() -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        os.environ.get("BENCH_WORKERS", "2"),
        "--worker-class",
        WORKER_CLASS,
        "--log-level",
        "warning",
    ]
    if WORKER_CLASS == "gthread":
        command += ["--threads", "4"]
    server = subprocess.Popen(command, cwd=ROOT, env=_env())
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            requests.get(f"http://127.0.0.1:{PORT}/bench/bare/", timeout=1)
            return server
        except requests.RequestException:  # refused, or accepted while the workers still boot (a loaded machine)
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start")


def run_wrk(path: str, script: Path) -> dict[str, float]:
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{DURATION}",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)

    def pct(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    import hashlib
    import hmac

    body = PAYLOAD.read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    prepare_database()
    server = start_gunicorn()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results: dict[str, dict[str, float]] = {}
            # Two interleaved rounds, best of each, so a disturbance of the machine does not favour one endpoint.
            for round_ in range(2):
                for name, path in ENDPOINTS:
                    script = Path(tmp) / f"{round_}-{path.strip('/').replace('/', '-')}.lua"
                    script.write_text(LUA.format(body=PAYLOAD, run=f"r{round_}{time.time_ns()}", signature=signature))
                    if round_ == 0:
                        run_wrk(path, script)  # warm-up: connections, caches, query plans
                    result = run_wrk(path, script)
                    if name not in results or result["rps"] > results[name]["rps"]:
                        results[name] = result
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    print(
        f"\nPOST /webhooks/github/ on gunicorn + PostgreSQL, {len(body) // 1024} KB pull_request payload, "
        f"{CONNECTIONS} connections, {DURATION} per endpoint, {WORKER_CLASS} workers"
    )
    print(f"{'endpoint':22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:22} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:8d}")
    ref, ours, bare_ = results["reference endpoint"], results["tformance webhook"], results["bare Django view"]
    print(f"reference / bare view: {ref['rps'] / bare_['rps']:.2f}x")
    print(f"webhook / reference:   {ours['rps'] / ref['rps']:.2f}x  (target >= 1.0)")
    stored = _count("SELECT count(*) FROM integrations_webhookdelivery")
    messages = redis.Redis.from_url(BROKER_URL).llen("webhooks") if BROKER_URL.startswith("redis") else "n/a"
    print(f"deliveries stored: {stored}, broker messages queued for them: {messages}")


if __name__ == "__main__":
    main()
