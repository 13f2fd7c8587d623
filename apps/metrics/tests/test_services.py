"""Scenarios of the write path: what a team sees after GitHub's events reach the services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.selectors.pull_requests import pull_request_explanation
from apps.metrics.services import (
    pull_request_upsert,
    review_upsert,
)
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind

pytestmark = pytest.mark.django_db
K = TimelineKind
H = 3600  # seconds in an hour


def kinds(pr: PullRequest) -> list[str]:
    return list(PREvent.objects.filter(pull_request=pr).order_by("occurred_at", "kind").values_list("kind", flat=True))


def test_draft_then_ready_then_review_then_merge(team):
    draft = SnapshotFactory(is_draft=True)
    pull_request_upsert(team=team, snapshot=draft, timeline=[entry(K.OPENED, 0)])
    ready = SnapshotFactory(github_pr_id=draft.github_pr_id, author=draft.author, updated_at=at(3))
    pull_request_upsert(team=team, snapshot=ready, timeline=[entry(K.READY, 3)])
    review_upsert(team=team, pull_request=ready, review=ReviewFactory(submitted_at=at(5), state="APPROVED"))
    merged = SnapshotFactory(
        github_pr_id=draft.github_pr_id,
        author=draft.author,
        state="closed",
        merged=True,
        updated_at=at(8),
        closed_at=at(8),
        merged_at=at(8),
    )
    pr = pull_request_upsert(team=team, snapshot=merged)
    pr.refresh_from_db()

    assert (pr.ready_at, pr.first_review_at, pr.last_approval_at) == (at(3), at(5), at(5))
    assert pr.review_time_seconds == 2 * H
    assert pr.cycle_time_seconds == 8 * H
    assert (pr.draft_seconds, pr.pickup_seconds, pr.review_phase_seconds, pr.merge_wait_seconds) == (
        3 * H,
        2 * H,
        0,
        3 * H,
    )
    assert pr.state == PullRequestState.MERGED and not pr.merged_without_review
    assert kinds(pr) == ["opened", "ready", "closed", "merged"]


def test_opened_as_draft_is_kept_when_a_later_snapshot_arrives_before_the_ready_event(team):
    opened = SnapshotFactory(is_draft=True, action="opened")
    pull_request_upsert(team=team, snapshot=opened)
    later = SnapshotFactory(github_pr_id=opened.github_pr_id, author=opened.author, updated_at=at(5))
    review_upsert(team=team, pull_request=later, review=ReviewFactory(submitted_at=at(5), state="APPROVED"))
    pr = PullRequest.objects.get()
    assert pr.ready_at is None and pr.review_time_seconds is None  # not "opened ready, pickup from creation"

    ready = SnapshotFactory(github_pr_id=opened.github_pr_id, author=opened.author, updated_at=at(3))
    pull_request_upsert(team=team, snapshot=ready, timeline=[entry(K.READY, 3)])
    pr.refresh_from_db()
    assert pr.ready_at == at(3) and pr.review_time_seconds == 2 * H


def test_a_redelivered_approval_in_the_merge_second_leaves_the_pr_merged(team):
    merged = SnapshotFactory(state="closed", merged=True, updated_at=at(9), closed_at=at(9), merged_at=at(9))
    approved = SnapshotFactory(github_pr_id=merged.github_pr_id, author=merged.author, updated_at=at(9))
    approval = ReviewFactory(submitted_at=at(9), state="approved")
    review_upsert(team=team, pull_request=approved, review=approval)
    pull_request_upsert(team=team, snapshot=merged, timeline=[])
    review_upsert(team=team, pull_request=approved, review=approval)  # GitHub redelivers it

    pr = PullRequest.objects.get()
    assert pr.state == PullRequestState.MERGED and pr.merged_at == at(9) and pr.cycle_time_seconds == 9 * H


def test_a_pr_still_in_draft_has_no_ready_time(team):
    pr = pull_request_upsert(team=team, snapshot=SnapshotFactory(is_draft=True))
    pr.refresh_from_db()
    assert pr.ready_at is None and pr.review_time_seconds is None
    assert kinds(pr) == ["opened"]


def test_a_pr_opened_ready_is_ready_when_created(team):
    pr = pull_request_upsert(team=team, snapshot=SnapshotFactory())
    pr.refresh_from_db()
    assert pr.ready_at == at(0)
    assert kinds(pr) == ["opened", "ready"]


def test_converting_to_draft_and_back_counts_the_last_ready_before_the_first_review(team):
    snap = SnapshotFactory()
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(K.DRAFT, 1), entry(K.READY, 4)])
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(6)))
    pr = PullRequest.objects.get()
    assert pr.ready_at == at(4) and pr.review_time_seconds == 2 * H


def test_a_dismissed_review_still_was_the_first_review_but_no_longer_approves(team):
    snap = SnapshotFactory()
    approval = ReviewFactory(submitted_at=at(2), state="APPROVED")
    review_upsert(team=team, pull_request=snap, review=approval)
    dismissed = ReviewFactory(github_review_id=approval.github_review_id, reviewer=approval.reviewer, state="dismissed")
    review_upsert(team=team, pull_request=snap, review=dismissed)

    review = PRReview.objects.get()
    assert review.state == "dismissed" and review.submitted_at == at(2)
    pr = PullRequest.objects.get()
    assert pr.first_review_at == at(2) and pr.last_approval_at is None


def test_a_dismissal_arriving_before_the_review_still_wins(team):
    snap = SnapshotFactory()
    approval = ReviewFactory(submitted_at=at(2))
    review_upsert(
        team=team,
        pull_request=snap,
        review=ReviewFactory(github_review_id=approval.github_review_id, reviewer=approval.reviewer, state="DISMISSED"),
    )
    review_upsert(team=team, pull_request=snap, review=approval)
    assert PRReview.objects.get().state == "dismissed"


def test_merged_without_review_puts_all_waiting_time_in_pickup(team):
    snap = SnapshotFactory(state="closed", merged=True, updated_at=at(4), closed_at=at(4), merged_at=at(4))
    pr = pull_request_upsert(team=team, snapshot=snap)
    pr.refresh_from_db()
    assert pr.merged_without_review
    assert pr.cycle_time_seconds == pr.pickup_seconds == 4 * H
    assert pr.draft_seconds == pr.review_phase_seconds == pr.merge_wait_seconds == 0


def test_a_review_after_the_merge_does_not_make_it_reviewed(team):
    """One rule: a review submitted after the merge is not a first review. The PR is merged without review and has
    no pickup time, so it cannot add 30 h to the Pickup card while counted "merged without review"."""
    snap = SnapshotFactory(state="closed", merged=True, updated_at=at(4), closed_at=at(4), merged_at=at(4))
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(34)))
    pr = PullRequest.objects.get()
    assert pr.merged_without_review
    assert pr.first_review_at is None and pr.review_time_seconds is None
    assert PRReview.objects.get().submitted_at == at(34)  # stored all the same


def test_an_approval_withdrawn_by_the_same_reviewers_request_for_changes_is_not_the_last_approval(team):
    """Approved at 2 h, changes requested by the same reviewer at 3 h, merged at 6 h: no approval stood at the merge,
    so there is no merge wait (it was 4 h from the withdrawn approval). Another reviewer's approval still stands."""
    merged = SnapshotFactory(state="closed", merged=True, updated_at=at(6), closed_at=at(6), merged_at=at(6))
    bob, carol = PersonFactory(login="bob"), PersonFactory(login="carol")
    review_upsert(team=team, pull_request=merged, review=ReviewFactory(reviewer=bob, submitted_at=at(2)))
    review_upsert(
        team=team,
        pull_request=merged,
        review=ReviewFactory(reviewer=bob, state="CHANGES_REQUESTED", submitted_at=at(3)),
    )
    review_upsert(
        team=team, pull_request=merged, review=ReviewFactory(reviewer=bob, state="COMMENTED", submitted_at=at(4))
    )
    pr = PullRequest.objects.get()
    assert pr.last_approval_at is None and pr.merge_wait_seconds == 0 and pr.review_phase_seconds == 4 * H

    review_upsert(team=team, pull_request=merged, review=ReviewFactory(reviewer=carol, submitted_at=at(1)))
    pr.refresh_from_db()
    assert pr.last_approval_at == at(1) and pr.merge_wait_seconds == 5 * H
    review_upsert(team=team, pull_request=merged, review=ReviewFactory(reviewer=bob, submitted_at=at(5)))
    pr.refresh_from_db()
    assert pr.last_approval_at == at(5) and pr.merge_wait_seconds == 1 * H


