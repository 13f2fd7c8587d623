"""Metrics core throughput and dashboard latency on PostgreSQL.

Run: ``.venv/bin/python benchmarks/bench_metrics.py``. Uses ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/tformance_bench``), creating the database and migrating it if needed.
Prints, without asserting on timing:

- events per second for a replay of 10,000 webhook-style events through ``pull_request_upsert`` /
  ``review_upsert`` (2,000 PRs: opened, review requested, two reviews, merged), written as a worker's drain
  writes them (50 events per transaction, one ``pull_requests_write``) and one transaction per event; and the reviews of
  one PR as it grows to 2,000 reviews (its last should cost what its first did);
- PRs per second for the import path, ``pull_requests_import`` of 10,000 PRs with 3 reviews each;
- the dashboard's render time and query count (median of several renders through the Django test client) over
  the last 30 days, the last 365 days and the longest range the form accepts, and a deep page of the PR table,
  for a team with 100,000 PRs and 300,000 reviews (target < 300 ms, at most 20 queries), with the CPU time one
  render costs this process and PostgreSQL's processes (when they run here; whatever else they do meanwhile
  counts too, so on a quiet server);
- the people page of a 40-person team with 40,000 PRs;
- with ``--big``: the same pages for one team with 1,000,000 PRs and 3,000,000 reviews over ten years
  (target < 1 s; its 30-day view should cost about what the 100k team's does);
- with ``--only-dashboard``: the dashboard and people pages alone (a run of the code before beside one of the code
  after, on one seeded database);
- with ``--explain DAYS``: no timings, but every statement of one dashboard render over the last DAYS days with
  its time and ``EXPLAIN (ANALYZE, BUFFERS)`` (PostgreSQL), to see where a render's time goes.

Teams are seeded once by the database itself (``INSERT … SELECT``) and reused by later runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("GITHUB_APP_WEBHOOK_SECRET", "bench-webhook-secret")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tformance_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

DASHBOARD_PRS = 100_000
PEOPLE_PRS = 40_000  # the people page for 40 people
BIG_PRS = 1_000_000  # with --big
MAX_RANGE_DAYS = 3 * 366  # the longest range the dashboard form accepts
REVIEWS_PER_PR = 3
RENDERS = 7


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist yet."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)

from apps.integrations.services.processing import DRAIN_BATCH  # noqa: E402
from apps.metrics.models import PullRequest, TeamMember  # noqa: E402
from apps.metrics.services import (  # noqa: E402
    PullRequestChange,
    pull_requests_import,
    pull_requests_write,
    review_upsert,
)
from apps.metrics.types import (  # noqa: E402
    GitHubPerson,
    PullRequestSnapshot,
    ReviewSnapshot,
    TimelineEntry,
    TimelineKind,
)
from apps.teams.models import Membership, Role, Team  # noqa: E402
from apps.users.models import User  # noqa: E402

PEOPLE = [GitHubPerson(github_id=100 + i, login=f"dev{i}", avatar_url=f"https://a.example/{i}") for i in range(40)]


def fresh_team(prefix: str) -> Team:
    stamp = int(time.time() * 1000)
    return Team.objects.create(name=f"{prefix} {stamp}", slug=f"{prefix}-{stamp}")


def snapshot(
    n: int, base: datetime, *, updated: float, merged: bool = False, draft: bool = False
) -> PullRequestSnapshot:
    end = base + timedelta(hours=updated)
    return PullRequestSnapshot(
        github_pr_id=10_000_000 + n,
        number=n,
        github_repo_id=1 + n % 3,
        github_repo=f"acme/repo{n % 3}",
        title=f"Change {n}",
        body="",
        author=PEOPLE[n % len(PEOPLE)],
        state="closed" if merged else "open",
        merged=merged,
        is_draft=draft,
        head_ref=f"feature/{n}",
        base_ref="main",
        created_at=base,
        updated_at=end,
        closed_at=end if merged else None,
        merged_at=end if merged else None,
        additions=n % 500,
        deletions=n % 70,
        changed_files=1 + n % 9,
    )


def bench_event_replay(prs: int = 2_000, *, batch: int = 1) -> None:
    """Five events per PR, as webhook handlers would deliver them: one transaction per event (``batch=1``, what
    ``delivery_process`` does for a lone or retried delivery), or ``batch`` events per transaction written
    together by one ``pull_requests_write``, as a worker's drain does (``DRAIN_BATCH`` deliveries at a time)."""
    team = fresh_team("bench-events")
    base = datetime(2026, 1, 5, 9, tzinfo=UTC)
    changes: list[PullRequestChange] = []
    for n in range(prs):
        created = base + timedelta(minutes=n)
        reviewer, second = PEOPLE[(n + 1) % len(PEOPLE)], PEOPLE[(n + 2) % len(PEOPLE)]
        opened = snapshot(n, created, updated=0)
        changes.append(PullRequestChange(team, opened, timeline=(TimelineEntry(TimelineKind.OPENED, created),)))
        requested = snapshot(n, created, updated=0.5)
        request = TimelineEntry(TimelineKind.REVIEW_REQUESTED, created + timedelta(hours=0.5), subject=reviewer)
        changes.append(PullRequestChange(team, requested, timeline=(request,)))
        for i, person in enumerate((reviewer, second)):
            review = ReviewSnapshot(n * 10 + i, person, "approved", created + timedelta(hours=2 + i))
            changes.append(PullRequestChange(team, requested, reviews=(review,)))
        changes.append(PullRequestChange(team, snapshot(n, created, updated=5, merged=True)))
    started = time.perf_counter()
    for start in range(0, len(changes), batch):
        with transaction.atomic():
            pull_requests_write(changes=changes[start : start + batch])
    elapsed = time.perf_counter() - started
    how = "one transaction per event" if batch == 1 else f"{batch} events per transaction, as a worker's drain"
    print(f"event replay ({how}): {len(changes)} events in {elapsed:.1f} s = {len(changes) / elapsed:,.0f} events/s")


