"""The metric definitions (apps/metrics/definitions.py) as pure functions: no database, no clock, no GitHub.

Services feed them the stored facts of one PR (its snapshot fields, reviews and timeline events) and write the
result back; the "why this number" panel uses the same functions to explain a value, so the numbers and their
explanations cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from apps.metrics.types import TimelineKind


@dataclass(frozen=True, slots=True)
class ReviewFact:
    review_id: int | None
    reviewer_id: int | None
    reviewer_is_bot: bool
    state: str
    submitted_at: datetime | None
    # GitHub's id, given in submission order: it orders reviews of one second whatever order they reached us in.
    github_review_id: int = 0


@dataclass(frozen=True, slots=True)
class EventFact:
    kind: str
    occurred_at: datetime
    subject_id: int | None = None


@dataclass(frozen=True, slots=True)
class PullRequestFacts:
    created_at: datetime
    merged_at: datetime | None
    is_draft: bool
    author_id: int | None
    author_is_bot: bool


@dataclass(slots=True)
class PullRequestMetrics:
    opened_ready: bool
    ready_at: datetime | None
    first_review_at: datetime | None
    last_approval_at: datetime | None
    review_time_seconds: int | None
    cycle_time_seconds: int | None
    draft_seconds: int | None
    pickup_seconds: int | None
    review_phase_seconds: int | None
    merge_wait_seconds: int | None
    merged_without_review: bool
    is_bot_author: bool
    response_seconds: dict[int, int | None] = field(default_factory=dict)


def seconds_between(start: datetime, end: datetime) -> int:
    """Wall-clock seconds from ``start`` to ``end``. GitHub's timestamps are whole seconds, so this is exact;
    every stored duration is exact and only its display is rounded, once, so no two places disagree."""
    return round((end - start).total_seconds())


def duration_text(seconds: float | None) -> str:
    """A duration for people: '—' when there is none (never a zero), minutes under an hour, days past two days.

    The one rounding of every time on the pages: the table, the breakdown and the "why" panel all show this.
    """
    if seconds is None:
        return "—"
    hours = float(seconds) / 3600
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours >= 48:
        return f"{hours / 24:.1f} d"
    return f"{hours:.1f} h"


def revert_reason(*, title: str, head_ref: str, body: str | None) -> str | None:
    """Why a PR counts as a revert, or None. GitHub's "Revert" button titles it ``Revert "…"`` on ``revert-…``."""
    if title.startswith('Revert "'):
        return 'its title starts with Revert "'
    if head_ref.startswith("revert-"):
        return "its head branch starts with revert-"
    if body is None:
        return None
    if "This reverts commit" in body:
        return 'its description says "This reverts commit"'
    return None


def hotfix_reason(*, title: str, head_ref: str, labels: Sequence[str]) -> str | None:
    """Why a PR counts as a hotfix, or None: a ``hotfix/…`` branch, a ``hotfix`` label or a title prefix."""
    if head_ref.lower().startswith("hotfix/"):
        return "its head branch starts with hotfix/"
    if any(label.strip().lower() == "hotfix" for label in labels):
        return "it carries the hotfix label"
    if title.lstrip("[( ").lower().startswith("hotfix"):
        return "its title starts with hotfix"
    return None


def counted_reviews(facts: PullRequestFacts, reviews: Sequence[ReviewFact]) -> list[ReviewFact]:
    """Submitted reviews by a human who is not the author, oldest first: the only ones that count as a review.

    A dismissed review still counts as having happened (its submission is history); pending ones never do. A
    review without a reviewer (a deleted account: GitHub then names ``ghost``, or no one) never counts: nothing
    tells it apart from the author's own, and a deleted author's comments must not become the PR's first review.
    """
    kept = [
        r
        for r in reviews
        if r.submitted_at is not None
        and not r.reviewer_is_bot
        and r.reviewer_id is not None
        and r.reviewer_id != facts.author_id
    ]
    return sorted(kept, key=lambda r: (r.submitted_at, r.github_review_id, r.review_id or 0))


def standing_approvals(reviews: Sequence[ReviewFact], until: datetime | None) -> list[ReviewFact]:
    """Each reviewer's approval that still stands at ``until`` (the merge; None while open), oldest first.

    A reviewer's later "changes requested" withdraws their approval, as GitHub shows it; a later comment does not.
    Reviews after ``until`` are not part of the PR's history up to the merge. ``reviews`` come oldest first
    (``counted_reviews``), reviews of one second in GitHub's submission order.
    """
    latest: dict[int | None, ReviewFact] = {}
    for review in reviews:
        if review.submitted_at is None or (until is not None and review.submitted_at > until):
            continue
        if review.state in ("approved", "changes_requested"):
            latest[review.reviewer_id] = review
    standing = [r for r in latest.values() if r.state == "approved" and r.submitted_at is not None]
    return sorted(standing, key=lambda r: (r.submitted_at, r.github_review_id))


def last_approval(facts: PullRequestFacts, reviews: Sequence[ReviewFact]) -> ReviewFact | None:
    """The PR's last approval that still stood at its merge (or stands now, while open), or None."""
    merged = facts.merged_at
    counted = counted_reviews(facts, reviews)
    before_merge = [r for r in counted if merged is None or (r.submitted_at is not None and r.submitted_at <= merged)]
    approvals = standing_approvals(before_merge, merged)
    return approvals[-1] if approvals else None


