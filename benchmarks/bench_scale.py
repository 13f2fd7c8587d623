"""``make bench-scale``: the delivery table, the sweeper, pruning, the admin, reconciliation and a busy PR at scale.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--deliveries 1000000] [--installations 2000] [--repositories 50000]``
on PostgreSQL (``BENCH_SCALE_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/tformance_bench_scale``,
created and migrated here; the deliveries are seeded once and kept between runs). ``BENCH_SCALE_BROKER_URL``
(for example ``redis://127.0.0.1:6379/13``) makes the sweeper publish to a real broker (the queue is purged
after); by default it publishes to Celery's in-memory transport. GitHub is the emulator, in this process.

Prints, for each part, what the issue's "done when" asks: admin pages in ms; pruning payloads (day partitions
dropped, payloads dropped, statements run: no UPDATE, and the plan of the one query that reads deliveries, an index
range of a day) and expiring a day's rows; ingest (audit row and body in one statement); a 100,000-delivery backlog
queued by
the sweeper; reconciliation of unchanged installations (statements, UPDATEs, GitHub calls, longest transaction);
and the processing time of a busy PR's 2nd and 2,000th review, with the review rows each reads. No timing is
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from github_app.emulator import EmulatorConfig, EmulatorServer  # noqa: E402

GH = EmulatorServer(EmulatorConfig(port=0, scenario="demo", webhook_url="http://127.0.0.1:9/")).start()
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("GITHUB_APP_WEBHOOK_SECRET", "bench-webhook-secret")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tformance_bench_scale"
)
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("REDIS_URL", None)  # tokens in this process's memory
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.update(
    GITHUB_API_URL=GH.url,
    GITHUB_WEB_URL=GH.url,
    GITHUB_APP_ID=str(GH.app.id),
    GITHUB_APP_PRIVATE_KEY=GH.app.private_key_pem,
)

from benchmarks.bench_metrics import ensure_database  # noqa: E402
from benchmarks.emulated_orgs import emulated_installations  # noqa: E402

ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.integrations.github import http_session  # noqa: E402
from apps.integrations.models import (  # noqa: E402
    DeliveryStatus,
    GitHubAppInstallation,
    TrackedRepository,
    WebhookDelivery,
)
from apps.integrations.services import lifecycle, payload_partitions, reconcile  # noqa: E402
from apps.integrations.services.deliveries import deliveries_sweep_pending, delivery_parse, delivery_record  # noqa: E402
from apps.integrations.services.processing import delivery_process  # noqa: E402
from apps.teams.models import Team  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from github_app.emulator.payloads import pull_request_event, pull_request_review_event  # noqa: E402

BACKLOG = 100_000
DAYS = 60  # seeded deliveries spread over this many days


class Statements:
    """Counts statements (and UPDATEs) and the longest stretch spent inside one transaction."""

    def __init__(self) -> None:
        self.count = self.updates = 0
        self.longest_transaction = 0.0
        self._opened: float | None = None

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.updates += sql.lstrip().upper().startswith("UPDATE")
        if connection.in_atomic_block and self._opened is None:
            self._opened = time.perf_counter()
        result = execute(sql, params, many, context)
        return result

    def commit_seen(self) -> None:
        if self._opened is not None:
            self.longest_transaction = max(self.longest_transaction, time.perf_counter() - self._opened)
            self._opened = None


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def seed_deliveries(total: int) -> None:
    """``total`` deliveries over ``DAYS`` days, each with its body (600 bytes) in the payload table, in the day
    partitions of those days; ``BACKLOG`` of them pending, a few hundred failed. In SQL, so a million take a minute,
    not an hour of webhook requests."""
    have = WebhookDelivery.objects.count()
    if have >= total:
        print(f"deliveries: {have:,} already seeded")
        return
    started = time.perf_counter()
    payload_partitions.payload_partitions_ensure(since=(timezone.now() - timedelta(days=DAYS + 1)).date())
    body = json.dumps({"action": "submitted", "filler": "x" * 560})
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO integrations_webhookdelivery (delivery_id, event, action, installation_id, target_type,
                received_at, status, reason, attempts, processed_at)
            SELECT md5(random()::text || g::text),
                (ARRAY['pull_request', 'pull_request_review', 'push', 'check_run'])[1 + g %% 4],
                'submitted', 1000 + g %% 2000, 'Organization',
                now() - make_interval(secs => (%s - g) * (%s::float / %s)),
                CASE WHEN g > %s - %s THEN 'pending' WHEN g %% 5000 = 0 THEN 'failed' ELSE 'processed' END,
                '', 1, NULL
            FROM generate_series(%s, %s) AS g
            """,
            [total, DAYS * 86400, total, total, BACKLOG, have + 1, total],
        )
        cursor.execute(
            "INSERT INTO integrations_webhookpayload (delivery_id, received_at, body)"
            " SELECT id, received_at, %s FROM integrations_webhookdelivery"
            " WHERE id > (SELECT coalesce(max(delivery_id), 0) FROM integrations_webhookpayload)",
            [body],
        )
        cursor.execute("VACUUM ANALYZE integrations_webhookdelivery")
        cursor.execute("VACUUM ANALYZE integrations_webhookpayload")
    print(f"deliveries: seeded {total - have:,} with their payloads in {time.perf_counter() - started:.0f} s")


