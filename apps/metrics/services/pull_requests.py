"""The one write path of PR data: a batch of ``PullRequestChange`` values, whatever road they came by.

Webhook processing passes the changes its PR handlers returned (one delivery's, or a whole drain batch's in one
transaction); the history import passes a page of fetched PRs with their reviews and timelines. Both are applied
by ``_team_write``: one transaction that holds the row lock of every PR of the batch from the moment it is found
or created, so two workers writing the same PR serialize and the last one recomputes from everything both wrote.
The changes are applied in their order (a PR unknown so far is created from its first change), by the same rules
whatever the road, in a fixed number of statements for the whole batch: the number of queries depends neither on
the batch's size nor on how many reviews or events a PR already has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

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
class PullRequestChange:
    """What one delivery or one imported PR says about a team's PR: a snapshot, the timeline entries of its
    action (or the imported timeline), and the reviews it carries (one for a review delivery, all for an import)."""

    team: Team
    snapshot: PullRequestSnapshot
    timeline: tuple[TimelineEntry, ...] = ()
    reviews: tuple[ReviewSnapshot, ...] = ()


@dataclass(slots=True)
class _Written:
    prs: dict[int, PullRequest]  # by github_pr_id
    reviews: dict[int, PRReview]  # by github_review_id


def pull_requests_write(*, changes: Sequence[PullRequestChange]) -> None:
    """Apply a batch of changes, team by team in primary-key order (one lock order for every worker)."""
    by_team: dict[int, tuple[Team, list[PullRequestChange]]] = {}
    for change in changes:
        by_team.setdefault(change.team.pk, (change.team, []))[1].append(change)
    for _, (team, team_changes) in sorted(by_team.items(), key=lambda item: item[0]):
        _team_write(team, team_changes)


def pull_request_upsert(
    *, team: Team, snapshot: PullRequestSnapshot, timeline: Sequence[TimelineEntry] = ()
) -> PullRequest:
    """Write one PR snapshot (a batch of one change) and return the PR.

    An older snapshot than the stored one still contributes its timeline entries and the ones it proves by
    itself, because events arrive in any order and each is a true fact of the PR's history.
    """
    return _team_write(team, [PullRequestChange(team, snapshot, tuple(timeline))]).prs[snapshot.github_pr_id]


def review_upsert(*, team: Team, pull_request: PullRequestSnapshot, review: ReviewSnapshot) -> PRReview:
    """Write one review (a batch of one change, creating its PR from the review payload's snapshot when the PR is
    not known yet) and return it with its response time.

    GitHub's ``pull_request_review`` payload carries the PR as it was then, so it is applied like any snapshot.
    """
    return _team_write(team, [PullRequestChange(team, pull_request, reviews=(review,))]).reviews[
        review.github_review_id
    ]


def _team_write(team: Team, changes: Sequence[PullRequestChange]) -> _Written:
    """Apply one team's changes in their order: exactly what one call per change gives, in a fixed number of
    statements (the snapshots of one PR are applied in arrival order, so same-second ties merge as they would)."""
    # savepoint=False: inside a worker's or the import's transaction an error here rolls the whole batch back
    # anyway, so a savepoint would only cost two round trips.
    with transaction.atomic(savepoint=False):
        people = []
        for change in changes:
            people += people_of(change.snapshot, change.reviews, change.timeline)
        members = team_members_bulk_upsert(team=team, people=people)
        prs = _pull_requests_lock(team, [change.snapshot for change in changes], members)
        changed = False
        rows = []
        for change in changes:
            pr = prs[change.snapshot.github_pr_id]
            if snapshot_tie_unsure(pr, change.snapshot):
                _ask_github_after_commit(team, change.snapshot)
            changed |= snapshot_apply(pr, change.snapshot, members)
            rows += event_rows(pr, [*snapshot_entries(change.snapshot), *change.timeline], members)
        reviews = reviews_store(
            team, [(prs[c.snapshot.github_pr_id], review) for c in changes for review in c.reviews], members
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


# The history import's entry: the iterable is consumed lazily, ``batch_size`` items at a time, so importing a
# repository's whole history keeps memory flat; each batch is one write, by the same rules and in the same bounded
# number of statements as a webhook drain batch.
ImportItem = tuple[PullRequestSnapshot, Sequence[ReviewSnapshot], Sequence[TimelineEntry]]


def pull_requests_import(*, team: Team, items: Iterable[ImportItem], batch_size: int = 500) -> int:
    """Import (snapshot, reviews, timeline) items in batches; returns the number of items processed."""
    iterator = iter(items)
    count = 0
    while batch := list(islice(iterator, batch_size)):
        changes = [
            PullRequestChange(team, snapshot, tuple(timeline), tuple(reviews)) for snapshot, reviews, timeline in batch
        ]
        pull_requests_write(changes=changes)
        count += len(batch)
    return count