def _last_approval_reason(team, pr: PullRequest) -> str:
    reasons = pull_request_explanation(team=team, pull_request_id=pr.pk).reasons
    return next(r.because for r in reasons if r.label == "Last approval")


@pytest.mark.parametrize("arrival", ["in order", "reversed"])
def test_approvals_of_one_second_are_ordered_by_githubs_review_id_whatever_order_they_arrive_in(team, arrival):
    """Bob approves and then asks for changes, and carol approves, all in one second (review ids 1, 2, 3 in that
    order): carol's approval stands, whichever delivery reached us first; the panel names her."""
    merged = SnapshotFactory(state="closed", merged=True, updated_at=at(6), closed_at=at(6), merged_at=at(6))
    bob, carol = PersonFactory(login="bob"), PersonFactory(login="carol")
    reviews = [
        ReviewFactory(github_review_id=1, reviewer=bob, submitted_at=at(2)),
        ReviewFactory(github_review_id=2, reviewer=bob, state="CHANGES_REQUESTED", submitted_at=at(2)),
        ReviewFactory(github_review_id=3, reviewer=carol, submitted_at=at(2)),
    ]
    for review in reviews if arrival == "in order" else reversed(reviews):
        review_upsert(team=team, pull_request=merged, review=review)

    pr = PullRequest.objects.get()
    assert pr.last_approval_at == at(2) and pr.merge_wait_seconds == 4 * H
    assert _last_approval_reason(team, pr) == "approved by carol, whose approval still stood"


