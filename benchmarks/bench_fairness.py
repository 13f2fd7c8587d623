"""Fair background work between teams: another team's Import now during a long import, and a Mark-as-bot flood.

Run: ``.venv/bin/python benchmarks/bench_fairness.py`` (part of ``make bench``). Starts the GitHub emulator as a
subprocess with ``acme/big`` (``BENCH_FAIRNESS_PRS``, 5,500 PRs of 3 reviews) for team A and ``beta/small``
(20 PRs) for team B, then measures, without asserting on timing:

- B's Import now alone, and while A's history import of ``acme/big`` runs (target: within 2x of alone);
- a flood of 40 Mark as bot / Undo on A's busiest reviewer: the CPU it costs the worker, and how long a recompute
  B asks for meanwhile waits until it is done.

Both on the embedded default (no broker: this process's background thread) and, when Redis answers at
``BENCH_BROKER_URL`` (default ``redis://127.0.0.1:6379/7``), with a real ``celery worker -Q
interactive,default,imports --concurrency 2`` process. The worker needs a database both processes share: set
``DATABASE_URL`` to PostgreSQL (created if missing); with the SQLite default the broker part is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.bench_import import WORK, configure, control, start_emulator  # noqa: E402

os.environ.setdefault("LOG_LEVEL", "WARNING")  # the figures, not every task's log line
PULL_REQUESTS = int(os.environ.get("BENCH_FAIRNESS_PRS", "5500"))
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/7")
FLOOD = 40


def wait_for(predicate: Callable[[], bool], timeout: float = 900.0) -> float:
    """Seconds until ``predicate()`` holds (polled every 20 ms)."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise SystemExit("timed out waiting")
        time.sleep(0.02)
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children (a prefork worker's pool processes)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Scene:
    """Two teams, each with its installation and tracked repository, on one database and one emulator."""

    def __init__(self, url: str, label: str) -> None:
        from apps.integrations.models import GitHubAppInstallation
        from apps.teams.services import team_create
        from apps.users.models import User

        self.url, self.rows = url, {}
        for key, account, name in (("a", "acme", "big"), ("b", "beta", "small")):
            owner = User.objects.create_user(email=f"{label}-{key}-{time.time_ns()}@example.com", password="x")
            team = team_create(name=f"Fairness {label} {key} {time.time_ns()}", owner=owner)
            repo_id = self.repo_ids[account]
            inst = GitHubAppInstallation.objects.get(installation_id=self.installation_ids[account])
            GitHubAppInstallation.objects.filter(pk=inst.pk).update(team=team)
            inst.repositories.get_or_create(github_repo_id=repo_id, defaults={"full_name": f"{account}/{name}"})
            self.rows[key] = (team, repo_id)

    repo_ids: dict[str, int] = {}
    installation_ids: dict[str, int] = {}

    def track(self, key: str):
        from apps.integrations.services.tracking import repository_track

        team, repo_id = self.rows[key]
        return repository_track(team=team, github_repo_id=repo_id)

    def import_now(self, tracked) -> float:
        """Seconds from pressing Import now on B's repository until its catch-up is done."""
        from apps.integrations.models import TrackedRepository
        from apps.integrations.services.tracking import tracked_repository_import_schedule

        row = TrackedRepository.objects.get(pk=tracked.pk)
        before = row.last_imported_at
        started = time.perf_counter()
        assert tracked_repository_import_schedule(tracked_repository=row, interactive=True)

        def done() -> bool:
            now = TrackedRepository.objects.get(pk=row.pk)
            return now.import_status == "idle" and now.last_imported_at != before

        wait_for(done)
        return time.perf_counter() - started


def imported(tracked) -> int:
    from apps.integrations.models import TrackedRepository

    return TrackedRepository.objects.get(pk=tracked.pk).import_count


def idle(tracked) -> bool:
    from apps.integrations.models import TrackedRepository

    return TrackedRepository.objects.get(pk=tracked.pk).import_status == "idle"


def measure(scene: Scene, label: str, worker_pid: int | None) -> None:
    from django.db.models import Count

    from apps.metrics.models import MetricsRecompute, PRReview, TeamMember
    from apps.metrics.services import team_member_mark_bot

    small = scene.track("b")
    wait_for(lambda: idle(small))
    alone = min(scene.import_now(small) for _ in range(3))
    big = scene.track("a")
    wait_for(lambda: imported(big) >= 500)
    during = [scene.import_now(small) for _ in range(3)]
    figures = ", ".join(f"{s:.2f}" for s in during)
    print(f"[{label}] B's Import now alone: {alone:.2f} s; during A's import of {PULL_REQUESTS} PRs: {figures} s "
          f"(worst {max(during) / alone:.1f}x alone; target <= 2x)")  # fmt: skip
    import_time = wait_for(lambda: idle(big))
    print(f"[{label}] A's import went on for {import_time:.0f} s more; {imported(big)} PRs")

    team_a, team_b = scene.rows["a"][0], scene.rows["b"][0]
    busiest = (
        PRReview.objects.filter(team=team_a).values("reviewer").order_by().annotate(n=Count("*")).order_by("-n").first()
    )  # fmt: skip
    member_a = TeamMember.objects.get(pk=busiest["reviewer"])
    member_b = TeamMember.objects.filter(team=team_b).first()
    cpu_before = cpu_seconds(worker_pid) if worker_pid else time.process_time()
    request_seconds = []
    for n in range(FLOOD):
        started = time.perf_counter()
        team_member_mark_bot(team=team_a, member_id=member_a.pk, is_bot=n % 2 == 0)
        request_seconds.append(time.perf_counter() - started)
    started = time.perf_counter()
    team_member_mark_bot(team=team_b, member_id=member_b.pk, is_bot=True)
    wait_for(lambda: not MetricsRecompute.objects.filter(team=team_b).exclude(status="done").exists())
    other_wait = time.perf_counter() - started
    wait_for(lambda: not MetricsRecompute.objects.filter(team=team_a).exclude(status="done").exists())
    cpu = (cpu_seconds(worker_pid) if worker_pid else time.process_time()) - cpu_before
    jobs = MetricsRecompute.objects.filter(team=team_a).count()
    print(f"[{label}] {FLOOD} Mark as bot / Undo on {member_a.github_username} ({busiest['n']} reviews): "
          f"{jobs} recompute(s) run, {'worker' if worker_pid else 'this process'} CPU {cpu:.1f} s, "
          f"slowest mark {max(request_seconds) * 1000:.0f} ms in the request; "
          f"B's recompute waited {other_wait:.2f} s")  # fmt: skip


def start_worker(database: str) -> subprocess.Popen:
    env = dict(os.environ, CELERY_BROKER_URL=BROKER_URL, DATABASE_URL=database)
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "interactive,default,imports"]
    command += ["--concurrency", "2", "--prefetch-multiplier", "1", "-n", f"fairness-{os.getpid()}@%h"]
    log = open(WORK / "worker.log", "w")  # noqa: SIM115  (kept open for the worker's life)
    process = subprocess.Popen([*command, "--loglevel", "INFO"], cwd=ROOT, env=env, stdout=log, stderr=log)
    wait_for(lambda: "ready" in (WORK / "worker.log").read_text(), timeout=60)
    return process


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(BROKER_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> None:
    emulator, url, key = start_emulator()
    try:
        for account, name, count in (("acme", "big", PULL_REQUESTS), ("beta", "small", 20)):
            control(url, "/_emulator/accounts", {"login": account, "type": "Organization"})
            repo = control(url, "/_emulator/repositories", {"owner": account, "name": name, "pull_requests": count,
                                                            "reviews_per_pr": 3})  # fmt: skip
            Scene.repo_ids[account] = repo["id"]
        engine = configure(url, key)
        from apps.integrations.models import GitHubAppInstallation
        from config.celery import app

        for account in ("acme", "beta"):
            inst = control(url, "/_emulator/installations", {"account": account, "repositories": "all"})
            Scene.installation_ids[account] = inst["id"]
            GitHubAppInstallation.objects.get_or_create(installation_id=inst["id"], defaults={"account_login": account})
        requests.delete(f"{url}/_emulator/requests", timeout=10)
        print(f"database: {engine}")

        measure(Scene(url, "embedded"), "embedded default", None)

        database = os.environ["DATABASE_URL"]
        if engine == "sqlite":
            print("[broker] skipped: set DATABASE_URL to PostgreSQL for a worker process to share the database")
            return
        if not redis_reachable():
            print(f"[broker] skipped: no Redis at {BROKER_URL}")
            return
        app.conf.broker_url, app.conf.task_always_eager = BROKER_URL, False
        with app.connection_for_write() as conn:
            for queue in ("interactive", "default", "imports"):
                conn.default_channel.queue_purge(queue)
        worker = start_worker(database)
        try:
            measure(Scene(url, "broker"), "Redis + worker", worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


if __name__ == "__main__":
    main()
