"""What the single-event path and the backfill's batch path share: turning inputs into rows, the same way.

- A snapshot becomes PR fields; the stored snapshot is replaced only by one at least as new (``updated_at``).
- A snapshot also yields timeline entries of its own (``opened``, ``closed``, ``merged``), so a history replayed
  from snapshots alone is complete. The ``ready`` entry of a PR opened ready is derived later, from all facts.
- Timeline entries become rows keyed like the ``unique_pr_event`` constraint (``recompute`` records them).
- A review's state only moves forward: pending → submitted → dismissed, whatever the order of arrival.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.rules import hotfix_reason, revert_reason
from apps.metrics.types import GitHubPerson, PullRequestSnapshot, ReviewSnapshot, TimelineEntry, TimelineKind

SNAPSHOT_FIELDS = (
    "number",
    "github_repo_id",
    "github_repo",
    "title",
    "author_id",
    "state",
    "is_draft",
    "head_ref",
    "base_ref",
    "pr_created_at",
    "pr_updated_at",
    "closed_at",
    "merged_at",
    "additions",
    "deletions",
    "changed_files",
    "labels",
    "is_revert",
    "is_hotfix",
)
REVIEW_STATE_RANK = {"pending": 0, "dismissed": 2}  # every submitted state ranks 1


# Sizes are absent (None) from the PR object of pull_request_review payloads: None means "not said", not zero.
UNKNOWN_WHEN_NONE = frozenset({"additions", "deletions", "changed_files"})


def snapshot_fields(snapshot: PullRequestSnapshot, members: dict[int, TeamMember]) -> dict[str, Any]:
    """The PR columns a snapshot sets. ``merged`` decides merged; GitHub's own ``state`` says open or closed."""
    if snapshot.merged:
        state = PullRequestState.MERGED
    elif snapshot.state.lower() == "closed":
        state = PullRequestState.CLOSED
    else:
        state = PullRequestState.OPEN
    author = members.get(snapshot.author.github_id) if snapshot.author else None
    return {
        "number": snapshot.number,
        "github_repo_id": snapshot.github_repo_id,
        "github_repo": snapshot.github_repo[:255],
        "title": snapshot.title,
        "author_id": author.pk if author else None,
        "state": state,
        "is_draft": snapshot.is_draft,
        "head_ref": snapshot.head_ref[:255],
        "base_ref": snapshot.base_ref[:255],
        "pr_created_at": snapshot.created_at,
        "pr_updated_at": snapshot.updated_at,
        "closed_at": snapshot.closed_at,
        "merged_at": (snapshot.merged_at or snapshot.closed_at) if snapshot.merged else None,
        "additions": snapshot.additions,
        "deletions": snapshot.deletions,
        "changed_files": snapshot.changed_files,
        "labels": list(snapshot.labels),
        "is_revert": revert_reason(title=snapshot.title, head_ref=snapshot.head_ref, body=snapshot.body) is not None,
        "is_hotfix": hotfix_reason(title=snapshot.title, head_ref=snapshot.head_ref, labels=snapshot.labels)
        is not None,
    }


def snapshot_apply(pr: PullRequest, snapshot: PullRequestSnapshot, members: dict[int, TeamMember]) -> bool:
    """Copy a snapshot onto a loaded PR unless the stored one is newer; equal ``updated_at`` is idempotent."""
    if snapshot.updated_at < pr.pr_updated_at:
        return False
    for name, value in snapshot_fields(snapshot, members).items():
        if value is None and name in UNKNOWN_WHEN_NONE:
            continue  # a review payload's shorter PR object does not know the size: keep what is stored
        setattr(pr, name, value)
    pr.author = members.get(snapshot.author.github_id) if snapshot.author else None
    return True


def snapshot_entries(snapshot: PullRequestSnapshot) -> list[TimelineEntry]:
    """The timeline entries a snapshot proves by itself: opened, and closed/merged when it says so."""
    entries = [TimelineEntry(TimelineKind.OPENED, snapshot.created_at, actor=snapshot.author)]
    if snapshot.closed_at is not None:
        entries.append(TimelineEntry(TimelineKind.CLOSED, snapshot.closed_at))
    merged_at = snapshot.merged_at or snapshot.closed_at
    if snapshot.merged and merged_at is not None:
        entries.append(TimelineEntry(TimelineKind.MERGED, merged_at))
    return entries


def people_of(
    snapshot: PullRequestSnapshot, reviews: Sequence[ReviewSnapshot], timeline: Sequence[TimelineEntry]
) -> list[GitHubPerson | None]:
    people = [snapshot.author, *(r.reviewer for r in reviews)]
    for entry in timeline:
        people += [entry.actor, entry.subject]
    return people


def event_rows(pr: PullRequest, entries: Iterable[TimelineEntry], members: dict[int, TeamMember]) -> list[PREvent]:
    """One row per distinct (kind, time, subject); an entry naming its actor wins over one that does not."""
    rows: dict[tuple, PREvent] = {}
    for entry in entries:
        subject_id = entry.subject.github_id if entry.subject else 0
        key = (str(entry.kind), entry.occurred_at, subject_id)
        actor = members[entry.actor.github_id] if entry.actor else None
        if key in rows and (actor is None or rows[key].actor_id is not None):
            continue
        rows[key] = PREvent(
            team_id=pr.team_id,
            pull_request=pr,
            kind=str(entry.kind),
            occurred_at=entry.occurred_at,
            actor=actor,
            subject=members.get(subject_id),
            subject_github_id=subject_id,
        )
    return list(rows.values())


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
    )
