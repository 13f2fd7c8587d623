"""Load test of the webhook path as it runs in production, then an audit of invariant 1 (stored exactly once).

Run: ``make loadtest`` (or ``.venv/bin/python benchmarks/loadtest.py``). Needs PostgreSQL (``LOADTEST_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/tformance_loadtest``, created and migrated here) and ``redis-server``
(a private one is started on a free port, as broker and cache).

What runs: gunicorn (``config.wsgi``, gthread) + a Celery worker (prefork) + PostgreSQL + Redis, with the GitHub
emulator in this process as GitHub. The App is installed on ``acme``, linked to a team, and ``acme/load`` is
tracked, so deliveries do real work (PRs, reviews, timeline), not just "ignored".

The sender is the emulator's own delivery machinery (``github_app.emulator.webhooks``), called from a pool of
``LOADTEST_CONCURRENCY`` threads: ``deliver()`` signs and POSTs a payload exactly as GitHub does and logs the
attempt; ``redeliver()`` resends an earlier delivery with the same ``X-GitHub-Delivery`` (GitHub's "Redeliver");
bad signatures come from a copy of the App that holds the wrong webhook secret. Payloads are the emulator's
``pull_request`` / ``pull_request_review`` payloads for the PRs of ``acme/load`` (real shapes, 8-12 KB).

Of ``LOADTEST_DELIVERIES`` (20,000): 1 % bad signatures, 10 % redeliveries of an earlier delivery (sent after
that one was answered), the rest new. Then it waits for the worker to drain and audits: every good delivery
stored exactly once and processed once, none lost, none duplicated; every bad signature answered 401 and not
stored. Prints accepted/s and latency percentiles (measured around each send, client signing included), the
drain time, and the audit; exits 1 when the audit fails. Then a steady phase (``LOADTEST_LAG_DELIVERIES`` new
deliveries at ``LOADTEST_LAG_RATE`` a second) and, for both phases, the time from GitHub beginning to send a
delivery to its processing committed (``processed_at``), p50 and p99, with one webhook worker process
(``LOADTEST_CELERY_CONCURRENCY``, default 1).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from github_app.emulator import EmulatorConfig, EmulatorServer  # noqa: E402
from github_app.emulator.models import Delivery  # noqa: E402
from github_app.emulator.payloads import pull_request_event, pull_request_review_event  # noqa: E402
from github_app.emulator.webhooks import redeliver  # noqa: E402
from tests.drills import harness  # noqa: E402 - the drills' process helpers: one way to start the stack

TOTAL = int(os.environ.get("LOADTEST_DELIVERIES", "20000"))
CONCURRENCY = int(os.environ.get("LOADTEST_CONCURRENCY", "32"))
REDELIVERY_SHARE, BAD_SHARE = 0.10, 0.01
DATABASE_URL = os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tformance_loadtest")
WEB_WORKERS = os.environ.get("LOADTEST_WEB_WORKERS", "3")
CELERY_CONCURRENCY = os.environ.get("LOADTEST_CELERY_CONCURRENCY", "1")  # one webhook worker process
LAG_DELIVERIES = int(os.environ.get("LOADTEST_LAG_DELIVERIES", "600"))
LAG_RATE = float(os.environ.get("LOADTEST_LAG_RATE", "30"))  # deliveries per second in the steady phase
DRAIN_TIMEOUT = float(os.environ.get("LOADTEST_DRAIN_TIMEOUT", "900"))
SECRET = "loadtest-webhook-secret"
SEED = 2026


@dataclasses.dataclass
class Item:
    """One send: ``new`` (a fresh delivery), ``redelivery`` of item ``original``, or ``bad`` (wrong secret)."""

    kind: str
    event: str = ""
    payload: dict[str, Any] | None = None
    original: int = -1
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    delivery: Delivery | None = None
    latency: float = 0.0
    sent_at: float = 0.0  # wall clock when the send began, to compare with the stored processed_at


def build_payloads(gh: EmulatorServer, full_name: str, installation_id: int, count: int) -> list[tuple[str, dict]]:
    """``count`` payloads: for each PR of the repository its ``pull_request`` event, then one per review."""
    state = gh.state
    repo, inst = state.repo_by_full_name(full_name), state.installations[installation_id]
    payloads: list[tuple[str, dict]] = []
    for number in itertools.count(1):
        pr = state.pull_request(repo, number)
        if pr is None:
            raise SystemExit(f"{full_name} has too few PRs for {count} deliveries")
        action = "closed" if pr.state == "closed" else "opened"
        payloads.append(("pull_request", pull_request_event(state, repo, pr, inst, action, pr.user)))
        for review in pr.reviews:
            payloads.append(
                (
                    "pull_request_review",
                    pull_request_review_event(state, repo, pr, review, inst, "submitted", review.user),
                )
            )
        if len(payloads) >= count:
            return payloads[:count]
    raise AssertionError("unreachable")


def plan(payloads: list[tuple[str, dict]], total: int) -> list[Item]:
    """Interleave new deliveries, redeliveries of earlier ones, and bad signatures (seeded, reproducible)."""
    rng = random.Random(SEED)  # a reproducible mix, not a secret
    bad, redeliveries = round(total * BAD_SHARE), round(total * REDELIVERY_SHARE)
    kinds = ["new"] * (total - bad - redeliveries) + ["bad"] * bad + ["redelivery"] * redeliveries
    rng.shuffle(kinds)
    while kinds.index("new") > kinds.index("redelivery"):  # the first redelivery needs an earlier delivery
        rng.shuffle(kinds)
    items: list[Item] = []
    fresh = iter(payloads)
    new_positions: list[int] = []
    for position, kind in enumerate(kinds):
        if kind == "redelivery":
            items.append(Item("redelivery", original=rng.choice(new_positions)))
            continue
        event, payload = next(fresh) if kind == "new" else payloads[rng.randrange(len(payloads))]
        items.append(Item(kind, event, payload))
        if kind == "new":
            new_positions.append(position)
    return items


def send_all(gh: EmulatorServer, items: list[Item], rate: float = 0.0) -> float:
    """Send every item from ``CONCURRENCY`` threads, as fast as they go or ``rate`` a second; returns the wall
    time of the whole send."""
    intruder = dataclasses.replace(gh.app, id=gh.app.id + 10_000, webhook_secret="not-the-webhook-secret")
    next_index = itertools.count()
    lock = threading.Lock()

    def one(item: Item) -> None:
        if item.kind == "redelivery":
            original = items[item.original]
            if not original.done.wait(timeout=60) or original.delivery is None:
                item.done.set()
                return
        started = time.perf_counter()
        item.sent_at = time.time()
        if item.kind == "redelivery":
            item.delivery = redeliver(gh.state, gh.app, items[item.original].delivery)
        else:
            item.delivery = gh.deliver(item.event, item.payload, app=intruder if item.kind == "bad" else None)
        item.latency = time.perf_counter() - started
        item.done.set()

    def run() -> None:
        while True:
            with lock:
                index = next(next_index)
            if index >= len(items):
                return
            if rate:
                time.sleep(max(0.0, started + index / rate - time.perf_counter()))
            one(items[index])

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        futures = [pool.submit(run) for _ in range(CONCURRENCY)]
        next_report = started + 10
        while not all(f.done() for f in futures):
            time.sleep(0.2)
            if time.perf_counter() > next_report:
                next_report += 10
                print(f"  sent {sum(i.done.is_set() for i in items)} of {len(items)}", flush=True)
        for future in futures:
            future.result()
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


class Stack:
    """gunicorn + Celery worker + private Redis against the load-test database, with the emulator as GitHub."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir, self.processes = log_dir, []
        self.redis_port, self.web_port = harness.free_port(), harness.free_port()
        webhook_url = f"http://127.0.0.1:{self.web_port}/webhooks/github/"
        self.gh = EmulatorServer(
            EmulatorConfig(port=0, scenario="demo", webhook_secret=SECRET, webhook_url=webhook_url)
        )
        self.db = harness.Database(harness.postgres_url_for(DATABASE_URL, urlpath_name(DATABASE_URL)))
        self.env: dict[str, str] = {}

    def start(self) -> None:
        admin = harness.postgres_url_for(DATABASE_URL, "postgres")
        harness.database_create(admin, urlpath_name(DATABASE_URL))
        migrate_env = harness.production_env(SECRET, DATABASE_URL=DATABASE_URL)
        harness.manage(migrate_env, "migrate", "--noinput", "-v0")
        harness.database_truncate(self.db.url)
        self.processes.append(harness.redis_server(self.redis_port, self.log_dir).start())
        harness.wait_for(lambda: harness.redis_ping(self.redis_port), timeout=20, what="Redis")
        self.gh.start()
        app = self.gh.app
        self.env = harness.production_env(
            SECRET,
            DATABASE_URL=DATABASE_URL,
            CELERY_BROKER_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/1",
            GITHUB_API_URL=self.gh.url,
            GITHUB_WEB_URL=self.gh.url,
            GITHUB_APP_ID=str(app.id),
            GITHUB_APP_PRIVATE_KEY=app.private_key_pem,
            GITHUB_APP_SLUG=app.slug,
            IMPORT_HISTORY_DAYS="1",  # the tracked repository's import stays small; the load is the webhooks
        )
        web = harness.gunicorn(self.web_port, self.env, self.log_dir)
        web.command[web.command.index("--workers") + 1] = WEB_WORKERS
        worker = harness.celery_worker(self.env, self.log_dir)
        worker.command[worker.command.index("solo")] = "prefork"
        worker.command += ["--concurrency", CELERY_CONCURRENCY]
        for process in (web, worker):
            self.processes.append(process.start())
        harness.wait_for(lambda: harness.http_up(f"http://127.0.0.1:{self.web_port}/"), timeout=60, what="gunicorn")
        harness.wait_for(lambda: harness.worker_ready(worker), timeout=60, what="the Celery worker")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.gh.stop()