def bench_long_pull_request(reviews: int = 2_000) -> None:
    """One PR collecting ``reviews`` reviews, one transaction per event: the last ones should cost what the first
    ones did (the work of an event is bounded by the event, not by the PR's history)."""
    team = fresh_team("bench-long")
    base = datetime(2026, 1, 5, 9, tzinfo=UTC)
    pr = snapshot(0, base, updated=0)
    rates = []

    def review(i: int) -> ReviewSnapshot:
        return ReviewSnapshot(i, PEOPLE[i % len(PEOPLE)], "commented", base + timedelta(minutes=i))

    for start, end in ((0, 100), (reviews - 100, reviews)):
        if start > 0:  # the reviews in between, stored quickly by the import's path
            pull_requests_import(team=team, items=[(pr, [review(i) for i in range(100, start)], [])])
        started = time.perf_counter()
        for i in range(start, end):
            review_upsert(team=team, pull_request=pr, review=review(i))
        rates.append(f"{(end - start) / (time.perf_counter() - started):,.0f}")
    first, last = rates
    print(f"one PR's reviews, one transaction each: reviews 1-100 at {first} events/s, the last 100 at {last}")


def bench_import(prs: int = 10_000) -> None:
    team = fresh_team("bench-import")
    base = datetime(2026, 1, 5, 9, tzinfo=UTC)

    def items():
        for n in range(prs):
            created = base + timedelta(minutes=n)
            reviews = [
                ReviewSnapshot(
                    n * 10 + i, PEOPLE[(n + 1 + i) % len(PEOPLE)], "APPROVED", created + timedelta(hours=1 + i)
                )
                for i in range(3)
            ]
            yield snapshot(n, created, updated=6, merged=True), reviews, [TimelineEntry(TimelineKind.OPENED, created)]

    started = time.perf_counter()
    count = pull_requests_import(team=team, items=items(), batch_size=500)
    elapsed = time.perf_counter() - started
    print(
        f"batch import: {count} PRs + {count * 3} reviews in {elapsed:.1f} s = {count / elapsed:,.0f} PRs/s "
        f"({count * 4 / elapsed:,.0f} rows/s)"
    )