def bench_ingest(count: int = 2_000) -> None:
    """The webhook's INSERT (one statement, ``delivery_record``: the audit row and its body) into the full tables."""
    celery_app.conf.task_always_eager = False  # stored as the webhook stores them; processing is not timed here
    body = json.dumps({"action": "opened", "filler": "x" * 2000}).encode()
    started = time.perf_counter()
    pks = []
    for _ in range(count):
        headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": str(uuid.uuid4())}
        pks.append(delivery_record(incoming=delivery_parse(headers=headers, body=body)))
    elapsed = time.perf_counter() - started
    print(
        f"ingest: {count:,} deliveries recorded in {elapsed:.2f} s = {elapsed / count * 1000:.2f} ms each"
        " (one statement: the audit row's INSERT feeding the payload's)"
    )
    WebhookDelivery.objects.filter(pk__in=pks).update(status=DeliveryStatus.PROCESSED)


def bench_sweeper() -> None:
    """The broker came back: how long until the pending backlog is queued (older than the grace period)."""
    broker = os.environ.get("BENCH_SCALE_BROKER_URL", "memory://localhost/")
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = broker, False
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count()
    started, queued, runs, after = time.perf_counter(), 0, 0, None
    while True:
        result = deliveries_sweep_pending(older_than=timedelta(0), after=after)
        queued, runs, after = queued + result.queued, runs + 1, result.resume_after
        if after is None:
            break
    elapsed = time.perf_counter() - started
    print(
        f"sweeper: {queued:,} of {pending:,} pending deliveries queued in {elapsed:.1f} s "
        f"({runs} run(s) of at most WEBHOOK_SWEEP_SECONDS; broker {broker.split('://')[0]})"
    )
    if broker.startswith("redis"):
        with celery_app.connection_for_write(broker) as conn:
            purged = conn.default_channel.queue_purge("webhooks") or 0
        print(f"  (purged {purged:,} messages from the bench broker)")


def explain(sql: str, params: list, lines: int = 3) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return " / ".join(row[0].strip() for row in cursor.fetchall()[:lines])


def bench_prune() -> None:
    """Payloads past the retention dropped on the 1M-delivery table: the oldest day's partition alone, then every
    day past the retention; each in a transaction rolled back, so the next run has the same tables. Counts the
    statements by kind: dropping partitions is DDL, no UPDATE and no DELETE outside the DEFAULT partition."""
    days = lifecycle.settings.WEBHOOK_PAYLOAD_RETENTION_DAYS
    partitions = payload_partitions.payload_partitions()
    if not partitions:
        print("prune: no day partitions (not PostgreSQL?)")
        return
    first_row = WebhookDelivery.objects.order_by("received_at").values_list("received_at", flat=True).first()
    full_days = [day for day in partitions if first_row and payload_partitions.day_bounds(day)[0] >= first_row]
    oldest = min(full_days or partitions)  # the oldest day holding a whole day's deliveries
    start, end = payload_partitions.day_bounds(oldest)
    plan = explain(
        f"SELECT p.* FROM {partitions[oldest]} p JOIN integrations_webhookdelivery d ON d.id = p.delivery_id"
        " AND d.received_at = p.received_at WHERE d.received_at >= %s AND d.received_at < %s"
        " AND d.status <> ALL(%s)",
        [start, end, ["processed", "ignored"]],
        lines=8,
    )
    one_day = max(days, (timezone.now() - end).days)  # the oldest full day (and any emptier before it) is past this
    for label, older_than in (
        (f"through the oldest full day ({oldest})", one_day),
        (f"every day past {days} days", days),
    ):
        statements = Statements()
        started = time.perf_counter()
        with transaction.atomic(), connection.execute_wrapper(statements):
            result = lifecycle.delivery_payloads_prune_run(older_than_days=older_than)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        print(
            f"prune {label}: {result.partitions} partition(s), {result.payloads:,} payloads dropped in {ms(elapsed)};"
            f" {statements.count} statements, {statements.updates} UPDATEs (rolled back)"
        )
    print(f"  the day's kept bodies (pending, failed) are read by: {plan}")
    oldest_row = WebhookDelivery.objects.order_by("received_at").values_list("received_at", flat=True).first()
    age = (timezone.now() - oldest_row).days if oldest_row else 0
    started = time.perf_counter()
    with transaction.atomic():
        expired = lifecycle.deliveries_expire(older_than_days=age - 1)
        transaction.set_rollback(True)  # measured, not kept: the next run has the same table
    print(f"expire: a day's audit rows ({expired:,}) deleted in {ms(time.perf_counter() - started)} (rolled back)")


