"""The one write path of PR data, and the rules of what a snapshot may change, whatever road it came by.

Webhook processing passes the changes its PR handlers returned (one delivery's, or a whole drain batch's in one
transaction); the history import passes a page of fetched PRs with their reviews and timelines. Both are applied
by ``_team_write``: one transaction that holds the row lock of every PR of the batch from the moment it is found
or created, so two workers writing the same PR serialize and the last one recomputes from everything both wrote.
The changes are applied in their order (a PR unknown so far is created from its first change), by the same rules
whatever the road, in a fixed number of statements for the whole batch: the number of queries depends neither on
the batch's size nor on how many reviews or events a PR already has.

The rules, below the write path:

- A snapshot only adds what it knows to what is stored: a newer one (``updated_at``) replaces the stored fields;
  one of the same second is merged so that no fact that only moves forward (merged, closed, a label) is undone, and
  a close and a reopen of one second, which no order can decide, are left to GitHub (``snapshot_tie_unsure``); an
  older one fills only what the stored row lacks (its size).
- A snapshot also yields timeline entries of its own (``opened``, ``closed``, ``merged``), so a history replayed
  from snapshots alone is complete. The ``ready`` entry of a PR opened ready is derived later, from all facts.
- Timeline entries become rows keyed like the ``unique_pr_event`` constraint (``recompute`` records them).
- A review's state only moves forward (``reviews.review_merge``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

from django.db import transaction

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.rules import hotfix_reason, revert_reason
from apps.metrics.services.members import team_members_bulk_upsert
from apps.metrics.services.recompute import metrics_apply
from apps.metrics.services.reviews import reviews_store
from apps.metrics.signals import pull_request_state_unsure
from apps.metrics.types import GitHubPerson, PullRequestSnapshot, ReviewSnapshot, TimelineEntry, TimelineKind
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


# What a snapshot may change: the same rules for a webhook's snapshot and an import's.

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
    "merge_commit_sha",
)


# Sizes are absent (None) from the PR object of pull_request_review payloads: None means "not said", not zero.
# A merge commit, once known, never changes (a merge is final), so a snapshot that does not say it keeps it too.
UNKNOWN_WHEN_NONE = frozenset({"additions", "deletions", "changed_files", "merge_commit_sha"})


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
        "merge_commit_sha": (snapshot.merge_commit_sha or None) if snapshot.merged else None,
        "is_revert": revert_reason(title=snapshot.title, head_ref=snapshot.head_ref, body=snapshot.body) is not None,
        "is_hotfix": hotfix_reason(title=snapshot.title, head_ref=snapshot.head_ref, labels=snapshot.labels)
        is not None,
    }


def snapshot_apply(pr: PullRequest, snapshot: PullRequestSnapshot, members: dict[int, TeamMember]) -> bool:
    """Add what a snapshot knows to a loaded PR; returns whether anything was applied.

    A strictly newer snapshot replaces what is stored. An equally new one (GitHub's timestamps are whole seconds,
    so an approval and the auto-merge it triggers can share one) is merged with ``snapshot_tie_fields``, whether
    a webhook sent it or an import fetched it (a page can be read in the middle of that second): it never undoes
    a fact that only moves forward, whatever order the two arrive in. An older one only fills what the stored row
    does not know (``snapshot_fill_fields``): a review payload's PR carries no size, the import's page does.
    """
    if snapshot.updated_at < pr.pr_updated_at:
        fields = snapshot_fill_fields(pr, snapshot, members)
        if not fields:
            return False
    elif snapshot.updated_at == pr.pr_updated_at:
        fields = snapshot_tie_fields(pr, snapshot, members)
    else:
        fields = snapshot_fields(snapshot, members)
    for name, value in fields.items():
        if value is None and name in UNKNOWN_WHEN_NONE:
            continue  # a review payload's shorter PR object does not know the size: keep what is stored
        if value is None and name == "author_id":
            continue  # a deleted author (``ghost``, or GraphQL's null) never replaces the person stored before
        setattr(pr, name, value)
    author = next((m for m in members.values() if m.pk == pr.author_id), None)
    if author is not None:
        pr.author = author  # keeps the loaded author (recompute reads is_bot) without another query
    return True


def snapshot_fill_fields(
    pr: PullRequest, snapshot: PullRequestSnapshot, members: dict[int, TeamMember]
) -> dict[str, Any]:
    """What an older snapshot adds: the sizes and the author the stored row lacks (a PR first stored from a review
    payload, which has no sizes). Everything else it says is older than what is stored and changes nothing."""
    new = snapshot_fields(snapshot, members)
    missing = [name for name in (*UNKNOWN_WHEN_NONE, "author_id") if getattr(pr, name) is None]
    return {name: new[name] for name in missing if new[name] is not None}


STATE_RANK = {PullRequestState.OPEN: 0, PullRequestState.CLOSED: 1, PullRequestState.MERGED: 2}
# What a pull_request action makes news of its snapshot (beyond the facts that only move forward).
ACTION_NEWS = {
    "edited": ("title", "base_ref", "is_revert"),
    "synchronize": ("additions", "deletions", "changed_files"),
    "ready_for_review": ("is_draft",),
    "converted_to_draft": ("is_draft",),
    "unlabeled": ("labels",),
}


def snapshot_tie_fields(
    pr: PullRequest, snapshot: PullRequestSnapshot, members: dict[int, TeamMember]
) -> dict[str, Any]:
    """The PR columns after a snapshot with the same ``updated_at`` second as the stored one (invariant 2).

    Facts that only move forward are merged, so no arrival order undoes them: open → closed → merged (a merge is
    final), labels only added, a revert stays a revert. Anything else stays as stored unless the snapshot's
    action makes it news: ``edited`` the title, ``synchronize`` the sizes, ``ready_for_review`` and
    ``converted_to_draft`` the draft flag, ``unlabeled`` the labels, ``reopened`` the open state. A review
    payload's PR (no action) is never news about the PR itself: the review is. A fetched snapshot (an import's
    page) has no action either; it is asked for when a close and a reopen of one second leave the state undecided
    (``snapshot_tie_unsure``), so its word that an unmerged PR is open settles that, as a ``reopened`` would.
    """
    new = snapshot_fields(snapshot, members)
    news = ACTION_NEWS.get(snapshot.action, ())
    fields: dict[str, Any] = {name: new[name] if name in news else getattr(pr, name) for name in SNAPSHOT_FIELDS}
    fields["author_id"] = pr.author_id or new["author_id"]
    if STATE_RANK[new["state"]] > STATE_RANK[PullRequestState(pr.state)]:
        fields |= {name: new[name] for name in ("state", "closed_at", "merged_at")}
    elif pr.state == PullRequestState.CLOSED and (
        snapshot.action == "reopened" or (snapshot.fetched and new["state"] == PullRequestState.OPEN)
    ):
        fields |= {"state": PullRequestState.OPEN, "closed_at": None, "merged_at": None}
    if "labels" not in news:
        fields["labels"] = list(dict.fromkeys([*(pr.labels or ()), *new["labels"]]))
    if "is_revert" not in news:
        fields["is_revert"] = pr.is_revert or new["is_revert"]
    for name in UNKNOWN_WHEN_NONE:
        if fields[name] is None:
            fields[name] = new[name]
    fields["is_hotfix"] = (
        hotfix_reason(title=fields["title"], head_ref=fields["head_ref"], labels=fields["labels"]) is not None
    )
    return fields


def snapshot_tie_unsure(pr: PullRequest, snapshot: PullRequestSnapshot) -> bool:
    """Whether a snapshot of the stored one's second leaves open/closed undecided: a close and a reopen of one
    second, in either order, since neither payload says which came last. ``reopened`` over a PR closed in that
    very second, or an unmerged close over an open PR (that second's other event may have been a reopen; when it
    was a review or a label instead, asking GitHub once more costs one page of an import and changes nothing).
    """
    if snapshot.fetched or snapshot.updated_at != pr.pr_updated_at or pr.state == PullRequestState.MERGED:
        return False
    if snapshot.action == "reopened":
        return pr.state == PullRequestState.CLOSED and pr.closed_at == snapshot.updated_at
    return snapshot.action == "closed" and not snapshot.merged and pr.state == PullRequestState.OPEN


def snapshot_entries(snapshot: PullRequestSnapshot) -> list[TimelineEntry]:
    """The timeline entries a snapshot proves by itself: opened, and closed/merged when it says so."""
    entries = [TimelineEntry(TimelineKind.OPENED, snapshot.created_at, actor=snapshot.author)]
    if snapshot.action == "opened" and snapshot.is_draft:
        # Opened as a draft: recorded as a ``draft`` entry at creation, so a later snapshot that is no longer a
        # draft cannot make the PR look opened ready before its ``ready_for_review`` event is processed.
        entries.append(TimelineEntry(TimelineKind.DRAFT, snapshot.created_at, actor=snapshot.author))
    if snapshot.closed_at is not None:
        entries.append(TimelineEntry(TimelineKind.CLOSED, snapshot.closed_at))
    merged_at = snapshot.merged_at or snapshot.closed_at
    if snapshot.merged and merged_at is not None:
        entries.append(TimelineEntry(TimelineKind.MERGED, merged_at))
    return entries


def people_of(
    snapshot: PullRequestSnapshot, reviews: Sequence[ReviewSnapshot], timeline: Sequence[TimelineEntry]
) -> list[GitHubPerson | None]:
    """Everyone an event names, each seen at the event's own time (its PR's ``updated_at`` or its reviews'
    ``submitted_at``, whichever is later), never the time it arrived: the newest login by that time wins."""
    seen = max([snapshot.updated_at, *(r.submitted_at for r in reviews if r.submitted_at is not None)])
    people = [snapshot.author, *(r.reviewer for r in reviews)]
    for entry in timeline:
        people += [entry.actor, entry.subject]
    return [replace(p, seen_at=seen) if p is not None and p.seen_at is None else p for p in people]


def event_rows(pr: PullRequest, entries: Iterable[TimelineEntry], members: dict[int, TeamMember]) -> list[PREvent]:
    """One row per distinct (kind, time, subject); an entry naming its actor wins over one that does not."""
    rows: dict[tuple[object, ...], PREvent] = {}
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
