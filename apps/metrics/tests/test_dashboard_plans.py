"""How PostgreSQL reads a long period: the panels' covering indexes, not every PR row of the team.

A year covers nearly all of a team's PRs, so these are the statements whose plan decides whether a 365-day
dashboard costs a read of an index range or a visit to each row (see ``config/settings.py``'s connection options).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.metrics.models import PullRequest, TeamMember
from apps.metrics.selectors import DashboardFilters, team_flow_summary
from apps.metrics.tests.factories import PullRequestFactory

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
    disk seek per index page) they read every row of the team instead: at 100,000 PRs 98 and 61 ms of a 300 ms budget,
    against 49 and 34 from the indexes (``bench_metrics.py --explain 365``)."""
    with CaptureQueriesContext(connection) as ctx:
        summary = team_flow_summary(team=team, filters=a_year_of_prs)
    assert summary.merged == summary.pickup.count == PRS
    (statement,) = [q["sql"] for q in ctx.captured_queries if "percentile_cont" in q["sql"] and marker in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Only Scan using {index}" in plan, plan