@pytest.mark.parametrize("arrival", ["in order", "reversed"])
def test_an_approval_withdrawn_in_the_same_second_stays_withdrawn_whatever_order_the_reviews_arrive_in(team, arrival):
    """Bob approves (review 1) and asks for changes (review 2) in one second: no approval stood at the merge, so
    there is no merge wait, even when the request for changes reached us first."""
    merged = SnapshotFactory(state="closed", merged=True, updated_at=at(6), closed_at=at(6), merged_at=at(6))
    bob = PersonFactory(login="bob")
    reviews = [
        ReviewFactory(github_review_id=1, reviewer=bob, submitted_at=at(2)),
        ReviewFactory(github_review_id=2, reviewer=bob, state="CHANGES_REQUESTED", submitted_at=at(2)),
    ]
    for review in reviews if arrival == "in order" else reversed(reviews):
        review_upsert(team=team, pull_request=merged, review=review)

    pr = PullRequest.objects.get()
    assert pr.last_approval_at is None and pr.merge_wait_seconds == 0


@pytest.mark.parametrize("arrival", ["in order", "reversed"])
def test_two_approvals_of_one_second_name_the_last_one_github_recorded(team, arrival):
    merged = SnapshotFactory(state="closed", merged=True, updated_at=at(6), closed_at=at(6), merged_at=at(6))
    reviews = [
        ReviewFactory(github_review_id=7, reviewer=PersonFactory(login="bob"), submitted_at=at(2)),
        ReviewFactory(github_review_id=8, reviewer=PersonFactory(login="carol"), submitted_at=at(2)),
    ]
    for review in reviews if arrival == "in order" else reversed(reviews):
        review_upsert(team=team, pull_request=merged, review=review)

    pr = PullRequest.objects.get()
    assert _last_approval_reason(team, pr) == "approved by carol, whose approval still stood"


def test_closed_unmerged_has_no_cycle_time(team):
    snap = SnapshotFactory(state="closed", updated_at=at(5), closed_at=at(5))
    pr = pull_request_upsert(team=team, snapshot=snap)
    pr.refresh_from_db()
    assert pr.state == PullRequestState.CLOSED and pr.cycle_time_seconds is None and not pr.merged_without_review
    assert "closed" in kinds(pr)


def test_reopened_pr_is_open_again_and_keeps_its_history(team):
    closed = SnapshotFactory(state="closed", updated_at=at(5), closed_at=at(5))
    pull_request_upsert(team=team, snapshot=closed)
    reopened = SnapshotFactory(github_pr_id=closed.github_pr_id, author=closed.author, updated_at=at(7))
    pr = pull_request_upsert(team=team, snapshot=reopened, timeline=[entry(K.REOPENED, 7)])
    pr.refresh_from_db()
    assert pr.state == PullRequestState.OPEN and pr.closed_at is None
    assert kinds(pr) == ["opened", "ready", "closed", "reopened"]


def test_bot_reviews_and_the_authors_own_review_are_stored_but_do_not_count(team):
    snap = SnapshotFactory()
    bot = PersonFactory(login="dependabot[bot]")
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=bot, submitted_at=at(1)))
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=snap.author, submitted_at=at(2)))
    pr = PullRequest.objects.get()
    assert pr.first_review_at is None
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(3)))
    pr.refresh_from_db()
    assert PRReview.objects.count() == 3 and pr.first_review_at == at(3)
    assert TeamMember.objects.get(github_id=bot.github_id).is_bot


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": 'Revert "Add rate limiting"'},
        {"head_ref": "revert-123-feature"},
        {"body": "This reverts commit 4f2a9c1."},
    ],
)
def test_reverts_are_detected(team, overrides):
    pr = pull_request_upsert(team=team, snapshot=SnapshotFactory(**overrides))
    assert PullRequest.objects.get(pk=pr.pk).is_revert