def seed_team(slug: str, prs: int, *, people: int = len(PEOPLE), days: int = 365) -> Team:
    """A team with ``prs`` PRs over the last ``days`` days, 3 reviews each and a review request each (reused).

    Generated by the database itself (``INSERT … SELECT`` over ``generate_series``), so a million PRs and three
    million reviews take minutes, not hours. About 2% of PRs stay open with a request nobody answered (flagged open,
    as ``metrics_apply`` would have flagged it: the requested reviewer is never one of the PR's three reviewers).
    """
    team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": slug})
    if PullRequest.objects.for_team(team).count() == prs:
        return team
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("metrics_prevent", "metrics_prreview", "metrics_pullrequest", "metrics_teammember"):
            cursor.execute(f"DELETE FROM {table} WHERE team_id = %s", [team.pk])
    members = TeamMember.objects.bulk_create(
        [TeamMember(team=team, github_id=p.github_id, github_username=p.login) for p in PEOPLE[:people]]
    )
    params = {"team": team.pk, "members": [m.pk for m in members], "m": len(members), "n": prs, "days": days}
    with connection.cursor() as cursor:
        for sql in (SEED_PRS, SEED_REVIEWS, SEED_REQUESTS):
            cursor.execute(sql, params)
    with connection.cursor() as cursor:  # what autovacuum would have done by the time a team has this many PRs
        for table in ("metrics_pullrequest", "metrics_prreview", "metrics_prevent", "metrics_teammember"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    elapsed = time.perf_counter() - started
    print(f"seeded {slug}: {prs:,} PRs, {prs * REVIEWS_PER_PR:,} reviews, {people} people in {elapsed:.1f} s")
    return team


SEED_PRS = """
INSERT INTO metrics_pullrequest (
    team_id, created_at, updated_at, github_pr_id, number, github_repo_id, github_repo, title, author_id, state,
    is_draft, head_ref, base_ref, pr_created_at, pr_updated_at, ready_at, closed_at, merged_at, first_review_at,
    last_approval_at, cycle_time_seconds, review_time_seconds, draft_seconds, pickup_seconds, review_phase_seconds,
    merge_wait_seconds, additions, deletions, changed_files, is_revert, is_hotfix, labels, is_bot_author,
    merged_without_review)
SELECT %(team)s, now(), now(), n, n, 1 + n %% 5, 'acme/repo' || (n %% 5), 'Change ' || n,
    (%(members)s::bigint[])[1 + n %% %(m)s], CASE WHEN is_open THEN 'open' ELSE 'merged' END, false,
    'feature/' || n, 'main', created, merged, created, CASE WHEN NOT is_open THEN merged END,
    CASE WHEN NOT is_open THEN merged END, created + pickup * interval '1 second',
    CASE WHEN NOT is_open THEN created + (pickup + review) * interval '1 second' END,
    CASE WHEN NOT is_open THEN pickup + review + wait END, pickup,
    CASE WHEN NOT is_open THEN 0 END, CASE WHEN NOT is_open THEN pickup END,
    CASE WHEN NOT is_open THEN review END, CASE WHEN NOT is_open THEN wait END,
    1 + (random() * 800)::int, (random() * 200)::int, 1 + n %% 9, n %% 97 = 0, n %% 53 = 0, '[]'::jsonb, false, false
FROM (
    SELECT *, created + (pickup + review + wait) * interval '1 second' AS merged,
        (created + (pickup + review + wait) * interval '1 second' > now() OR n %% 50 = 0) AS is_open
    FROM (
        SELECT n, now() - random() * %(days)s * interval '1 day' AS created,
            round(-ln(1 - random()) * 6 * 3600)::int AS pickup,
            round(-ln(1 - random()) * 10 * 3600)::int AS review,
            round(-ln(1 - random()) * 4 * 3600)::int AS wait
        FROM generate_series(1, %(n)s) AS n
    ) AS drawn
) AS timed
"""
SEED_REVIEWS = """
INSERT INTO metrics_prreview (
    team_id, created_at, updated_at, github_review_id, pull_request_id, reviewer_id, state, submitted_at,
    response_seconds, pr_author_id, pr_is_bot_author, pr_github_repo_id)
SELECT %(team)s, now(), now(), p.number * 10 + i, p.id, (%(members)s::bigint[])[1 + (p.number + 1 + i) %% %(m)s],
    CASE WHEN i = 2 THEN 'approved' ELSE 'commented' END, p.first_review_at + i * interval '1 second',
    CASE WHEN i = 0 THEN p.review_time_seconds END, p.author_id, p.is_bot_author, p.github_repo_id
FROM metrics_pullrequest p CROSS JOIN generate_series(0, 2) AS i
WHERE p.team_id = %(team)s
"""
SEED_REQUESTS = """
INSERT INTO metrics_prevent (team_id, created_at, updated_at, pull_request_id, kind, occurred_at, subject_id,
    subject_github_id, is_open_request)
SELECT %(team)s, now(), now(), p.id, 'review_requested', p.pr_created_at, m.id, m.github_id, p.state = 'open'
FROM metrics_pullrequest p
JOIN metrics_teammember m
  ON m.id = (%(members)s::bigint[])[1 + (p.number + CASE WHEN p.state = 'open' THEN 5 ELSE 1 END) %% %(m)s]
WHERE p.team_id = %(team)s
"""


def _timed(client: Client, url: str, params: dict[str, str]) -> tuple[list[float], int, Any]:
    """Median-ready render times of a page as users get it, the number of statements one render makes, and a
    response with its context.

    Only that one response is rendered under the test instrumentation that keeps a context (``setup_test_environment``
    signals every template rendered and copies its context: time no user pays). Statements are counted
    on one connection: with parallel reads, the panels' statements run on the pool's connections, not the request's.
    """
    setup_test_environment()
    try:
        response = client.get(url, params)  # also the warm-up
    finally:
        teardown_test_environment()
    assert response.status_code == 200, response.status_code
    queries: list[str] = []
    with (
        override_settings(PARALLEL_READ_CONNECTIONS=0),
        connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)),
    ):
        client.get(url, params)
    return _renders(client, url, params), len(queries), response


