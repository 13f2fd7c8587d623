"""The single-event write path: one webhook delivery becomes one of these calls.

Each call runs in one transaction that holds the PR's row lock from the moment the PR is found or created, so
two workers handling events of the same PR serialize and the last one recomputes from everything both wrote.
The number of queries does not depend on how many reviews or events the PR already has.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from apps.metrics.models import PRReview, PullRequest, TeamMember
from apps.metrics.services.members import team_members_bulk_upsert
from apps.metrics.services.recompute import metrics_apply
from apps.metrics.services.snapshots import (
    SNAPSHOT_FIELDS,
    event_rows,
    people_of,
    review_merge,
    review_new,
    snapshot_apply,
    snapshot_entries,
    snapshot_fields,
)
from apps.metrics.types import PullRequestSnapshot, ReviewSnapshot, TimelineEntry
from apps.teams.models import Team


def pull_request_upsert(
    *, team: Team, snapshot: PullRequestSnapshot, timeline: Sequence[TimelineEntry] = ()
) -> PullRequest:
    """Store a PR snapshot (unless a newer one is stored), record its timeline entries, recompute its metrics.

    An older snapshot still contributes its timeline entries and the ones it proves by itself, because events
    arrive in any order and each is a true fact of the PR's history.
    """
    # savepoint=False: inside a webhook worker's transaction an error here rolls the handler back anyway,
    # so a savepoint would only cost two round trips per event.
    with transaction.atomic(savepoint=False):
        members = team_members_bulk_upsert(team=team, people=people_of(snapshot, (), timeline))
        pr, changed = _pull_request_lock(team, snapshot, members)
        rows = event_rows(pr, [*snapshot_entries(snapshot), *timeline], members)
        metrics_apply([pr], also_save=SNAPSHOT_FIELDS if changed else (), new_events=rows)
    return pr


def review_upsert(*, team: Team, pull_request: PullRequestSnapshot, review: ReviewSnapshot) -> PRReview:
    """Store a review (creating its PR from the review payload's snapshot when the PR is not known yet).

    GitHub's ``pull_request_review`` payload carries the PR as it was then, so it is applied like any snapshot.
    """
    with transaction.atomic(savepoint=False):  # see pull_request_upsert
        members = team_members_bulk_upsert(team=team, people=people_of(pull_request, [review], ()))
        pr, changed = _pull_request_lock(team, pull_request, members)
        reviewer = members.get(review.reviewer.github_id) if review.reviewer else None
        row = _review_store(pr, review, reviewer)
        rows = event_rows(pr, snapshot_entries(pull_request), members)
        metrics_apply([pr], also_save=SNAPSHOT_FIELDS if changed else (), new_events=rows)
    row.refresh_from_db(fields=["response_seconds"])
    return row


def _pull_request_lock(
    team: Team, snapshot: PullRequestSnapshot, members: dict[int, TeamMember]
) -> tuple[PullRequest, bool]:
    """Find or create the PR and lock its row; apply the snapshot if it is at least as new as the stored one.

    Creation is an ``INSERT … ON CONFLICT DO NOTHING`` followed by a locking read, so two workers creating the
    same PR at once both end up with the one row the unique constraint allows, and neither fails.
    """
    locked = (
        PullRequest.objects.select_related("author")
        .select_for_update(of=("self",))
        .filter(team=team, github_pr_id=snapshot.github_pr_id)
    )
    pr = locked.first()
    if pr is None:
        fields = snapshot_fields(snapshot, members)
        PullRequest.objects.bulk_create(
            [PullRequest(team=team, github_pr_id=snapshot.github_pr_id, **fields)], ignore_conflicts=True
        )
        pr = locked.get()
    return pr, snapshot_apply(pr, snapshot, members)


def _review_store(pr: PullRequest, review: ReviewSnapshot, reviewer: TeamMember | None) -> PRReview:
    """Upsert the review by (team, github_review_id); safe without its own lock because its PR row is locked."""
    stored = PRReview.objects.filter(team_id=pr.team_id, github_review_id=review.github_review_id).first()
    if stored is None:
        stored = review_new(pr, review, reviewer)
        stored.save(force_insert=True)
    elif review_merge(stored, review, reviewer):
        stored.save(update_fields=["state", "submitted_at", "reviewer", "updated_at"])
    return stored
