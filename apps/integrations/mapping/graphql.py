"""GraphQL import nodes → metrics input types.

The nodes come from ``REPOSITORY_PULL_REQUESTS_QUERY`` / ``PULL_REQUEST_REVIEWS_QUERY``
(``github_app.api.installation``).
They differ from webhook payloads in ways that matter for identity, and this module evens them out:

- ids are ``databaseId`` (a PR's ``databaseId`` is the REST/webhook ``pull_request.id``; a person's is ``user.id``);
- ``state`` is ``open`` / ``closed`` / ``merged`` (lower-cased by the parser): merged becomes closed + ``merged``;
- a bot is ``__typename: Bot`` and its login lacks the ``[bot]`` suffix webhooks carry (``dependabot`` vs
  ``dependabot[bot]``), so the suffix is added back and a login never flaps between the two paths;
- an actor without ``databaseId`` (a Mannequin, or a deleted "ghost" user) has no identity: no person;
- timeline items become the entries the webhook actions ``ready_for_review``, ``converted_to_draft``,
  ``review_requested``, ``review_request_removed``, ``closed`` and ``reopened`` give, dated by their own
  ``createdAt``; a request made to a team is left out, as the webhook's is (nobody's review load changes); a close
  names no one, as the webhook's (read from its snapshot) does; every close and reopen is read, since a PR closed
  and reopened before the import shows no trace of it in its state;
- a PR opened as a draft has no timeline item of its own (GitHub records no ``ConvertToDraftEvent`` at creation):
  its first transition being a ``ReadyForReviewEvent`` (or, with none, ``isDraft``) tells it, and it becomes the
  ``draft`` entry at creation that the ``opened`` webhook of a draft gives.
"""

from __future__ import annotations

from collections.abc import Sequence

from apps.metrics.types import GitHubPerson, PullRequestSnapshot, ReviewSnapshot, TimelineEntry, TimelineKind
from github_app import Actor, PullRequestNode, ReviewNode, TimelineItem
from github_app.accounts import BOT_SUFFIX, is_ghost_account

TIMELINE_KINDS = {
    "ReadyForReviewEvent": TimelineKind.READY,
    "ConvertToDraftEvent": TimelineKind.DRAFT,
    "ReviewRequestedEvent": TimelineKind.REVIEW_REQUESTED,
    "ReviewRequestRemovedEvent": TimelineKind.REVIEW_REQUEST_REMOVED,
    "ClosedEvent": TimelineKind.CLOSED,
    "ReopenedEvent": TimelineKind.REOPENED,
}
REQUEST_KINDS = frozenset({TimelineKind.REVIEW_REQUESTED, TimelineKind.REVIEW_REQUEST_REMOVED})

ImportItem = tuple[PullRequestSnapshot, tuple[ReviewSnapshot, ...], tuple[TimelineEntry, ...]]


def person_from_actor(actor: Actor | None) -> GitHubPerson | None:
    if actor is None or actor.database_id is None or is_ghost_account(github_id=actor.database_id, login=actor.login):
        return None
    login = actor.login
    if actor.is_bot and not login.endswith(BOT_SUFFIX):
        login += BOT_SUFFIX
    return GitHubPerson(github_id=actor.database_id, login=login, avatar_url=actor.avatar_url, is_bot=actor.is_bot)


def review_from_node(node: ReviewNode) -> ReviewSnapshot:
    return ReviewSnapshot(
        github_review_id=node.database_id,
        reviewer=person_from_actor(node.author),
        state=node.state,
        submitted_at=node.submitted_at,
    )


def snapshot_from_node(node: PullRequestNode, *, github_repo_id: int, full_name: str) -> PullRequestSnapshot:
    merged = node.state == "merged" or node.merged_at is not None
    return PullRequestSnapshot(
        github_pr_id=node.database_id,
        number=node.number,
        github_repo_id=github_repo_id,
        github_repo=full_name,
        title=node.title,
        body=node.body or "",
        author=person_from_actor(node.author),
        state="open" if node.state == "open" else "closed",
        merged=merged,
        is_draft=node.is_draft,
        head_ref=node.head_ref_name,
        base_ref=node.base_ref_name,
        created_at=node.created_at,
        updated_at=node.updated_at,
        closed_at=node.closed_at,
        merged_at=node.merged_at,
        additions=node.additions,
        deletions=node.deletions,
        changed_files=node.changed_files,
        labels=node.labels,
        merge_commit_sha=node.merge_commit_oid,
        fetched=True,
    )


def timeline_entry(item: TimelineItem) -> TimelineEntry | None:
    """The entry a webhook action gives for the same fact, or None: an unknown type, no time, or a request made
    to a team or to an account that no longer exists (no person's review load changes)."""
    kind = TIMELINE_KINDS.get(item.typename)
    if kind is None or item.created_at is None:
        return None
    subject = person_from_actor(item.requested_reviewer) if kind in REQUEST_KINDS else None
    if kind in REQUEST_KINDS and subject is None:
        return None
    actor = None if kind == TimelineKind.CLOSED else person_from_actor(item.actor)
    return TimelineEntry(kind, item.created_at, actor=actor, subject=subject)


def timeline_from_items(items: Sequence[TimelineItem]) -> tuple[TimelineEntry, ...]:
    """Ready / draft transitions, review requests, closes and reopens with their own ``createdAt`` (a webhook's are
    its snapshot's ``updated_at``, the same second); opened and the last close or merge are also derived from the
    snapshot by the metrics core."""
    return tuple(entry for entry in map(timeline_entry, items) if entry is not None)


def import_item_from_node(
    node: PullRequestNode,
    *,
    github_repo_id: int,
    full_name: str,
    more_reviews: Sequence[ReviewNode] = (),
    more_timeline: Sequence[TimelineItem] = (),
) -> ImportItem:
    """One ``pull_requests_import`` item; ``more_reviews`` and ``more_timeline`` are the pages past the first 100
    (``reviews_page``, ``timeline_page``)."""
    reviews = tuple(review_from_node(r) for r in (*node.reviews, *more_reviews))
    snapshot = snapshot_from_node(node, github_repo_id=github_repo_id, full_name=full_name)
    timeline = timeline_from_items((*node.timeline_items, *more_timeline))
    if opened_as_draft(snapshot, timeline):
        timeline = (TimelineEntry(TimelineKind.DRAFT, snapshot.created_at, actor=snapshot.author), *timeline)
    return snapshot, reviews, timeline


def opened_as_draft(snapshot: PullRequestSnapshot, timeline: Sequence[TimelineEntry]) -> bool:
    """Whether the PR was opened as a draft: a ready/draft transition only follows the opposite state, so the
    first one (by time, then in GitHub's order) names the state the PR was opened in."""
    transitions = sorted(
        (e for e in timeline if e.kind in (TimelineKind.READY, TimelineKind.DRAFT)), key=lambda e: e.occurred_at
    )
    first = transitions[0].kind if transitions else None
    return snapshot.is_draft if first is None else first == TimelineKind.READY
