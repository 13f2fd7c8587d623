"""Storing reviews, shared by the webhook path and the import: one read and at most two writes per batch."""

from __future__ import annotations

from collections.abc import Iterable

from apps.metrics.models import PRReview, PullRequest, TeamMember
from apps.metrics.services.recompute import rows_update
from apps.metrics.services.snapshots import review_merge, review_new
from apps.metrics.types import ReviewSnapshot
from apps.teams.models import Team

REVIEW_FIELDS = ["state", "submitted_at", "reviewer", "updated_at"]


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
