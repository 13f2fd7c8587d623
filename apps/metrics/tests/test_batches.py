"""A worker's drain writes a batch of events together (``events_batched``): same rows, fewer statements."""

from __future__ import annotations

import pytest

from apps.metrics.models import PREvent, PRReview, PullRequest
from apps.metrics.services import events_batched, pull_request_upsert, review_upsert
from apps.metrics.services.repositories import pull_requests_rename_repository
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind as K
from apps.teams.models import Team

pytestmark = pytest.mark.django_db


def life_of_a_pr(team: Team, n: int) -> None:
    """Opened, review requested, approved by the reviewer, merged: four handler calls."""
    author, reviewer = PersonFactory(github_id=10 + n), PersonFactory(github_id=50 + n)
    opened = SnapshotFactory(github_pr_id=900 + n, author=author, action="opened")
    pull_request_upsert(team=team, snapshot=opened, timeline=[entry(K.REVIEW_REQUESTED, 1, subject=reviewer)])
    review_upsert(team=team, pull_request=opened, review=ReviewFactory(github_review_id=7000 + n, reviewer=reviewer))
    merged = SnapshotFactory(
        github_pr_id=900 + n, author=author, state="closed", merged=True, updated_at=at(5), closed_at=at(5),
        merged_at=at(5), action="closed",
    )  # fmt: skip
    pull_request_upsert(team=team, snapshot=merged)


def rows(team: Team) -> list:
    return [
        sorted(PullRequest.objects.for_team(team).values_list("github_pr_id", "state", "review_time_seconds")),
        sorted(PRReview.objects.for_team(team).values_list("github_review_id", "response_seconds")),
        PREvent.objects.for_team(team).count(),
    ]


def test_two_teams_in_one_batch_each_get_their_own_rows(team):
    other = Team.objects.create(name="Other", slug="other")
    with events_batched():
        for n in range(3):
            life_of_a_pr(team, n)
            life_of_a_pr(other, n)
    batched = [rows(team), rows(other)]
    PullRequest.objects.all().delete()
    for n in range(3):
        life_of_a_pr(team, n)
        life_of_a_pr(other, n)

    assert batched == [rows(team), rows(other)]
    assert batched[0][0][0] == (900, "merged", 2 * 3600) and batched[0][1][0] == (7000, 3600)


def test_an_error_inside_the_batch_writes_nothing(team):
    with pytest.raises(RuntimeError), events_batched():
        life_of_a_pr(team, 0)
        raise RuntimeError("a handler failed")

    assert not PullRequest.objects.exists() and not PRReview.objects.exists()


def test_a_batch_of_events_costs_a_few_statements_not_a_few_per_event(team, django_assert_max_num_queries):
    for n in range(10):
        life_of_a_pr(team, n)  # known PRs, reviews and people: the common case of a busy repository
    with django_assert_max_num_queries(12), events_batched():
        for n in range(10):
            life_of_a_pr(team, n)  # 40 events, redelivered
    with django_assert_max_num_queries(15), events_batched():
        for n in range(10, 20):
            life_of_a_pr(team, n)  # 40 events of 10 new PRs with new people

    assert PullRequest.objects.filter(state="merged").count() == 20


def test_a_rename_in_the_batch_comes_after_the_events_delivered_before_it(team):
    with events_batched():
        pull_request_upsert(team=team, snapshot=SnapshotFactory(github_repo_id=77, github_repo="acme/api"))
        pull_requests_rename_repository(github_repo_id=77, full_name="acme/gateway")

    assert PullRequest.objects.get().github_repo == "acme/gateway"
