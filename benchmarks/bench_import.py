"""History import of one big repository from the GitHub emulator, through the real import code path.

Run: ``.venv/bin/python benchmarks/bench_import.py`` (part of ``make bench``). Starts the emulator as a subprocess
(so its memory is not counted), makes ``acme/bench`` with 10,000 PRs of 3 reviews each by the organization's five
members (each asked for a review: 3 review requests per PR), installs the App, links the
installation to a fresh team, tracks the repository and imports it (``tracked_repository_import``, every page) in
this process. Uses PostgreSQL when ``DATABASE_URL`` is set (the database is created if missing), else a temporary
SQLite file. Prints, without asserting on timing: GitHub requests made (target <= 210), GraphQL requests per 1,000
PRs (target <= 25, with every PR's review requests and ready/draft transitions read as timeline items), wall time,
and this process's peak memory (VmHWM; target <= 200 MB). ``BENCH_IMPORT_PRS`` sets the number of PRs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PULL_REQUESTS = int(os.environ.get("BENCH_IMPORT_PRS", "10000"))
REVIEWS_PER_PR = 3
WORK = Path(tempfile.mkdtemp(prefix="tformance-bench-import-"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_emulator() -> tuple[subprocess.Popen, str, Path]:
    port, key = free_port(), WORK / "app.pem"
    command = [sys.executable, "-m", "github_app.emulator", "--port", str(port), "--generate-key"]
    command += ["--private-key-path", str(key), "--webhook-secret", "bench-webhook-secret"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/_emulator/state", timeout=1)
            return process, url, key
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the GitHub emulator did not start")


def control(url: str, path: str, body: dict) -> dict:
    response = requests.post(url + path, json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist yet."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def configure(url: str, key: Path) -> str:
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith(("postgres://", "postgresql://")):
        ensure_database(database)
    else:
        database = os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
    os.environ.update(
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="config.settings",
        GITHUB_APP_WEBHOOK_SECRET="bench-webhook-secret",
        GITHUB_API_URL=url,
        GITHUB_WEB_URL=url,
        GITHUB_APP_ID="1",
        GITHUB_APP_PRIVATE_KEY_PATH=str(key),
        GITHUB_APP_CREDENTIALS_FILE="",
        IMPORT_HISTORY_DAYS="all",
        CELERY_BROKER_URL="",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database.split("://", 1)[0]


def main() -> None:
    emulator, url, key = start_emulator()
    try:
        # Five people who author and review each other's PRs, each reviewer asked when the PR became ready.
        people = ["alice", "bob", "carol", "dave", "erin"]
        control(url, "/_emulator/accounts", {"login": "acme", "type": "Organization", "members": people})
        repo = control(
            url,
            "/_emulator/repositories",
            {"owner": "acme", "name": "bench", "pull_requests": PULL_REQUESTS, "reviews_per_pr": REVIEWS_PER_PR},
        )
        installation = control(url, "/_emulator/installations", {"account": "acme", "repositories": "all"})
        engine = configure(url, key)
        run(url, repo["id"], installation["id"], engine)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def run(url: str, repo_id: int, installation_id: int, engine: str) -> None:
    from django.utils import timezone

    from apps.integrations.models import GitHubAppInstallation, ImportStatus, TrackedRepository
    from apps.integrations.services.import_run import tracked_repository_import
    from apps.metrics.models import PREvent, PRReview, PullRequest
    from apps.metrics.types import TimelineKind
    from apps.teams.services import team_create
    from apps.users.models import User

    owner = User.objects.create_user(email=f"bench-{time.time_ns()}@example.com", password="x")
    team = team_create(name=f"Import bench {time.time_ns()}", owner=owner)
    row = GitHubAppInstallation.objects.filter(installation_id=installation_id).first()
    if row is None:
        row = GitHubAppInstallation.objects.create(installation_id=installation_id, account_login="acme")
    GitHubAppInstallation.objects.filter(pk=row.pk).update(team=team)
    row.repositories.get_or_create(github_repo_id=repo_id, defaults={"full_name": "acme/bench"})
    # What tracking schedules (see services.tracking) with IMPORT_HISTORY_DAYS=all; the task is run right below.
    tracked = TrackedRepository.objects.create(
        team=team,
        installation=row,
        github_repo_id=repo_id,
        full_name="acme/bench",
        import_status=ImportStatus.QUEUED,
        import_started_at=timezone.now(),
    )
    requests.delete(f"{url}/_emulator/requests", timeout=10)

    started = time.perf_counter()
    status = tracked_repository_import(tracked_repository_id=tracked.pk).status  # every page, not one turn
    elapsed = time.perf_counter() - started

    served = requests.get(f"{url}/_emulator/requests", timeout=10).json()
    prs = PullRequest.objects.filter(team=team).count()
    reviews = PRReview.objects.filter(team=team).count()
    print(f"database: {engine}; import status: {status}")
    print(f"imported: {prs} PRs, {reviews} reviews (expected {PULL_REQUESTS} and {PULL_REQUESTS * REVIEWS_PER_PR})")
    smallest_pr = PullRequest.objects.filter(team=team).order_by("github_pr_id").values_list("github_pr_id", flat=True)
    smallest_review = PRReview.objects.filter(team=team).order_by("github_review_id")
    smallest_review = smallest_review.values_list("github_review_id", flat=True)
    print(
        f"smallest PR id {smallest_pr.first()}, smallest review id {smallest_review.first()} "
        f"(GitHub's ids passed 2^31 = {2**31}; read as fullDatabaseId)"
    )
    print(f"GitHub requests: {served['total']} (target <= 210) {served['by_path']}")
    graphql = sum(n for path, n in served["by_path"].items() if "graphql" in path)
    requested = PREvent.objects.filter(team=team, kind=TimelineKind.REVIEW_REQUESTED).count()
    print(f"GraphQL requests: {graphql}, {graphql * 1000 / max(prs, 1):.1f} per 1,000 PRs (target <= 25)")
    print(f"review requests imported: {requested}")
    print(f"wall time: {elapsed:.1f} s ({prs / elapsed:.0f} PRs/s)")
    print(f"peak memory (VmHWM): {peak_rss_mb():.0f} MB (target <= 200)")


if __name__ == "__main__":
    main()