def bench_admin() -> None:
    """The deliveries changelist as a staff user sees it."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        email="bench-admin@example.com",
        defaults={"username": "bench-admin", "is_staff": True, "is_superuser": True},
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    some = WebhookDelivery.objects.order_by("-received_at").values_list("delivery_id", flat=True)[5000]
    pages = {
        "list": "",
        "failed": "?status__exact=failed",
        "search (exact id)": f"?q={some}",
        "page 50": "?p=50",
        "pending": "?status__exact=pending",
    }
    client.get("/admin/integrations/webhookdelivery/")  # warm the process, not the database
    figures = []
    for name, query in pages.items():
        started = time.perf_counter()
        response = client.get(f"/admin/integrations/webhookdelivery/{query}")
        figures.append(f"{name} {ms(time.perf_counter() - started)} ({response.status_code})")
    pk = WebhookDelivery.objects.get(delivery_id=some).pk
    started = time.perf_counter()
    response = client.get(f"/admin/integrations/webhookdelivery/{pk}/change/")
    figures.append(f"a delivery's page, its payload read {ms(time.perf_counter() - started)} ({response.status_code})")
    print(f"admin at {WebhookDelivery.objects.count():,} deliveries: " + "; ".join(figures))


def bench_reconcile(installations: int, repositories: int) -> None:
    started = time.perf_counter()
    ids = emulated_installations(GH, installations, repositories // installations)
    GitHubAppInstallation.objects.filter(installation_id__in=ids).delete()
    took = time.perf_counter() - started
    print(f"reconcile: the emulator has {len(ids):,} installations / {repositories:,} repositories ({took:.0f} s)")
    calls: list[int] = []
    http_session().hooks["response"].append(lambda response, *a, **k: calls.append(1))

    started = time.perf_counter()
    first = reconcile.installations_reconcile()
    took = time.perf_counter() - started
    print(
        f"  first run (everything new): {first.installations_seen:,} installations, "
        f"{first.repositories_added:,} repositories added in {took:.0f} s, {len(calls):,} GitHub calls"
    )
    for label, run in (
        ("unchanged, all at once (command)", lambda: reconcile.installations_reconcile()),
        (
            "unchanged, hourly slots (24 runs, one task each)",
            lambda: [reconcile.installations_reconcile_due(hour=h) for h in range(24)],
        ),
    ):
        statements, calls[:] = Statements(), []
        original_apply = reconcile.installation_state_apply

        def timed_apply(*, state, _original=original_apply, _s=statements):
            result = _original(state=state)
            _s.commit_seen()
            return result

        reconcile.installation_state_apply = timed_apply
        celery_app.conf.task_always_eager = True
        started = time.perf_counter()
        with connection.execute_wrapper(statements):
            run()
        elapsed = time.perf_counter() - started
        reconcile.installation_state_apply = original_apply
        print(
            f"  {label}: {elapsed:.0f} s, {statements.count:,} SQL statements "
            f"({statements.count / installations:.1f} per installation), {statements.updates} UPDATEs, "
            f"{len(calls):,} GitHub calls, longest transaction {ms(statements.longest_transaction)}"
        )


def bench_busy_pr(reviews: int) -> None:
    """A PR's 2nd and ``reviews``-th review event: processing must not grow with the PR's history."""
    celery_app.conf.task_always_eager = False
    name = f"busy{int(time.time())}"
    state = GH.state
    repo = state.add_repository("acme", name, pull_requests=1, reviews_per_pr=1)
    from github_app.emulator.installations import installation_install

    inst, _, _ = installation_install(state, GH.app, "acme", [repo.id], "octo-admin")
    pr = state.pull_request(repo, 1)
    review = pr.reviews[0]
    team = Team.objects.create(name=f"Bench {name}", slug=f"bench-{name}")
    installation, _ = GitHubAppInstallation.objects.update_or_create(
        installation_id=inst.id, defaults={"team": team, "account_login": "acme"}
    )
    TrackedRepository.objects.create(
        team=team, installation=installation, github_repo_id=repo.id, full_name=repo.full_name
    )

    def stored(event: str, payload: dict) -> int:
        headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4())}
        return delivery_record(incoming=delivery_parse(headers=headers, body=json.dumps(payload).encode()))

    delivery_process(delivery_pk=stored("pull_request", pull_request_event(state, repo, pr, inst, "opened", pr.user)))
    template = pull_request_review_event(state, repo, pr, review, inst, "submitted", review.user)
    humans = sorted(state.account("acme").members)
    timings: list[float] = []
    rows: list[int] = []
    for n in range(1, reviews + 1):
        payload = json.loads(json.dumps(template))
        payload["review"]["id"] = 9_000_000_000 + n
        payload["review"]["node_id"] = f"PRR_bench{n}"
        payload["review"]["submitted_at"] = (pr.created_at + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        who = state.account(humans[n % len(humans)])
        payload["review"]["user"] = {**payload["review"]["user"], "login": who.login, "id": who.id}
        pk = stored("pull_request_review", payload)
        analyze_as_autovacuum_would("metrics_prreview")
        before = reviews_read()
        started = time.perf_counter()
        delivery_process(delivery_pk=pk)
        timings.append(time.perf_counter() - started)
        rows.append(reviews_read() - before)

    def avg(values: list[float]) -> str:
        return f"{sum(values) / len(values) * 1000:.1f} ms"

    def avg_rows(values: list[int]) -> str:
        return f"{sum(values) / len(values):,.0f}"

    print(
        f"busy PR: review events 2-21 {avg(timings[1:21])} each; {reviews - 19}-{reviews} {avg(timings[-20:])} each "
        f"({reviews:,} reviews on one PR)"
    )
    print(
        f"  review rows read per event (table and index entries): 2-21 {avg_rows(rows[1:21])}; "
        f"{reviews - 19}-{reviews} {avg_rows(rows[-20:])}"
    )


def analyze_as_autovacuum_would(table: str) -> None:
    """ANALYZE once 50 rows plus 10% of the table changed since the last time, as autovacuum does by default.

    A server for benchmarks may run without autovacuum; without statistics the planner guesses that almost every
    review holds a response time and may choose a larger index than the one kept for those few.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0) FROM pg_stat_user_tables s "
            "JOIN pg_class c ON c.oid = s.relid WHERE s.relid = %s::regclass",
            [table],
        )
        if cursor.fetchone()[0]:
            cursor.execute(f"ANALYZE {table}")


