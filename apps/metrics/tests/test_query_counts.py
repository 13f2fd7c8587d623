"""Query budgets: a webhook's write and a dashboard's selector must not grow with the size of a PR or a team."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from django.db import connection

from apps.metrics.selectors import DashboardFilters, team_reviewer_load
from apps.metrics.services import (
    PullRequestChange,
    pull_request_upsert,
    pull_requests_import,
    pull_requests_write,
    review_upsert,
)
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("review_count", [0, 50])
def test_one_pull_request_upsert_stays_within_15_queries(team, django_assert_max_num_queries, review_count):
    snap = SnapshotFactory()
    for i in range(review_count):
        review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(1 + i / 10)))
    merged = SnapshotFactory(
        github_pr_id=snap.github_pr_id,
        author=snap.author,
        state="closed",
        merged=True,
        updated_at=at(9),
        closed_at=at(9),
        merged_at=at(9),
    )
    timeline = [
        entry(TimelineKind.REVIEW_REQUESTED, 0.5, actor=snap.author, subject=PersonFactory()),
        entry(TimelineKind.MERGED, 9, actor=PersonFactory()),
    ]
    with django_assert_max_num_queries(15):
        pull_request_upsert(team=team, snapshot=merged, timeline=timeline)


@contextmanager
def database_work() -> Iterator[Callable[[], int]]:
    """How much the database did inside the block, as a number that grows with the rows it reads.

    PostgreSQL: rows of ``metrics_prreview`` read (sequential reads and fetches through an index) in this
    transaction. SQLite: virtual machine steps, which a scan pays once per row it visits and an index probe
    does not (a probe descends the b-tree in one step).
    """
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        sql = (
            "SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = 'metrics_prreview'"
        )

        def read() -> int:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()[0]

        before = read()
        done: list[int] = []
        yield lambda: done[0]
        done.append(read() - before)
        return
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    connection.connection.set_progress_handler(step, 1)
    try:
        yield lambda: steps[0]
    finally:
        connection.connection.set_progress_handler(None, 1)


@pytest.mark.parametrize("merged", [False, True], ids=["open", "merged before most approvals"])
def test_a_review_event_costs_a_pr_with_600_reviews_what_it_costs_a_pr_with_30(team, merged):
    """A busy PR's next review is processed reading the few reviews that decide its metrics (each reviewer's
    first, latest and last approval before the merge), found by index probes, never a pass over every review it
    ever had, nor over the approvals that came after its merge."""
    reviewers = [PersonFactory() for _ in range(5)]
    work = {}
    for history in (30, 600):
        closed = {"state": "closed", "merged": True, "closed_at": at(1.1), "merged_at": at(1.1), "updated_at": at(1.1)}
        snap = SnapshotFactory(**(closed if merged else {}))
        reviews = [
            ReviewFactory(
                reviewer=reviewers[i % 5], state="APPROVED" if i % 3 == 0 else "COMMENTED", submitted_at=at(1 + i / 100)
            )
            for i in range(history)
        ]
        pull_requests_write(changes=[PullRequestChange(team, snap, reviews=(review,)) for review in reviews])
        review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(10)))  # warm up
        latest = ReviewFactory(reviewer=reviewers[2], state="CHANGES_REQUESTED", submitted_at=at(11))
        with database_work() as done:
            review_upsert(team=team, pull_request=snap, review=latest)
        work[history] = done()
    assert work[600] <= work[30] * 1.2, work


def test_creating_a_pull_request_stays_within_15_queries(team, django_assert_max_num_queries):
    timeline = [entry(TimelineKind.OPENED, 0, actor=PersonFactory()), entry(TimelineKind.READY, 1)]
    with django_assert_max_num_queries(15):
        pull_request_upsert(team=team, snapshot=SnapshotFactory(is_draft=False, labels=("x",)), timeline=timeline)


def test_a_batch_import_costs_a_few_statements_per_batch_not_per_pr(team, django_assert_max_num_queries):
    """100 PRs with 200 reviews in one batch: a few dozen statements (SQLite splits long inserts), not hundreds."""
    items = [
        (SnapshotFactory(), [ReviewFactory(), ReviewFactory()], [entry(TimelineKind.READY, 0.5)]) for _ in range(100)
    ]
    with django_assert_max_num_queries(30):
        assert pull_requests_import(team=team, items=items, batch_size=100) == 100


def test_reviewer_load_reads_each_reviewers_reviews_once(team, django_assert_num_queries):
    """The team's reviewers, then their review counts and median responses in one statement (one range of
    ``review_team_reviewer_cov_idx`` per reviewer on PostgreSQL), then the open requests: three statements for any
    number of reviewers. SQLite counts and takes the medians apart (no percentile aggregate)."""
    for i in range(5):
        snap = SnapshotFactory()
        review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(3), reviewer=PersonFactory()))
    filters = DashboardFilters(start=date(2026, 10, 1), end=date(2026, 11, 30))
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        rows = team_reviewer_load(team=team, filters=filters)
    assert [row.reviews for row in rows] == [1] * 5
