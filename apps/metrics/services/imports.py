"""The backfill's batch write path: the same rules as the single-event path, a bounded number of queries per batch.

The iterable is consumed lazily, ``batch_size`` items at a time, so importing a repository's whole history
keeps memory flat. Each batch is one transaction: members upserted, PRs inserted if new then locked, snapshots
applied by the webhooks' rules (``snapshot_apply``: a newer one replaces, one of the same second merges without
undoing a merge or a close, an older one fills only what is missing), events and reviews recorded, metrics
recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction

from apps.metrics.models import PullRequest, TeamMember
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
)
from apps.metrics.types import PullRequestSnapshot, ReviewSnapshot, TimelineEntry
from apps.teams.models import Team

ImportItem = tuple[PullRequestSnapshot, Sequence[ReviewSnapshot], Sequence[TimelineEntry]]


@dataclass
class _Pending:
    """Everything a batch says about one PR: its snapshots (newest applied last), reviews and timeline."""

    snapshots: list[PullRequestSnapshot] = field(default_factory=list)
    reviews: list[ReviewSnapshot] = field(default_factory=list)
    entries: list[TimelineEntry] = field(default_factory=list)


def pull_requests_import(*, team: Team, items: Iterable[ImportItem], batch_size: int = 500) -> int:
    """Import (snapshot, reviews, timeline) items in batches; returns the number of items processed."""
    iterator = iter(items)
    count = 0
    while batch := list(islice(iterator, batch_size)):
        _batch_import(team, batch)
        count += len(batch)
    return count


def _batch_import(team: Team, batch: Sequence[ImportItem]) -> None:
    pending: dict[int, _Pending] = {}
    people = []
    for snapshot, reviews, timeline in batch:
        item = pending.setdefault(snapshot.github_pr_id, _Pending())
        item.snapshots.append(snapshot)
        item.reviews.extend(reviews)
        item.entries.extend([*snapshot_entries(snapshot), *timeline])
        people += people_of(snapshot, reviews, timeline)
    with transaction.atomic():
        members = team_members_bulk_upsert(team=team, people=people)
        prs = _pull_requests_lock(team, pending, members)
        rows = []
        for pr in prs:
            rows += event_rows(pr, pending[pr.github_pr_id].entries, members)
        reviews_store(team, [(pr, review) for pr in prs for review in pending[pr.github_pr_id].reviews], members)
        metrics_apply(prs, also_save=SNAPSHOT_FIELDS, new_events=rows)


def _pull_requests_lock(team: Team, pending: dict[int, _Pending], members: dict[int, TeamMember]) -> list[PullRequest]:
    """Insert unknown PRs (conflicts ignored), lock every PR of the batch, apply snapshots oldest to newest."""
    newest = {gid: max(p.snapshots, key=lambda s: s.updated_at) for gid, p in pending.items()}
    PullRequest.objects.bulk_create(
        [PullRequest(team=team, github_pr_id=gid, **snapshot_fields(s, members)) for gid, s in newest.items()],
        ignore_conflicts=True,
    )
    prs = list(
        PullRequest.objects.filter(team=team, github_pr_id__in=list(pending))
        .select_related("author")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for pr in prs:
        for snapshot in sorted(pending[pr.github_pr_id].snapshots, key=lambda s: s.updated_at):
            snapshot_apply(pr, snapshot, members)  # same-second snapshots merge, as on the single-event path
    return prs
