"""Metrics core throughput and dashboard latency on PostgreSQL.

Run: ``.venv/bin/python benchmarks/bench_metrics.py``. Uses ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/tformance_bench``), creating the database and migrating it if needed.
Prints, without asserting on timing:

- events per second for a replay of 10,000 webhook-style events through ``pull_request_upsert`` /
  ``review_upsert`` (2,000 PRs: opened, review requested, two reviews, merged);
- PRs per second for the backfill path, ``pull_requests_import`` of 10,000 PRs with 3 reviews each;
- the dashboard's render time (median of several renders through the Django test client) for a team with
  100,000 PRs and 300,000 reviews, seeded once with bulk inserts and reused by later runs. Target < 300 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("GITHUB_APP_WEBHOOK_SECRET", "bench-webhook-secret")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tformance_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

DASHBOARD_PRS = 100_000
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
from django.test.utils import setup_test_environment  # noqa: E402

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember  # noqa: E402
from apps.metrics.services import pull_request_upsert, pull_requests_import, review_upsert  # noqa: E402
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


def bench_event_replay(prs: int = 2_000) -> None:
    """Five events per PR, as webhook handlers would deliver them."""
    team = fresh_team("bench-events")
    base = datetime(2026, 1, 5, 9, tzinfo=UTC)
    started = time.perf_counter()
    events = 0
    for n in range(prs):
        created = base + timedelta(minutes=n)
        reviewer, second = PEOPLE[(n + 1) % len(PEOPLE)], PEOPLE[(n + 2) % len(PEOPLE)]
        opened = snapshot(n, created, updated=0)
        pull_request_upsert(team=team, snapshot=opened, timeline=[TimelineEntry(TimelineKind.OPENED, created)])
        requested = snapshot(n, created, updated=0.5)
        request = TimelineEntry(TimelineKind.REVIEW_REQUESTED, created + timedelta(hours=0.5), subject=reviewer)
        pull_request_upsert(team=team, snapshot=requested, timeline=[request])
        for i, person in enumerate((reviewer, second)):
            review = ReviewSnapshot(n * 10 + i, person, "approved", created + timedelta(hours=2 + i))
            review_upsert(team=team, pull_request=requested, review=review)
        pull_request_upsert(team=team, snapshot=snapshot(n, created, updated=5, merged=True))
        events += 5
    elapsed = time.perf_counter() - started
    print(f"event replay: {events} events in {elapsed:.1f} s = {events / elapsed:,.0f} events/s")


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


def seed_dashboard_team() -> Team:
    """A team with 100,000 PRs over the last year and 300,000 reviews, inserted in bulk (reused if present)."""
    team, _ = Team.objects.get_or_create(slug="bench-dashboard", defaults={"name": "Bench dashboard"})
    if PullRequest.objects.for_team(team).count() >= DASHBOARD_PRS:
        return team
    started = time.perf_counter()
    PullRequest.objects.for_team(team).delete()
    TeamMember.objects.for_team(team).delete()
    members = TeamMember.objects.bulk_create(
        [TeamMember(team=team, github_id=p.github_id, github_username=p.login) for p in PEOPLE]
    )
    rng = random.Random(7)
    now = datetime.now(UTC)
    for chunk in range(0, DASHBOARD_PRS, 5_000):
        with transaction.atomic():
            prs = PullRequest.objects.bulk_create(
                [_seed_pr(team, members, rng, now, n) for n in range(chunk, chunk + 5_000)], batch_size=5_000
            )
            _seed_reviews(team, members, rng, prs)
    with connection.cursor() as cursor:  # what autovacuum would have done by the time a team has 100k PRs
        for table in ("metrics_pullrequest", "metrics_prreview", "metrics_prevent", "metrics_teammember"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    elapsed = time.perf_counter() - started
    print(f"seeded {DASHBOARD_PRS:,} PRs and {DASHBOARD_PRS * REVIEWS_PER_PR:,} reviews in {elapsed:.1f} s")
    return team


def _seed_pr(team: Team, members: list[TeamMember], rng: random.Random, now: datetime, n: int) -> PullRequest:
    created = now - timedelta(days=rng.uniform(0, 365))
    pickup, review, wait = (round(rng.expovariate(1 / mean), 2) for mean in (6, 10, 4))
    merged = created + timedelta(hours=pickup + review + wait)
    is_open = merged > now or n % 50 == 0  # about 2% stale open PRs besides the in-flight ones
    return PullRequest(
        team=team,
        github_pr_id=n + 1,
        number=n + 1,
        github_repo_id=1 + n % 5,
        github_repo=f"acme/repo{n % 5}",
        title=f"Change {n}",
        author=members[n % len(members)],
        state=PullRequestState.OPEN if is_open else PullRequestState.MERGED,
        pr_created_at=created,
        pr_updated_at=merged,
        ready_at=created,
        first_review_at=created + timedelta(hours=pickup),
        last_approval_at=None if is_open else created + timedelta(hours=pickup + review),
        merged_at=None if is_open else merged,
        closed_at=None if is_open else merged,
        review_time_hours=pickup,
        cycle_time_hours=None if is_open else round(pickup + review + wait, 2),
        draft_hours=None if is_open else 0,
        pickup_hours=None if is_open else pickup,
        review_phase_hours=None if is_open else review,
        merge_wait_hours=None if is_open else round(pickup + review + wait, 2) - pickup - review,
        additions=rng.randint(1, 800),
        deletions=rng.randint(0, 200),
        is_revert=n % 97 == 0,
        is_hotfix=n % 53 == 0,
        merged_without_review=False,
    )


def _seed_reviews(team: Team, members: list[TeamMember], rng: random.Random, prs: list[PullRequest]) -> None:
    reviews, events = [], []
    for pr in prs:
        for i in range(REVIEWS_PER_PR):
            reviewer = members[(pr.number + 1 + i) % len(members)]
            reviews.append(
                PRReview(
                    team=team,
                    github_review_id=pr.number * 10 + i,
                    pull_request=pr,
                    reviewer=reviewer,
                    state="approved" if i == REVIEWS_PER_PR - 1 else "commented",
                    submitted_at=pr.first_review_at + timedelta(hours=i),
                    response_hours=pr.review_time_hours if i == 0 else None,
                )
            )
        if pr.state == PullRequestState.OPEN:
            subject = members[(pr.number + 5) % len(members)]
            events.append(
                PREvent(
                    team=team,
                    pull_request=pr,
                    kind=TimelineKind.REVIEW_REQUESTED,
                    occurred_at=pr.pr_created_at,
                    subject=subject,
                    subject_github_id=subject.github_id,
                )
            )
    PRReview.objects.bulk_create(reviews, batch_size=5_000)
    PREvent.objects.bulk_create(events, batch_size=5_000)


def bench_dashboard(team: Team) -> None:
    setup_test_environment()
    user, _ = User.objects.get_or_create(email="bench@example.com")
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.ADMIN})
    client = Client()
    client.force_login(user)
    url = f"/a/{team.slug}/metrics/"
    for label, params in (
        ("last 30 days", {}),
        ("last 365 days", {"start": str(datetime.now(UTC).date() - timedelta(days=364))}),
    ):
        response = client.get(url, params)  # warm-up
        assert response.status_code == 200, response.status_code
        timings = []
        for _ in range(RENDERS):
            started = time.perf_counter()
            client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        merged = response.context["summary"].merged
        print(
            f"dashboard ({label}, {merged:,} merged PRs in range): median {statistics.median(timings):.0f} ms "
            f"over {RENDERS} renders (min {min(timings):.0f}, max {max(timings):.0f}); target < 300 ms"
        )


def main() -> None:
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    bench_event_replay()
    bench_import()
    bench_dashboard(seed_dashboard_team())


if __name__ == "__main__":
    main()