def reviews_read() -> int:
    """Review rows and index entries PostgreSQL has read so far: what an event costs that grows with history.

    Statistics reach the shared counters when a session goes idle, at most once a second; the forced flush makes
    the previous transaction's counts visible to the next statement.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT (SELECT COALESCE(seq_tup_read, 0) FROM pg_stat_user_tables WHERE relid = %s::regclass)"
            " + (SELECT COALESCE(SUM(idx_tup_read), 0) FROM pg_stat_user_indexes WHERE relid = %s::regclass)",
            ["metrics_prreview", "metrics_prreview"],
        )
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--installations", type=int, default=2_000)
    parser.add_argument("--repositories", type=int, default=50_000)
    parser.add_argument("--reviews", type=int, default=2_000)
    parser.add_argument("--parts", default="admin,ingest,prune,sweeper,reconcile,busy-pr", help="comma-separated")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    try:
        seed_deliveries(args.deliveries)
        for name, run in (
            ("admin", bench_admin),
            ("ingest", bench_ingest),
            ("prune", bench_prune),
            ("sweeper", bench_sweeper),
            ("reconcile", lambda: bench_reconcile(args.installations, args.repositories)),
            ("busy-pr", lambda: bench_busy_pr(args.reviews)),
        ):
            if name in parts:
                run()
    finally:
        GH.stop()


if __name__ == "__main__":
    main()
