"""A worker's drain writes a batch of changes together (``pull_requests_write``): same rows, fewer statements."""

from __future__ import annotations

import pytest

from apps.metrics.models import PREvent, PRReview, PullRequest
from apps.metrics.services import PullRequestChange, pull_requests_write
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind as K
from apps.teams.models import Team

pytestmark = pytest.mark.django_db


def life_of_a_pr(team: Team, n: int) -> list[PullRequestChange]:
    """Opened with a review requested, approved by the reviewer, merged: the changes of three deliveries."""
    author, reviewer = PersonFactory(github_id=10 + n), PersonFactory(github_id=50 + n)
    opened = SnapshotFactory(github_pr_id=900 + n, author=author, action="opened")
    merged = SnapshotFactory(
        github_pr_id=900 + n, author=author, state="closed", merged=True, updated_at=at(5), closed_at=at(5),
        merged_at=at(5), action="closed",
    )  # fmt: skip
    return [
        PullRequestChange(team, opened, timeline=(entry(K.REVIEW_REQUESTED, 1, subject=reviewer),)),
        PullRequestChange(team, opened, reviews=(ReviewFactory(github_review_id=7000 + n, reviewer=reviewer),)),
        PullRequestChange(team, merged),
    ]


def one_by_one(changes: list[PullRequestChange]) -> None:
    """As ``delivery_process`` writes them: each delivery's change alone."""
    for change in changes:
        pull_requests_write(changes=[change])


def rows(team: Team) -> list:
    return [
        sorted(PullRequest.objects.for_team(team).values_list("github_pr_id", "state", "review_time_seconds")),
        sorted(PRReview.objects.for_team(team).values_list("github_review_id", "response_seconds")),
        PREvent.objects.for_team(team).count(),
    ]


def test_two_teams_in_one_batch_each_get_their_own_rows(team):
    other = Team.objects.create(name="Other", slug="other")
    changes = [change for n in range(3) for t in (team, other) for change in life_of_a_pr(t, n)]
    pull_requests_write(changes=changes)
    batched = [rows(team), rows(other)]
    PullRequest.objects.all().delete()
    one_by_one(changes)

    assert batched == [rows(team), rows(other)]
    assert batched[0][0][0] == (900, "merged", 2 * 3600) and batched[0][1][0] == (7000, 3600)


def test_a_batch_of_events_costs_a_few_statements_not_a_few_per_event(team, django_assert_max_num_queries):
    known = [change for n in range(10) for change in life_of_a_pr(team, n)]
    one_by_one(known)  # known PRs, reviews and people: the common case of a busy repository
    with django_assert_max_num_queries(12):
        pull_requests_write(changes=known)  # 30 events, redelivered
    with django_assert_max_num_queries(15):
        pull_requests_write(changes=[change for n in range(10, 20) for change in life_of_a_pr(team, n)])  # new

    assert PullRequest.objects.filter(state="merged").count() == 20
