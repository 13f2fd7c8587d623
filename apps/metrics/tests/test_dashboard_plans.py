"""How PostgreSQL reads a long period: the panels' covering indexes, not every PR row of the team.

A year covers nearly all of a team's PRs, so these are the statements whose plan decides whether a 365-day
dashboard costs a read of an index range or a visit to each row (see ``config/settings.py``'s connection options).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.metrics.models import PREvent, PullRequest, PullRequestState, TeamMember
from apps.metrics.selectors import DashboardFilters, team_flow_summary, team_pickup, team_reviewer_load
from apps.metrics.tests.factories import PullRequestFactory
from apps.metrics.types import TimelineKind

pytestmark = [
    pytest.mark.django_db(transaction=True),  # VACUUM sets the visibility map only outside a transaction
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's; CI runs this there"),
]

PRS = 4_000


@pytest.fixture
def a_year_of_prs(team) -> DashboardFilters:
    """A team whose PRs were merged over the last year, vacuumed and analysed as autovacuum would leave them."""
    author = TeamMember.objects.create(team=team, github_id=1, github_username="dev")
    now = datetime.now(UTC)
    prs = []
    for n in range(PRS):
        created = now - timedelta(days=360) + timedelta(hours=n * 350 * 24 / PRS)
        first_review = {"first_review_at": created + timedelta(hours=2), "review_time_seconds": 7200}
        prs.append(
            PullRequestFactory.build(
                team=team, author=author, pr_created_at=created, cycle_time_seconds=n, **first_review
            )
        )
    PullRequest.objects.bulk_create(prs)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE metrics_pullrequest")
    today = now.date()
    return DashboardFilters(start=today - timedelta(days=364), end=today)


@pytest.mark.parametrize(
    "marker, index",
    [("cycle__p500", "pr_team_merged_cover_idx"), ("review_time_seconds", "pr_team_first_review_cov_idx")],
)
def test_a_years_summary_reads_its_covering_indexes_alone(team, a_year_of_prs, marker, index):
    """The summary's exact percentiles over a year (merged PRs' cycle time, first-reviewed PRs' pickup) each read
    one range of a covering index without visiting a row. With PostgreSQL's default ``random_page_cost`` (4, a
    disk seek per index page) they read every row of the team instead, work that grows with the team's whole history
    rather than with the period (``bench_metrics.py --explain 365`` prints the plans)."""
    with CaptureQueriesContext(connection) as ctx:
        summary = team_flow_summary(team=team, filters=a_year_of_prs)
        pickup, _before = team_pickup(team=team, filters=a_year_of_prs)
    assert summary.merged == pickup.count == PRS
    (statement,) = [q["sql"] for q in ctx.captured_queries if "percentile_cont" in q["sql"] and marker in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Only Scan using {index}" in plan, plan


REQUEST_KINDS = (TimelineKind.REVIEW_REQUESTED, TimelineKind.REVIEW_REQUEST_REMOVED)
TIMELINE = [
    (TimelineKind.OPENED, False),
    (TimelineKind.READY, False),
    (TimelineKind.REVIEW_REQUESTED, False),
    (TimelineKind.REVIEW_REQUEST_REMOVED, False),
    (TimelineKind.DRAFT, False),
    (TimelineKind.READY, False),
    (TimelineKind.REVIEW_REQUESTED, True),
]


def test_open_review_requests_are_read_from_their_partial_index_alone(team):
    """Open review requests come from ``prevent_open_request_idx`` without a visit to each request's row.

    The panel's statement also asks for ``kind = review_requested``. When the index's predicate said only "open
    request", PostgreSQL fetched every open request's row to check its kind: on a large team with many open PRs,
    a page read from disk per open request, on every dashboard, whatever its period.
    Only review requests are ever flagged open (``services.recompute``), so the predicate says so and the kind
    test is answered by the index."""
    reviewer = TeamMember.objects.create(team=team, github_id=2, github_username="reviewer")
    author = TeamMember.objects.create(team=team, github_id=3, github_username="author")
    opened = datetime.now(UTC) - timedelta(days=3)
    prs = PullRequest.objects.bulk_create(
        PullRequestFactory.build(
            team=team, author=author, state=PullRequestState.OPEN, pr_created_at=opened, merged_at=None, closed_at=None
        )
        for _ in range(PRS)
    )
    # Each PR's timeline: one request still open among the events a team's history is mostly made of.
    PREvent.objects.bulk_create(
        PREvent(
            team=team,
            pull_request=pr,
            kind=kind,
            occurred_at=opened + timedelta(minutes=minutes),
            subject=reviewer if kind in REQUEST_KINDS else None,
            subject_github_id=reviewer.github_id if kind in REQUEST_KINDS else 0,
            is_open_request=is_open,
        )
        for pr in prs
        for minutes, (kind, is_open) in enumerate(TIMELINE)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE metrics_prevent")
        cursor.execute("VACUUM ANALYZE metrics_pullrequest")
    today = opened.date()
    with CaptureQueriesContext(connection) as ctx:
        (load,) = team_reviewer_load(team=team, filters=DashboardFilters(start=today, end=today))
    assert load.member == reviewer and load.open_requests == PRS
    (statement,) = [q["sql"] for q in ctx.captured_queries if "is_open_request" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using prevent_open_request_idx" in plan, plan