def opened_ready(facts: PullRequestFacts, events: Sequence[EventFact]) -> bool:
    """Whether the PR was opened ready for review rather than as a draft.

    A ``draft`` entry at ``created_at`` is the ``opened`` event's own word that it was opened as a draft; a
    ``ready`` in that same second (marked ready as it was opened) makes it ready from the start for the metrics,
    unless the next transition is another ``ready`` (then that ``ready`` entry at creation was only derived before
    the ``opened`` event arrived). Otherwise the first explicit ready/draft transition tells: a ``draft`` first
    means it started ready, a ``ready`` first means it started as a draft. With no transition recorded, the PR has
    always been what its snapshot says. The ``ready`` entry derived at ``created_at`` is ignored so that the answer
    does not feed on itself.
    """
    at_creation = {e.kind for e in events if e.occurred_at == facts.created_at}
    if TimelineKind.DRAFT in at_creation:
        if TimelineKind.READY not in at_creation:
            return False
        later = [e for e in events if e.occurred_at > facts.created_at and _is_transition(e, facts.created_at)]
        return not later or min(later, key=lambda e: (e.occurred_at, e.kind)).kind == TimelineKind.DRAFT
    transitions = sorted(
        (e for e in events if _is_transition(e, facts.created_at)), key=lambda e: (e.occurred_at, e.kind)
    )
    if transitions:
        return transitions[0].kind == TimelineKind.DRAFT
    return not facts.is_draft


def _is_transition(event: EventFact, created_at: datetime) -> bool:
    if event.kind == TimelineKind.DRAFT:
        return True
    return event.kind == TimelineKind.READY and event.occurred_at != created_at


def ready_at(facts: PullRequestFacts, events: Sequence[EventFact], first_review_at: datetime | None) -> datetime | None:
    """When the PR last left draft before its first review; ``created_at`` if opened ready; None if never ready.

    A PR reviewed while still a draft and readied later gets the first time it left draft.
    """
    readies = sorted(
        e.occurred_at for e in events if e.kind == TimelineKind.READY and e.occurred_at != facts.created_at
    )
    if opened_ready(facts, events):
        readies.insert(0, facts.created_at)
    if not readies:
        return None
    if first_review_at is None:
        return readies[-1]
    before = [t for t in readies if t <= first_review_at]
    return before[-1] if before else readies[0]


def pull_request_metrics(
    facts: PullRequestFacts, reviews: Sequence[ReviewFact], events: Sequence[EventFact]
) -> PullRequestMetrics:
    """Every derived value of one PR, from its stored facts alone (so any replay order gives the same numbers)."""
    merged = facts.merged_at
    counted = counted_reviews(facts, reviews)
    # A review submitted after the merge is not a first review: the PR was merged without review.
    before_merge = [r for r in counted if merged is None or (r.submitted_at is not None and r.submitted_at <= merged)]
    first_review = before_merge[0].submitted_at if before_merge else None
    ready = ready_at(facts, events, first_review)
    approvals = standing_approvals(before_merge, merged)
    reviewed_before_merge = first_review is not None
    metrics = PullRequestMetrics(
        opened_ready=opened_ready(facts, events),
        ready_at=ready,
        first_review_at=first_review,
        last_approval_at=approvals[-1].submitted_at if approvals else None,
        review_time_seconds=_non_negative_seconds(ready, first_review),
        cycle_time_seconds=seconds_between(facts.created_at, merged) if merged else None,
        draft_seconds=None,
        pickup_seconds=None,
        review_phase_seconds=None,
        merge_wait_seconds=None,
        merged_without_review=merged is not None and not reviewed_before_merge,
        is_bot_author=facts.author_is_bot,
        response_seconds=_response_seconds(counted, events, ready),
    )
    if merged is not None:
        _fill_breakdown(metrics, facts.created_at, merged, first_review)
    return metrics


def _non_negative_seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Zero when the end came first (a review of a draft before it was ready): the panel says so in words."""
    if start is None or end is None:
        return None
    return max(seconds_between(start, end), 0)


def _fill_breakdown(metrics: PullRequestMetrics, created: datetime, merged: datetime, first: datetime | None) -> None:
    """Split created → merged into draft, pickup, review and merge wait that add up to the cycle time exactly.

    Each boundary is clamped into [created, merged] and kept in order; the parts are differences of whole-second
    offsets from creation, so their sum is the cycle time exactly (and, GitHub's times being whole seconds,
    each part is its exact duration: the same number as the PR's own pickup time when nothing is clamped).
    """

    def clamp(moment: datetime | None, floor: datetime) -> datetime:
        return min(max(moment or merged, floor), merged)

    ready = clamp(metrics.ready_at or created, created)
    reviewed = clamp(first, ready)
    approved = clamp(metrics.last_approval_at if first else None, reviewed)
    offsets = [seconds_between(created, moment) for moment in (ready, reviewed, approved, merged)]
    metrics.draft_seconds = offsets[0]
    metrics.pickup_seconds = offsets[1] - offsets[0]
    metrics.review_phase_seconds = offsets[2] - offsets[1]
    metrics.merge_wait_seconds = offsets[3] - offsets[2]


def _response_seconds(
    counted: Sequence[ReviewFact], events: Sequence[EventFact], ready: datetime | None
) -> dict[int, int | None]:
    """Seconds each reviewer took, from their latest review request (or the PR's ready_at) to their first review.

    Keyed by the review id of that first review; every other review of theirs maps to None.
    """
    result: dict[int, int | None] = {}
    seen: set[int | None] = set()
    for review in counted:
        if review.review_id is None or review.submitted_at is None:  # counted reviews are submitted; typed once
            continue
        if review.reviewer_id in seen or review.reviewer_id is None:
            result[review.review_id] = None
            continue
        seen.add(review.reviewer_id)
        requests = [
            e.occurred_at
            for e in events
            if e.kind == TimelineKind.REVIEW_REQUESTED
            and e.subject_id == review.reviewer_id
            and e.occurred_at <= review.submitted_at
        ]
        start = max(requests) if requests else ready
        result[review.review_id] = _non_negative_seconds(start, review.submitted_at)
    return result
