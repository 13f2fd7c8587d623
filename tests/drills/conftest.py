"""Fault drills: tformance as it runs in production — gunicorn, a Celery worker, PostgreSQL, a Redis broker —
with the GitHub emulator as its GitHub, and one dependency broken at a time.

They need PostgreSQL (``DATABASE_URL=postgres://…``, the CI run on services) and ``redis-server`` (each drill
starts a private one, so stopping it disturbs nobody). Elsewhere they skip, or fail where
``TFORMANCE_REQUIRE_SERVICES=1``. Run only them: ``pytest -m drill tests/drills``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests

from conftest import skip_or_fail
from tests.drills import harness
from tests.drills.pgproxy import PostgresProxy

WEBHOOK_SECRET = "drill-webhook-secret"
DRILL_TIMEOUT = 90.0  # any one wait; a loaded 2-core CI machine is slow, a hung drill must still end


class DrillDatabase:
    """The drill database. The test process reads it directly (``url``, ``sql``); the processes under test reach
    it through the proxy (``url_via``), so a drill can take it away from them alone."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url, self.host, self.port = url, parts.hostname or "127.0.0.1", parts.port or 5432
        self.sql = harness.Database(url)

    def url_via(self, proxy_port: int) -> str:
        parts = urlsplit(self.url)
        credentials = parts.netloc.rpartition("@")[0]
        return urlunsplit(parts._replace(netloc=f"{credentials}{'@' if credentials else ''}127.0.0.1:{proxy_port}"))