def _cpu_per_render(client: Client, url: str, params: dict[str, str]) -> str:
    """What one render costs in CPU time, whatever the number of cores: this process (the request thread and its
    parallel reads) and, when PostgreSQL runs on this machine, its processes. Wall time is at least their sum
    divided by the cores, so this says how far a machine's cores can take the render, where wall time moves with
    them and with whatever else the machine does."""
    python, postgres = time.process_time(), _postgres_cpu_seconds()
    _renders(client, url, params)
    python = (time.process_time() - python) * 1000 / RENDERS
    if postgres is None or (after := _postgres_cpu_seconds()) is None:
        return f"CPU per render: {python:.0f} ms here (PostgreSQL's processes are not on this machine)"
    postgres = (after - postgres) * 1000 / RENDERS
    return f"CPU per render: {python:.0f} ms here + {postgres:.0f} ms PostgreSQL = {python + postgres:.0f} ms"


def _postgres_cpu_seconds() -> float | None:
    """User and system time of every ``postgres`` process on this machine (Linux ``/proc``), or None if none.

    With their reaped children's (``cutime``, ``cstime``): parallel query workers and closed backends exit, and
    their time moves to the postmaster's account rather than vanishing between two readings."""
    ticks, seen = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, fields = stat.read_text().rpartition(") ")
        except OSError:  # the process ended meanwhile
            continue
        if head.endswith("(postgres"):
            seen = True
            ticks += sum(map(int, fields.split()[11:15]))  # utime … cstime: fields 14 to 17 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK") if seen else None


def _renders(client: Client, url: str, params: dict[str, str]) -> list[float]:
    timings = []
    for _ in range(RENDERS):
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _client(team: Team) -> Client:
    user, _ = User.objects.get_or_create(email="bench@example.com")
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.ADMIN})
    client = Client(SERVER_NAME="localhost")  # a host DEBUG allows without the test environment's "testserver"
    client.force_login(user)
    return client


def _line(what: str, timings: list[float], queries: int, target: str) -> str:
    return (
        f"{what}: median {statistics.median(timings):.0f} ms over {len(timings)} renders "
        f"(min {min(timings):.0f}, max {max(timings):.0f}), {queries} queries; target {target}"
    )


def bench_dashboard(team: Team, *, target: str) -> None:
    """The dashboard over 30 days, 365 days and the longest range the form accepts, plus a deep table page."""
    client = _client(team)
    url = f"/a/{team.slug}/dashboard/"
    today = datetime.now(UTC).date()
    size = PullRequest.objects.for_team(team).count()
    for label, params in (
        ("last 30 days", {}),
        ("last 365 days", {"start": str(today - timedelta(days=364))}),
        ("max range", {"start": str(today - timedelta(days=MAX_RANGE_DAYS - 1))}),
        ("365 days, table page 1000", {"start": str(today - timedelta(days=364)), "page": "1000", "sort": "size"}),
    ):
        timings, queries, response = _timed(client, url, params)
        with override_settings(PARALLEL_READ_CONNECTIONS=0):
            serial = statistics.median(_renders(client, url, params))
        merged = response.context["summary"].merged
        line = _line(f"dashboard {size:,} PRs ({label}, {merged:,} merged in range)", timings, queries, target)
        print(f"{line}; on one connection: median {serial:.0f} ms; {_cpu_per_render(client, url, params)}")


def explain_dashboard(team: Team, *, days: int) -> None:
    """Each statement one render of the dashboard runs, with its time and PostgreSQL's plan (``--explain``).

    How the figures above were read: which statement costs what, and whether it reads an index range alone
    (``Index Only Scan``, ``Heap Fetches: 0``) or visits rows, sorts on disk or joins the team's whole history.
    """
    client = _client(team)
    params = {"start": str(datetime.now(UTC).date() - timedelta(days=days - 1))}
    url = f"/a/{team.slug}/dashboard/"
    client.get(url, params)  # warm-up
    with override_settings(PARALLEL_READ_CONNECTIONS=0), CaptureQueriesContext(connection) as captured:
        client.get(url, params)  # every statement on this connection, to be explained here
    print(f"--- {team.slug}, last {days} days: {len(captured.captured_queries)} statements")
    for query in captured.captured_queries:
        print(f"\n{float(query['time']) * 1000:.1f} ms: {query['sql'].strip()[:300]}")
        if query["sql"].lstrip("( \n").upper().startswith(("SELECT", "WITH")):
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                print("\n".join(f"    {line}" for (line,) in cursor.fetchall()))