@pytest.mark.parametrize(
    "overrides",
    [{"head_ref": "hotfix/login-loop"}, {"labels": ("bug", "Hotfix")}, {"title": "hotfix: login loop"}],
)
def test_hotfixes_are_detected(team, overrides):
    pr = pull_request_upsert(team=team, snapshot=SnapshotFactory(**overrides))
    assert PullRequest.objects.get(pk=pr.pk).is_hotfix


def test_an_ordinary_pr_is_neither_revert_nor_hotfix(team):
    pr = PullRequest.objects.get(
        pk=pull_request_upsert(team=team, snapshot=SnapshotFactory(title="Revert the flag")).pk
    )
    assert not pr.is_revert and not pr.is_hotfix


def test_bot_authored_prs_are_flagged(team):
    pr = pull_request_upsert(team=team, snapshot=SnapshotFactory(author=PersonFactory(login="renovate", is_bot=True)))
    assert PullRequest.objects.get(pk=pr.pk).is_bot_author


def test_a_review_arriving_before_its_pr_creates_the_pr(team):
    snap = SnapshotFactory(title="Created from the review payload")
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(2)))
    pr = PullRequest.objects.get()
    assert pr.title == "Created from the review payload" and pr.first_review_at == at(2)
    assert kinds(pr) == ["opened", "ready"]


def test_an_older_snapshot_never_overwrites_but_its_events_are_kept(team):
    new = SnapshotFactory(title="New title", updated_at=at(5))
    pull_request_upsert(team=team, snapshot=new)
    old = SnapshotFactory(github_pr_id=new.github_pr_id, author=new.author, title="Old title", updated_at=at(1))
    pull_request_upsert(
        team=team, snapshot=old, timeline=[entry(K.REVIEW_REQUESTED, 1, subject=PersonFactory(login="rev"))]
    )
    pr = PullRequest.objects.get()
    assert pr.title == "New title" and pr.pr_updated_at == at(5)
    assert "review_requested" in kinds(pr)


def test_replaying_the_same_event_changes_nothing(team):
    snap = SnapshotFactory()
    timeline = [entry(K.REVIEW_REQUESTED, 1, actor=snap.author, subject=PersonFactory())]
    review = ReviewFactory(submitted_at=at(2))
    for _ in range(3):
        pull_request_upsert(team=team, snapshot=snap, timeline=timeline)
        review_upsert(team=team, pull_request=snap, review=review)
    assert (PullRequest.objects.count(), PRReview.objects.count(), PREvent.objects.count()) == (1, 1, 3)
    assert TeamMember.objects.count() == 3


def test_an_event_recorded_without_actor_gets_it_when_a_richer_event_arrives(team):
    snap = SnapshotFactory(state="closed", updated_at=at(5), closed_at=at(5))
    pull_request_upsert(team=team, snapshot=snap)
    closer = PersonFactory(login="closer")
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(K.CLOSED, 5, actor=closer)])
    event = PREvent.objects.get(kind="closed")
    assert event.actor.github_username == "closer"


def test_the_breakdown_adds_up_to_the_cycle_time_to_the_second(team):
    created = at(0) + timedelta(seconds=17)
    snap = SnapshotFactory(
        created_at=created,
        is_draft=True,
        state="closed",
        merged=True,
        updated_at=at(30),
        closed_at=at(29) + timedelta(seconds=1111),
        merged_at=at(29) + timedelta(seconds=1111),
    )
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(K.READY, 1.0049)])
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(3.3333)))
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(7.777), state="approved"))
    pr = PullRequest.objects.get()
    parts = pr.draft_seconds + pr.pickup_seconds + pr.review_phase_seconds + pr.merge_wait_seconds
    assert parts == pr.cycle_time_seconds == round((snap.merged_at - created).total_seconds())


def test_pickup_is_the_same_number_in_the_table_and_in_the_breakdown(team):
    """Seconds apart, rounded once: 35 s is 35 s in the PR's pickup and in its breakdown (was 0.01 h and 0.00 h)."""
    snap = SnapshotFactory(
        is_draft=True, state="closed", merged=True, updated_at=at(1), closed_at=at(1), merged_at=at(1)
    )
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(K.READY, 18 / 3600)])
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(53 / 3600), state="approved"))

    pr = PullRequest.objects.get()

    assert pr.review_time_seconds == pr.pickup_seconds == 35


def test_reviewer_response_time_runs_from_their_review_request(team):
    snap = SnapshotFactory()
    reviewer = PersonFactory()
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(K.REVIEW_REQUESTED, 2, subject=reviewer)])
    first = review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=reviewer, submitted_at=at(5)))
    second = review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=reviewer, submitted_at=at(6)))
    assert first.response_seconds == 3 * H and second.response_seconds is None