@pytest.fixture(scope="session")
def drill_database() -> Iterator[DrillDatabase]:
    """``<suite database>_drills`` on the suite's PostgreSQL server, created anew and migrated once per session.

    A session-long advisory lock keeps two test sessions on one server (two engineers, two CI jobs) from
    truncating each other's drill database: the second waits for the first.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        skip_or_fail("fault drills need PostgreSQL: set DATABASE_URL=postgres://…")
    if shutil.which("redis-server") is None:
        skip_or_fail("fault drills need redis-server (they start a private one)")
    admin_url = harness.postgres_url_for(url, "postgres")
    if not harness.postgres_reachable(admin_url):
        skip_or_fail(f"PostgreSQL not reachable at {admin_url}")
    with psycopg.connect(admin_url, autocommit=True) as lock:
        drill_name = harness.drill_database_name(url)
        lock.execute("SET lock_timeout = '600s'")
        lock.execute("SELECT pg_advisory_lock(hashtext(%s))", [drill_name])
        harness.database_recreate(admin_url, drill_name)
        drill_url = harness.postgres_url_for(url, drill_name)
        harness.manage(harness.production_env(WEBHOOK_SECRET, DATABASE_URL=drill_url), "migrate", "--noinput", "-v0")
        yield DrillDatabase(drill_url)


class Stack:
    """One running tformance: private Redis, database proxy, GitHub emulator, gunicorn and a Celery worker."""

    def __init__(self, database: DrillDatabase, log_dir: Path, **env: str) -> None:
        from github_app.emulator import EmulatorConfig, EmulatorServer

        self.database, self.db, self.log_dir = database, database.sql, log_dir
        self.redis_port, self.web_port = harness.free_port(), harness.free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.processes: list[harness.Process] = []
        self.proxy = PostgresProxy(database.host, database.port)
        self.emulator = EmulatorServer(
            EmulatorConfig(port=0, scenario="demo", webhook_secret=WEBHOOK_SECRET, webhook_url=self.webhook_url)
        )
        self.extra_env = env
        self.redis: harness.Process | None = None
        self.worker: harness.Process | None = None
        self.env: dict[str, str] = {}

    @property
    def webhook_url(self) -> str:
        return f"{self.web_url}/webhooks/github/"

    # lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Stack:
        harness.database_truncate(self.database.url)
        self.start_redis()
        self.proxy.start()
        self.emulator.start()
        app = self.emulator.app
        self.env = harness.production_env(
            WEBHOOK_SECRET,
            DATABASE_URL=self.database.url_via(self.proxy.port),
            CELERY_BROKER_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/1",
            BASE_URL=self.web_url,
            GITHUB_API_URL=self.emulator.url,
            GITHUB_WEB_URL=self.emulator.url,
            GITHUB_APP_ID=str(app.id),
            GITHUB_APP_CLIENT_ID=app.client_id,
            GITHUB_APP_CLIENT_SECRET=app.client_secret,
            GITHUB_APP_SLUG=app.slug,
            GITHUB_APP_PRIVATE_KEY=app.private_key_pem,
            IMPORT_HISTORY_DAYS="all",
            **self.extra_env,
        )
        web = self._spawn(harness.gunicorn(self.web_port, self.env, self.log_dir))
        self.start_worker()
        harness.wait_for(lambda: self._alive(web) and harness.http_up(self.webhook_url), timeout=60, what="gunicorn")
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.emulator.stop()
        self.proxy.stop()

    def _spawn(self, process: harness.Process) -> harness.Process:
        if process not in self.processes:
            self.processes.append(process)
        return process.start()

    def _alive(self, process: harness.Process) -> bool:
        if not process.running:
            raise AssertionError(f"{process.name} exited:\n{process.tail()}")
        return True

    def start_redis(self) -> None:
        self.redis = self._spawn(harness.redis_server(self.redis_port, self.log_dir))
        harness.wait_for(lambda: harness.redis_ping(self.redis_port), timeout=20, what="the private Redis")

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.stop()
        harness.wait_for(lambda: not harness.redis_ping(self.redis_port), timeout=20, what="Redis to stop")

    def wait_wakeups_given_up(self, quiet: float = 3.0) -> None:
        """Until the web processes owe the broker no wake-up: each one owed during an outage was tried and logged
        as failed, and no failure is logged for ``quiet`` seconds (a publish retries for about a second). Without
        it a wake-up still retrying when the broker returns drains the deliveries before the sweeper is asked."""
        web = next(p for p in self.processes if p.name == "gunicorn")
        seen = {"failures": -1, "since": time.monotonic()}

        def quiet_now() -> bool:
            failures = web.log_path.read_text(errors="replace").count("could not send a delivery wake-up")
            if failures != seen["failures"]:
                seen.update(failures=failures, since=time.monotonic())
            return failures > 0 and time.monotonic() - seen["since"] >= quiet

        harness.wait_for(quiet_now, timeout=60, what="the web's wake-ups to give up on the stopped broker")

    def start_worker(self) -> harness.Process:
        offset = self.worker.log_path.stat().st_size if self.worker and self.worker.log_path.exists() else 0
        self.worker = self.worker or harness.celery_worker(self.env, self.log_dir)
        self._spawn(self.worker)
        worker = self.worker
        harness.wait_for(lambda: harness.worker_ready(worker, offset), timeout=60, what="the Celery worker")
        return worker

    def diagnostics(self) -> str:
        return "\n".join(p.tail() for p in self.processes if p.name in ("gunicorn", "worker"))

    # GitHub's side ---------------------------------------------------------------------------------
    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(self.emulator.url + path, json=body or {}, timeout=60)
        assert response.status_code < 300, response.text
        return response.json()

    def github_log(self, guids: set[str] | None = None) -> list[Any]:
        """GitHub's delivery log (every attempt), oldest first."""
        with self.emulator.state.lock:
            return [d for d in self.emulator.state.deliveries if guids is None or d.guid in guids]

    def install(self, repositories: list[str], *, pull_requests: dict[str, int] | None = None) -> int:
        """The App installed on ``acme`` for ``repositories`` (created with ``pull_requests`` PRs of history);
        waits until tformance has processed ``installation.created``. Returns the installation id."""
        for full_name, count in (pull_requests or {}).items():
            owner, name = full_name.split("/")
            self.control("/_emulator/repositories", {"owner": owner, "name": name, "pull_requests": count})
        installed = self.control("/_emulator/installations", {"account": "acme", "repositories": repositories})
        self.wait_deliveries(set(installed["deliveries"]), statuses=("processed",))
        return installed["id"]

    # tformance's side ------------------------------------------------------------------------------
    def ops(self, command: str, **arguments: Any) -> Any:
        return harness.ops(self.env, command, **arguments)

    def delivery_rows(self, guids: set[str]) -> dict[str, tuple[str, int, str]]:
        rows = self.db.rows(
            "SELECT delivery_id, status, attempts, reason FROM integrations_webhookdelivery "
            "WHERE delivery_id = ANY(%s)",
            [list(guids)],
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def wait_deliveries(self, guids: set[str], *, statuses: tuple[str, ...] = ("processed",)) -> dict:
        """Until every delivery in ``guids`` is stored and in one of ``statuses``; fails fast on another end."""

        def done() -> dict | None:
            rows = self.delivery_rows(guids)
            bad = {g: r for g, r in rows.items() if r[0] in ("failed", "ignored") and r[0] not in statuses}
            assert not bad, f"deliveries ended badly: {bad}\n{self.diagnostics()}"
            return rows if len(rows) == len(guids) and all(r[0] in statuses for r in rows.values()) else None

        try:
            return harness.wait_for(done, timeout=DRILL_TIMEOUT, what=f"{len(guids)} deliveries to be {statuses}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from None

    def assert_matches_github(self, team_id: int, full_name: str) -> int:
        """Every PR GitHub has in ``full_name`` is in tformance with GitHub's latest snapshot and all its reviews
        (the emulator's live state is GitHub's truth). Returns how many PRs were compared."""
        state = self.emulator.state
        with state.lock:
            repo = state.repo_by_full_name(full_name)
            numbers = range(1, repo.next_number)
            github = {n: state.pull_request(repo, n) for n in numbers}
        expected = {
            n: (pr.updated_at.replace(microsecond=0), pr.state if not pr.merged else "merged", len(pr.reviews))
            for n, pr in github.items()
            if pr is not None
        }
        rows = self.db.rows(
            "SELECT pr.number, pr.pr_updated_at, pr.state, COUNT(r.id) FROM metrics_pullrequest pr "
            "LEFT JOIN metrics_prreview r ON r.pull_request_id = pr.id "
            "WHERE pr.team_id = %s AND pr.github_repo = %s GROUP BY pr.id",
            [team_id, full_name],
        )
        stored = {n: (updated.replace(microsecond=0), state_, reviews) for n, updated, state_, reviews in rows}
        missing = sorted(set(expected) - set(stored))
        differ = {n: (stored[n], expected[n]) for n in expected if n in stored and stored[n] != expected[n]}
        assert not missing and not differ, f"missing PRs {missing[:20]}; differing (ours, GitHub's) {differ}"
        return len(expected)

    def wait_import(self, tracked_repository_id: int, *, seen: list[str] | None = None) -> tuple:
        """Until the repository's import is done (idle with a last import); records the statuses it went through."""
        sql = "SELECT import_status, last_imported_at, import_count, import_error FROM integrations_trackedrepository"

        def done() -> tuple | None:
            row = self.db.rows(f"{sql} WHERE id = %s", [tracked_repository_id])[0]
            if seen is not None and (not seen or seen[-1] != row[0]):
                seen.append(row[0])
            assert row[0] != "failed", f"the import failed: {row}\n{self.diagnostics()}"
            return row if row[0] == "idle" and row[1] is not None else None

        try:
            return harness.wait_for(done, timeout=DRILL_TIMEOUT, interval=0.1, what="the import to finish")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.diagnostics()}") from None


@pytest.fixture
def stack(drill_database: DrillDatabase, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``stack(**env)`` starts one tformance (extra settings as env values); everything stops at teardown."""
    started: list[Stack] = []
    log_dir = Path(tempfile.mkdtemp(prefix="tformance-drill-"))

    def _start(**env: str) -> Stack:
        running = Stack(drill_database, log_dir, **env)
        started.append(running)
        return running.start()

    began = time.monotonic()
    yield _start
    try:
        for running in started:
            running.stop()
    finally:
        reports = [getattr(request.node, f"rep_{when}", None) for when in ("setup", "call")]
        if any(report is not None and report.failed for report in reports):
            print(f"drill logs kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
    print(f"{request.node.name}: {time.monotonic() - began:.1f}s", file=sys.stderr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the item, so teardown knows whether to keep the logs."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
