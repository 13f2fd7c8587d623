"""A PR's metrics read from its deciding reviews only must equal the metrics of all its reviews.

``services.deciding_reviews`` reads a few reviews per reviewer by index probes instead of every review; here
Hypothesis draws review histories full of what could make it pick the wrong ones (reviews without a reviewer,
several reviews of one person in one second, approvals after the merge, dismissed and pending reviews, a bot and
the author reviewing, late arrivals) and the stored numbers must be what the rules give from every review.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.services import pull_request_upsert, pull_requests_recompute, review_upsert
from apps.metrics.tests.factories import ReviewFactory, at, entry
from apps.metrics.tests.test_replay_property import ALICE, AUTHOR, BOB, BOT, by_definition, snap, stored_metrics
from apps.metrics.types import TimelineKind as K
from apps.teams.models import Team

REVIEWERS = [ALICE, BOB, BOT, AUTHOR, None]
STATES = ["approved", "commented", "changes_requested", "dismissed", "pending"]

review_draws = st.tuples(
    st.sampled_from(REVIEWERS), st.sampled_from(STATES), st.sampled_from([None, 1, 2, 2, 3, 4, 5, 6, 7, 8])
)


def open_requests_by_definition(pr: PullRequest) -> list[tuple]:
    """Which review requests are open, read from every review: the PR is open, the reviewer has not reviewed at or
    after the request, and the request was not withdrawn after it."""
    reviews = list(PRReview.objects.filter(pull_request=pr, submitted_at__isnull=False))
    events = list(PREvent.objects.filter(pull_request=pr))
    return sorted(
        (e.subject_id, e.occurred_at, pr.state == PullRequestState.OPEN
         and not any(r.reviewer_id == e.subject_id and r.submitted_at >= e.occurred_at for r in reviews)
         and not any(w.kind == K.REVIEW_REQUEST_REMOVED and w.subject_id == e.subject_id
                     and w.occurred_at > e.occurred_at for w in events))
        for e in events if e.kind == K.REVIEW_REQUESTED
    )  # fmt: skip


def open_requests_stored(pr: PullRequest) -> list[tuple]:
    rows = PREvent.objects.filter(pull_request=pr, kind=K.REVIEW_REQUESTED)
    return sorted(rows.values_list("subject_id", "occurred_at", "is_open_request"))


def check(team: Team) -> None:
    pr = PullRequest.objects.for_team(team).get()
    assert stored_metrics(team) == by_definition(team)
    assert open_requests_stored(pr) == open_requests_by_definition(pr)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    reviews=st.lists(review_draws, min_size=1, max_size=14),
    merged_at=st.sampled_from([None, 3, 5, 7]),
    mark_bot=st.booleans(),
)
def test_metrics_from_the_deciding_reviews_equal_the_metrics_of_every_review(
    reviews: list[tuple[Any, str, float | None]], merged_at: int | None, mark_bot: bool
) -> None:
    with transaction.atomic():
        team = Team.objects.create(name="Deciding", slug="deciding")
        opened = snap(0)
        requests = [entry(K.REVIEW_REQUESTED, 0.5, subject=ALICE), entry(K.REVIEW_REQUESTED, 2, subject=BOB)]
        pull_request_upsert(team=team, snapshot=opened, timeline=requests)
        if merged_at is not None:
            merged = snap(merged_at, state="closed", merged=True, closed_at=at(merged_at), merged_at=at(merged_at))
            pull_request_upsert(team=team, snapshot=merged, timeline=[entry(K.MERGED, merged_at)])
        for number, (reviewer, state, hours) in enumerate(reviews, start=1):
            review = ReviewFactory(
                github_review_id=number,
                reviewer=reviewer,
                state=state,
                submitted_at=at(hours) if hours is not None and state != "pending" else None,
            )
            review_upsert(team=team, pull_request=opened, review=review)
            check(team)
        if mark_bot:  # a reviewer who stops counting (what the admin's recompute runs): no response time left
            TeamMember.objects.for_team(team).filter(github_id=ALICE.github_id).update(is_bot=True)
            pr_ids = PullRequest.objects.for_team(team).values_list("pk", flat=True)
            pull_requests_recompute(team=team, pull_request_ids=pr_ids)
            check(team)
        transaction.set_rollback(True)