def bench_figure_lists(team: Team) -> None:
    """Each kind of figure's PR list (first page, the page its percentile sits on, its left-out counts) and its
    CSV export streamed to the end, over 30 and 365 days: the lists must stay within the dashboard's budget."""
    client = _client(team)
    today = datetime.now(UTC).date()
    size = PullRequest.objects.for_team(team).count()
    member = TeamMember.objects.for_team(team).order_by("pk").first()
    monday = today - timedelta(days=today.weekday() + 7)
    for days in (30, 365):
        period = {"start": str(today - timedelta(days=days - 1)), "end": str(today)}
        for key, extra in (
            ("merged", {}),
            ("cycle", {"p": "90"}),
            ("pickup", {"p": "50"}),
            ("size", {"p": "50", "page": "40"}),
            ("breakdown-review", {}),
            ("week-cycle", {"week": str(monday)}),
            ("reviews-given", {"member": str(member.pk)}),
            ("response", {"member": str(member.pk)}),
            ("open-requests", {"member": str(member.pk)}),
        ):
            url = f"/a/{team.slug}/dashboard/figures/{key}/"
            timings, queries, response = _timed(client, url, period | extra)
            label = f"list {key}{' p' + extra['p'] if 'p' in extra else ''}"
            label += f" page {extra['page']}" if "page" in extra else ""
            rows = response.context["count"]
            excluded = response.context["exclusions"].excluded
            what = f"{label}, {days} days ({rows:,} counted, {excluded:,} left out; {size:,} PRs)"
            print(_line(what, timings, queries, "< 300 ms"))
        for key, extra in (("merged", {}), ("cycle", {"p": "90"})):
            csv_timings, lines = [], 0
            for _ in range(3):
                started = time.perf_counter()
                response = client.get(f"/a/{team.slug}/dashboard/figures/{key}/csv/", period | extra)
                lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
                csv_timings.append((time.perf_counter() - started) * 1000)
            ms = statistics.median(csv_timings)
            rate = (lines - 1) / ms * 1000
            print(
                f"export {key} CSV, {days} days: {lines - 1:,} rows streamed in median {ms:.0f} ms ({rate:,.0f} rows/s)"
            )


def bench_people(team: Team) -> None:
    client = _client(team)
    size = PullRequest.objects.for_team(team).count()
    people = TeamMember.objects.for_team(team).count()
    timings, queries, _ = _timed(client, f"/a/{team.slug}/dashboard/people/", {})
    print(_line(f"people page ({people} people, {size:,} PRs)", timings, queries, "< 1 s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also seed and measure a team with 1M PRs / 3M reviews")
    parser.add_argument("--only-pages", action="store_true", help="skip the write-path figures")
    parser.add_argument("--only-figures", action="store_true", help="only the figures' PR lists and exports")
    parser.add_argument(
        "--only-dashboard", action="store_true", help="only the dashboard and people pages (quick before/after runs)"
    )
    parser.add_argument(
        "--explain", type=int, metavar="DAYS", help="instead of timing, print each statement of a DAYS-long dashboard"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.explain:
        explain_dashboard(seed_team("bench-dashboard", DASHBOARD_PRS), days=args.explain)
        if args.big:
            explain_dashboard(seed_team("bench-million", BIG_PRS, days=3650), days=args.explain)
        return
    if args.only_figures:
        bench_figure_lists(seed_team("bench-dashboard", DASHBOARD_PRS))
        return
    if not (args.only_pages or args.only_dashboard):
        bench_event_replay(batch=DRAIN_BATCH)
        bench_event_replay(batch=1)
        bench_long_pull_request()
        bench_import()
    bench_dashboard(seed_team("bench-dashboard", DASHBOARD_PRS), target="< 300 ms, <= 20 queries")
    if not args.only_dashboard:
        bench_figure_lists(seed_team("bench-dashboard", DASHBOARD_PRS))
    bench_people(seed_team("bench-people", PEOPLE_PRS))
    if args.big:
        # Ten years at the 100k team's rate: a 30-day view should cost about the same for both teams.
        big = seed_team("bench-million", BIG_PRS, days=3650)
        bench_dashboard(big, target="< 1 s")
        bench_people(big)


if __name__ == "__main__":
    main()