def urlpath_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def control(gh: EmulatorServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    import requests

    response = requests.post(gh.url + path, json=body, timeout=120)
    response.raise_for_status()
    return response.json()


def prepare_team(stack: Stack, pull_requests: int) -> int:
    """Install the App on acme for ``acme/load``, link it to a team and track the repository."""
    control(stack.gh, "/_emulator/repositories", {"owner": "acme", "name": "load", "pull_requests": pull_requests})
    installed = control(stack.gh, "/_emulator/installations", {"account": "acme", "repositories": ["acme/load"]})
    setup = installed["deliveries"]
    sql = "SELECT COUNT(*) FROM integrations_webhookdelivery WHERE delivery_id = ANY(%s) AND status = 'processed'"
    harness.wait_for(lambda: stack.db.value(sql, [setup]) == len(setup), timeout=120, what="installation.created")
    linked = harness.ops(stack.env, "link", installation_id=installed["id"], repositories=["acme/load"])
    tracked = linked["tracked"]["acme/load"]
    idle = (
        "SELECT import_status = 'idle' AND last_imported_at IS NOT NULL FROM integrations_trackedrepository WHERE id=%s"
    )
    harness.wait_for(lambda: stack.db.value(idle, [tracked]), timeout=300, what="the first import")
    return installed["id"]


def drain(stack: Stack, started: float) -> float:
    """Wait until the worker has processed every stored delivery; returns seconds since ``started``."""
    sql = "SELECT COUNT(*) FROM integrations_webhookdelivery WHERE status IN ('pending', 'processing')"
    last_report = 0.0
    while (left := stack.db.value(sql)) > 0:
        if time.monotonic() - started > DRAIN_TIMEOUT:
            print(f"  drain timed out with {left} deliveries not processed")
            break
        if time.monotonic() - last_report > 10:
            print(f"  draining: {left} deliveries left", flush=True)
            last_report = time.monotonic()
        time.sleep(0.5)
    return time.monotonic() - started


def audit(stack: Stack, items: list[Item]) -> dict[str, int]:
    """Compare GitHub's side (the emulator's delivery log, kept on each item) with the stored deliveries."""
    new = [i for i in items if i.kind == "new"]
    bad = [i for i in items if i.kind == "bad"]
    redeliveries = [i for i in items if i.kind == "redelivery"]
    good_guids = {i.delivery.guid for i in new if i.delivery}
    bad_guids = {i.delivery.guid for i in bad if i.delivery}
    rows = stack.db.rows(
        "SELECT delivery_id, status, attempts FROM integrations_webhookdelivery WHERE delivery_id = ANY(%s)",
        [list(good_guids | bad_guids)],
    )
    stored = {r[0]: (r[1], r[2]) for r in rows}
    duplicated = stack.db.value(
        "SELECT COUNT(*) FROM (SELECT delivery_id FROM integrations_webhookdelivery GROUP BY delivery_id "
        "HAVING COUNT(*) > 1) d"
    )
    answered_2xx = {i.delivery.guid for i in new if i.delivery and 200 <= (i.delivery.status_code or 0) < 300}
    return {
        "good deliveries sent": len(new),
        "good answered 202": sum(1 for i in new if i.delivery and i.delivery.status_code == 202),
        "good answered other (errors)": sum(1 for i in new if not i.delivery or i.delivery.status_code != 202),
        "good stored": sum(1 for g in good_guids if g in stored),
        "lost (answered 2xx, not stored)": len(answered_2xx - set(stored)),
        "duplicated rows": duplicated,
        "processed once": sum(1 for g in good_guids if stored.get(g, ("", 0))[1] == 1),
        "processed more than once": sum(1 for g in good_guids if stored.get(g, ("", 0))[1] > 1),
        "ended processed": sum(1 for g in good_guids if stored.get(g, ("",))[0] == "processed"),
        "ended ignored": sum(1 for g in good_guids if stored.get(g, ("",))[0] == "ignored"),
        "ended failed": sum(1 for g in good_guids if stored.get(g, ("",))[0] == "failed"),
        "not finished": sum(1 for g in good_guids if stored.get(g, ("",))[0] in ("pending", "processing")),
        "redeliveries sent": len(redeliveries),
        "redeliveries answered 200 (duplicate)": sum(
            1 for i in redeliveries if i.delivery and i.delivery.status_code == 200
        ),
        "bad signatures sent": len(bad),
        "bad signatures answered 401": sum(1 for i in bad if i.delivery and i.delivery.status_code == 401),
        "bad signatures stored": sum(1 for g in bad_guids if g in stored),
    }


def processing_lags(stack: Stack, items: list[Item]) -> list[float]:
    """Seconds from GitHub beginning to send each new delivery to its processing committed (``processed_at``)."""
    sent = {i.delivery.guid: i.sent_at for i in items if i.kind == "new" and i.delivery}
    rows = stack.db.rows(
        "SELECT delivery_id, EXTRACT(EPOCH FROM processed_at) FROM integrations_webhookdelivery "
        "WHERE delivery_id = ANY(%s) AND processed_at IS NOT NULL",
        [list(sent)],
    )
    return [float(processed) - sent[guid] for guid, processed in rows]


def lag_line(label: str, lags: list[float]) -> str:
    millis = [lag * 1000 for lag in lags]
    return (
        f"{label}: p50 {percentile(millis, 50):.0f} ms  p99 {percentile(millis, 99):.0f} ms  "
        f"max {max(millis, default=0):.0f} ms ({len(millis)} deliveries)"
    )


def passed(counts: dict[str, int]) -> bool:
    sent = counts["good deliveries sent"]
    return (
        counts["good answered 202"] == counts["good stored"] == counts["processed once"] == sent
        and counts["ended processed"] + counts["ended ignored"] == sent
        and counts["lost (answered 2xx, not stored)"] == counts["duplicated rows"] == 0
        and counts["processed more than once"] == counts["ended failed"] == counts["not finished"] == 0
        and counts["redeliveries answered 200 (duplicate)"] == counts["redeliveries sent"]
        and counts["bad signatures answered 401"] == counts["bad signatures sent"]
        and counts["bad signatures stored"] == 0
    )


def main() -> None:
    log_dir = Path(tempfile.mkdtemp(prefix="tformance-loadtest-"))
    stack = Stack(log_dir)
    try:
        stack.start()
        new_count = TOTAL - round(TOTAL * BAD_SHARE) - round(TOTAL * REDELIVERY_SHARE)
        installation_id = prepare_team(stack, pull_requests=(new_count + LAG_DELIVERIES) // 3 + 100)
        payloads = build_payloads(stack.gh, "acme/load", installation_id, new_count + LAG_DELIVERIES)
        items = plan(payloads[:new_count], TOTAL)
        print(f"sending {TOTAL} deliveries at concurrency {CONCURRENCY} (logs: {log_dir})", flush=True)
        send_started, cpu_started = time.monotonic(), time.process_time()
        wall = send_all(stack.gh, items)
        sender_cpu = time.process_time() - cpu_started
        accepted = sum(1 for i in items if i.delivery and i.delivery.status_code == 202)
        latencies = [i.latency * 1000 for i in items if i.delivery]
        drained = drain(stack, send_started)
        counts = audit(stack, items)
        burst_lags = processing_lags(stack, items)
        print(f"steady phase: {LAG_DELIVERIES} new deliveries at {LAG_RATE:.0f}/s", flush=True)
        steady = [Item("new", event, payload) for event, payload in payloads[new_count:]]
        send_all(stack.gh, steady, rate=LAG_RATE)
        drain(stack, time.monotonic())
        steady_lags = processing_lags(stack, steady)
    except BaseException:
        print("\n".join(p.tail() for p in stack.processes))
        raise
    finally:
        stack.stop()
    print(f"\nPOST /webhooks/github/: gunicorn ({WEB_WORKERS} gthread workers x 4 threads), PostgreSQL, Redis,")
    print(f"Celery worker (prefork x {CELERY_CONCURRENCY}); sender: the GitHub emulator's deliver()/redeliver()")
    print(f"sent {len(items)} in {wall:.1f}s: {len(items) / wall:.0f} requests/s, {accepted / wall:.0f} accepted/s")
    print(
        f"latency ms: p50 {percentile(latencies, 50):.1f}  p90 {percentile(latencies, 90):.1f}  "
        f"p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}"
    )
    print(f"the sender itself used {sender_cpu:.0f}s of CPU in those {wall:.0f}s ({sender_cpu / wall:.1f} cores)")
    print(f"all processed {drained:.1f}s after the first send ({accepted / drained:.0f} deliveries/s end to end)")
    print(f"\nfrom GitHub sending a delivery to its processing, one webhook worker (prefork x {CELERY_CONCURRENCY}):")
    print("  " + lag_line("burst above (backlog included)", burst_lags))
    print("  " + lag_line(f"steady {LAG_RATE:.0f} deliveries/s", steady_lags))
    print("\naudit")
    for name, value in counts.items():
        print(f"  {name:42} {value:7d}")
    ok = passed(counts)
    print("\nPASS: every good delivery stored and processed exactly once; bad signatures refused" if ok else "\nFAIL")
    if ok:
        import shutil

        shutil.rmtree(log_dir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
