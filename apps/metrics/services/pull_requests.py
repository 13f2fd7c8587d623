"""The webhook write path: each ``pull_request`` or ``pull_request_review`` delivery becomes one of these calls.

A call applies its event in one transaction that holds the PR's row lock from the moment the PR is found or
created, so two workers handling events of the same PR serialize and the last one recomputes from everything both
wrote. Inside ``events_batched()`` (a worker's drain batch, one transaction) the calls are only recorded, and the
block's end writes them together: the same rules applied to the same events in the same order, in a fixed number
of statements for the whole batch rather than per event. Either way the number of queries does not depend on how
many reviews or events a PR already has.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import transaction

from apps.metrics.models import PRReview, PullRequest, TeamMember
from apps.metrics.services.members import team_members_bulk_upsert
from apps.metrics.services.recompute import metrics_apply
from apps.metrics.services.reviews import reviews_store
from apps.metrics.services.snapshots import (
    SNAPSHOT_FIELDS,
    event_rows,
    people_of,
    snapshot_apply,
    snapshot_entries,
    snapshot_fields,
    snapshot_tie_unsure,
)
from apps.metrics.signals import pull_request_state_unsure
from apps.metrics.types import PullRequestSnapshot, ReviewSnapshot, TimelineEntry
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class _Event:
    """One handler call: a PR snapshot, with the timeline entries of its action or the review it carries."""

    snapshot: PullRequestSnapshot
    timeline: tuple[TimelineEntry, ...] = ()
    review: ReviewSnapshot | None = None


@dataclass(slots=True)
class _Written:
    prs: dict[int, PullRequest]  # by github_pr_id
    reviews: dict[int, PRReview]  # by github_review_id


_recorded: ContextVar[list[tuple[Team, _Event]] | None] = ContextVar("metrics_events_recorded", default=None)


@contextmanager
def events_batched() -> Iterator[None]:
    """Record the upserts made inside and write them together when the block ends without an error.

    For a caller that already holds a transaction around many events (a drain batch): per batch, one read of
    its people, one locking read of its PRs, one read and one write of its reviews and events, one recompute.
    Calls inside return None, since nothing is written yet; an error inside writes nothing.
    """
    recorded: list[tuple[Team, _Event]] = []
    token = _recorded.set(recorded)
    try:
        yield
    finally:
        _recorded.reset(token)
    _write(recorded)


def events_write_recorded() -> None:
    """Inside ``events_batched``, write the events recorded so far now: a metrics write that is not an event
    upsert (a repository rename) calls this first, so writes still happen in the order of the deliveries."""
    recorded = _recorded.get()
    if recorded:
        _write(list(recorded))
        recorded.clear()


def _write(recorded: Sequence[tuple[Team, _Event]]) -> None:
    by_team: dict[int, tuple[Team, list[_Event]]] = {}
    for team, event in recorded:
        by_team.setdefault(team.pk, (team, []))[1].append(event)
    for _, (team, events) in sorted(by_team.items(), key=lambda item: item[0]):  # one lock order for every worker
        _events_write(team, events)


def pull_request_upsert(
    *, team: Team, snapshot: PullRequestSnapshot, timeline: Sequence[TimelineEntry] = ()
) -> PullRequest | None:
    """Store a PR snapshot (unless a newer one is stored), record its timeline entries, recompute its metrics.

    An older snapshot still contributes its timeline entries and the ones it proves by itself, because events
    arrive in any order and each is a true fact of the PR's history. Returns the PR (None inside
    ``events_batched``).
    """
    event = _Event(snapshot, tuple(timeline))
    recorded = _recorded.get()
    if recorded is not None:
        recorded.append((team, event))
        return None
    return _events_write(team, [event]).prs[snapshot.github_pr_id]


def review_upsert(*, team: Team, pull_request: PullRequestSnapshot, review: ReviewSnapshot) -> PRReview | None:
    """Store a review (creating its PR from the review payload's snapshot when the PR is not known yet).

    GitHub's ``pull_request_review`` payload carries the PR as it was then, so it is applied like any snapshot.
    Returns the review with its response time (None inside ``events_batched``).
    """
    event = _Event(pull_request, review=review)
    recorded = _recorded.get()
    if recorded is not None:
        recorded.append((team, event))
        return None
    return _events_write(team, [event]).reviews[review.github_review_id]


def _events_write(team: Team, events: Sequence[_Event]) -> _Written:
    """Apply one team's events in their order: exactly what one call per event gives, in a fixed number of
    statements (the snapshots of one PR are applied in arrival order, so same-second ties merge as they would)."""
    # savepoint=False: inside a worker's transaction an error here rolls the whole batch back anyway,
    # so a savepoint would only cost two round trips.
    with transaction.atomic(savepoint=False):
        people = []
        for event in events:
            people += people_of(event.snapshot, [event.review] if event.review else (), event.timeline)
        members = team_members_bulk_upsert(team=team, people=people)
        prs = _pull_requests_lock(team, [event.snapshot for event in events], members)
        changed = False
        rows = []
        for event in events:
            pr = prs[event.snapshot.github_pr_id]
            if snapshot_tie_unsure(pr, event.snapshot):
                _ask_github_after_commit(team, event.snapshot)
            changed |= snapshot_apply(pr, event.snapshot, members)
            rows += event_rows(pr, [*snapshot_entries(event.snapshot), *event.timeline], members)
        reviews = reviews_store(
            team, [(prs[e.snapshot.github_pr_id], e.review) for e in events if e.review is not None], members
        )
        response = metrics_apply(list(prs.values()), also_save=SNAPSHOT_FIELDS if changed else (), new_events=rows)
    for github_review_id, row in reviews.items():
        row.response_seconds = response.get(github_review_id)
    return _Written(prs, reviews)


def _ask_github_after_commit(team: Team, snapshot: PullRequestSnapshot) -> None:
    """Once the write commits, say that this PR's open/closed state is a guess only GitHub can settle."""
    transaction.on_commit(
        lambda: pull_request_state_unsure.send(
            sender=PullRequest, team_id=team.pk, github_repo_id=snapshot.github_repo_id, updated_at=snapshot.updated_at
        )
    )


def _pull_requests_lock(
    team: Team, snapshots: Sequence[PullRequestSnapshot], members: dict[int, TeamMember]
) -> dict[int, PullRequest]:
    """Lock the PRs the snapshots name, in primary-key order, creating the unknown ones from their first snapshot.

    Creation is an ``INSERT … ON CONFLICT DO NOTHING`` followed by a locking read, so two workers creating the
    same PR at once both end up with the one row the unique constraint allows, and neither fails. Known PRs cost
    one locking read and no write here.
    """
    first: dict[int, PullRequestSnapshot] = {}
    for snapshot in snapshots:
        first.setdefault(snapshot.github_pr_id, snapshot)
    prs = _locked(team, list(first))
    missing = [gid for gid in first if gid not in prs]
    if missing:
        PullRequest.objects.bulk_create(
            [PullRequest(team=team, github_pr_id=gid, **snapshot_fields(first[gid], members)) for gid in missing],
            ignore_conflicts=True,
        )
        prs |= _locked(team, missing)
    return prs


def _locked(team: Team, github_pr_ids: list[int]) -> dict[int, PullRequest]:
    rows = (
        PullRequest.objects.select_related("author")
        .select_for_update(of=("self",))
        .filter(team=team, github_pr_id__in=github_pr_ids)
        .order_by("pk")
    )
    return {pr.github_pr_id: pr for pr in rows}
