"""Storing reviews, shared by the webhook path and the import: one read and at most two writes per batch.

A review's state only moves forward: pending → submitted → dismissed, whatever the order of arrival
(``review_merge``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from apps.metrics.models import PRReview, PullRequest, TeamMember
from apps.metrics.services.recompute import review_scope_copies, rows_update
from apps.metrics.types import ReviewSnapshot
from apps.teams.models import Team

REVIEW_FIELDS = ["state", "submitted_at", "reviewer", "updated_at"]
REVIEW_STATE_RANK = {"pending": 0, "dismissed": 2}  # every submitted state ranks 1


def reviews_store(
    team: Team, reviews: Iterable[tuple[PullRequest, ReviewSnapshot]], members: dict[int, TeamMember]
) -> dict[int, PRReview]:
    """Merge review snapshots, in their order, into the stored rows with the forward-only rules of
    ``review_merge``; returns the rows by ``github_review_id``.

    Safe without locks of their own: every PR named is locked by the caller's transaction and a review belongs
    to one PR, so no other transaction can insert the same review meanwhile (and new rows get their ids back).
    """
    by_review: dict[int, tuple[PullRequest, list[ReviewSnapshot]]] = {}
    for pr, review in reviews:
        by_review.setdefault(review.github_review_id, (pr, []))[1].append(review)
    if not by_review:
        return {}
    stored = {r.github_review_id: r for r in PRReview.objects.filter(team=team, github_review_id__in=list(by_review))}
    created: list[PRReview] = []
    changed: dict[int, PRReview] = {}
    for review_id, (pr, snapshots) in by_review.items():
        row = stored.get(review_id)
        for snapshot in snapshots:
            reviewer = members.get(snapshot.reviewer.github_id) if snapshot.reviewer else None
            if row is None:
                row = stored[review_id] = review_new(pr, snapshot, reviewer)
                created.append(row)
            elif review_merge(row, snapshot, reviewer) and row.pk is not None:
                changed[row.pk] = row
    PRReview.objects.bulk_create(created)
    if changed:
        rows_update(PRReview, list(changed.values()), REVIEW_FIELDS, key=["team", "github_review_id"])
    return stored


def review_merge(stored: PRReview, review: ReviewSnapshot, reviewer: TeamMember | None) -> bool:
    """Fold a review snapshot into the stored row; returns whether anything changed.

    The state only moves forward (a dismissal is final, a pending review never undoes a submitted one), and
    ``submitted_at`` keeps the first non-empty value, so arrival order does not matter.
    """
    before = (stored.state, stored.submitted_at, stored.reviewer_id)
    state = review.state.lower()
    if REVIEW_STATE_RANK.get(state, 1) >= REVIEW_STATE_RANK.get(stored.state, 1):
        stored.state = state
    stored.submitted_at = stored.submitted_at or review.submitted_at
    if reviewer is not None:
        stored.reviewer = reviewer
    if before == (stored.state, stored.submitted_at, stored.reviewer_id):
        return False
    stored.updated_at = timezone.now()
    return True


def review_new(pr: PullRequest, review: ReviewSnapshot, reviewer: TeamMember | None) -> PRReview:
    now = timezone.now()
    return PRReview(
        team_id=pr.team_id,
        pull_request=pr,
        github_review_id=review.github_review_id,
        reviewer=reviewer,
        state=review.state.lower(),
        submitted_at=review.submitted_at,
        created_at=now,
        updated_at=now,
        **review_scope_copies(pr),
    )
