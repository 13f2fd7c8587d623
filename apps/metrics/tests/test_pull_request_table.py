"""The PR table: which PRs a period lists, how many, and in which order, page after page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.paginator import Paginator

from apps.metrics.selectors import DashboardFilters, team_flow_summary, team_pull_request_table
from apps.metrics.tests.factories import T0, PullRequestFactory, TeamMemberFactory, at

pytestmark = pytest.mark.django_db
PERIOD = DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))


def listed(team, sort: str, *, filters: DashboardFilters = PERIOD, per_page: int = 2) -> list[str]:
    paginator = Paginator(team_pull_request_table(team=team, filters=filters, sort=sort), per_page)
    titles = [pr.title for n in paginator.page_range for pr in paginator.page(n).object_list]
    assert paginator.count == len(titles)
    # The dashboard hands the summary's merged count to the table, which then counts one index range: same count.
    merged = team_flow_summary(team=team, filters=filters).merged
    assert team_pull_request_table(team=team, filters=filters, sort=sort, merged_count=merged).count() == len(titles)
    return titles


def test_the_table_lists_each_pr_opened_or_merged_in_the_period_once(team, other_team):
    PullRequestFactory(team=team, title="opened and merged inside", pr_created_at=at(0))
    PullRequestFactory(team=team, title="opened inside, still open", pr_created_at=at(1), merged_at=None, state="open")
    PullRequestFactory(
        team=team, title="opened before, merged inside", pr_created_at=T0 - timedelta(days=40), merged_at=at(5)
    )
    PullRequestFactory(
        team=team, title="opened inside, merged after", pr_created_at=at(2), merged_at=T0 + timedelta(days=40)
    )
    PullRequestFactory(
        team=team,
        title="opened before, merged after",
        pr_created_at=T0 - timedelta(days=40),
        merged_at=T0 + timedelta(days=40),
    )
    PullRequestFactory(
        team=team, title="both before", pr_created_at=T0 - timedelta(days=40), merged_at=T0 - timedelta(days=39)
    )
    PullRequestFactory(team=other_team, title="another team's, inside")

    assert sorted(listed(team, "merged")) == [
        "opened and merged inside",
        "opened before, merged inside",
        "opened inside, merged after",
        "opened inside, still open",
    ]


def test_pages_follow_the_sort_with_empty_values_last_either_way(team):
    author = TeamMemberFactory(team=team)
    for title, additions in (("small", 1), ("large", 900), ("medium", 50), ("unknown", None)):
        PullRequestFactory(team=team, author=author, title=title, additions=additions, deletions=0)
    PullRequestFactory(
        team=team,
        author=author,
        title="earlier, merged inside",
        pr_created_at=T0 - timedelta(days=9),
        merged_at=at(5),
        additions=70,
        deletions=0,
    )

    assert listed(team, "size") == ["small", "medium", "earlier, merged inside", "large", "unknown"]
    assert listed(team, "-size") == ["large", "earlier, merged inside", "medium", "small", "unknown"]


def test_the_table_keeps_the_dashboards_scope(team):
    hidden = TeamMemberFactory(team=team, is_active=False)
    PullRequestFactory(team=team, title="shown")
    PullRequestFactory(team=team, title="by a hidden member", author=hidden)
    PullRequestFactory(team=team, title="bot's", is_bot_author=True)
    PullRequestFactory(team=team, title="other repository", github_repo_id=78)

    assert listed(team, "-merged") == ["other repository", "shown"]  # same merge time: the newer row first
    assert listed(team, "-merged", filters=DashboardFilters(start=PERIOD.start, end=PERIOD.end, repo_id=77)) == [
        "shown"
    ]
