"""``pull_request`` and ``pull_request_review``: the events metrics are made of.

Both only count for an installation linked to a team and a repository that team tracks; anything else ends
``ignored`` with the reason. The handlers write nothing themselves: each returns the ``PullRequestChange`` its
delivery says, and processing writes the changes of a delivery, or of a whole drain batch, through the one write
path of PR data (``apps.metrics.services.pull_requests_write``). Events arrive in any order and twice: that path
keeps the newest snapshot, records every dated fact once, and creates a PR from a review payload when the review
comes first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from apps.integrations.handlers.base import DeliveryIgnored, handles
from apps.integrations.models import GitHubAppInstallation, TrackedRepository, WebhookDelivery
from apps.integrations.selectors import installation_team_for_event, tracked_repository_for_delivery
from apps.metrics.services import PullRequestChange
from apps.metrics.types import GitHubPerson, PullRequestSnapshot, ReviewSnapshot, TimelineEntry, TimelineKind
from apps.teams.models import Team
from github_app import (
    GitHubUser,
    PullRequest,
    PullRequestEvent,
    PullRequestReviewEvent,
    Repository,
    Review,
    WebhookEvent,
)
from github_app.accounts import is_ghost_account

# The mapping of these events' objects to ``apps.metrics`` values: the one place where a payload's PR, review or
# action becomes a ``PullRequestSnapshot``, ``ReviewSnapshot`` or ``TimelineEntry`` (metrics never sees a payload).

# Actions that are themselves a dated fact of the PR's history. GitHub gives them no timestamp of their own,
# so they take the snapshot's ``updated_at``, never the time the delivery arrived.
ACTION_TIMELINE = {
    "ready_for_review": TimelineKind.READY,
    "converted_to_draft": TimelineKind.DRAFT,
    "reopened": TimelineKind.REOPENED,
    "review_requested": TimelineKind.REVIEW_REQUESTED,
    "review_request_removed": TimelineKind.REVIEW_REQUEST_REMOVED,
}
REVIEWER_ACTIONS = {TimelineKind.REVIEW_REQUESTED, TimelineKind.REVIEW_REQUEST_REMOVED}


def person(user: GitHubUser | None) -> GitHubPerson | None:
    """The account as a person, or None: ``ghost`` stands for any deleted account, so it is no one in particular and
    never replaces the person stored before the deletion (the GraphQL import gives ``author: null`` for them)."""
    if user is None or is_ghost_account(github_id=user.id, login=user.login):
        return None
    return GitHubPerson(github_id=user.id, login=user.login, avatar_url=user.avatar_url, is_bot=user.is_bot)


def pull_request_snapshot(pull_request: PullRequest, repository: Repository, action: str = "") -> PullRequestSnapshot:
    """``action`` is the ``pull_request`` event's action; a review payload's PR passes none (its news is the review)."""
    return PullRequestSnapshot(
        github_pr_id=pull_request.id,
        number=pull_request.number,
        github_repo_id=repository.id,
        github_repo=repository.full_name,
        title=pull_request.title,
        body=pull_request.body or "",
        author=person(pull_request.user),
        state=pull_request.state,
        merged=pull_request.merged,
        is_draft=pull_request.draft,
        head_ref=pull_request.head_ref,
        base_ref=pull_request.base_ref,
        created_at=pull_request.created_at,
        updated_at=pull_request.updated_at,
        closed_at=pull_request.closed_at,
        merged_at=pull_request.merged_at,
        additions=pull_request.additions,
        deletions=pull_request.deletions,
        changed_files=pull_request.changed_files,
        labels=pull_request.labels,
        merge_commit_sha=pull_request.merge_commit_sha,
        action=action,
    )


def timeline_for_action(event: PullRequestEvent) -> tuple[TimelineEntry, ...]:
    """The dated fact an action adds beyond the snapshot (opened / closed / merged come from the snapshot)."""
    kind = ACTION_TIMELINE.get(event.action or "")
    if kind is None:
        return ()
    subject = person(event.requested_reviewer) if kind in REVIEWER_ACTIONS else None
    if kind in REVIEWER_ACTIONS and subject is None:
        return ()  # a team was requested, not a person: nobody's review load changes
    return (TimelineEntry(kind, event.pull_request.updated_at, actor=person(event.sender), subject=subject),)


def review_snapshot(review: Review) -> ReviewSnapshot:
    return ReviewSnapshot(
        github_review_id=review.id, reviewer=person(review.user), state=review.state, submitted_at=review.submitted_at
    )


CHANGE_EVENTS = frozenset({"pull_request", "pull_request_review"})  # the events whose handlers return a change

_TrackingKey = tuple[int | None, int]
_tracking_seen: ContextVar[dict[_TrackingKey, TrackedRepository | None] | None] = ContextVar(
    "tracking_seen", default=None
)


@contextmanager
def tracking_memoized() -> Iterator[None]:
    """Inside, each (installation, repository) tracking is looked up once: a drain batch is one short transaction
    whose deliveries mostly share a repository, so the answer cannot meaningfully change."""
    token = _tracking_seen.set({})
    try:
        yield
    finally:
        _tracking_seen.reset(token)


def _tracking(installation_id: int | None, github_repo_id: int) -> TrackedRepository | None:
    seen = _tracking_seen.get()
    key = (installation_id, github_repo_id)
    if seen is not None and key in seen:
        return seen[key]
    tracked = tracked_repository_for_delivery(installation_id=installation_id, github_repo_id=github_repo_id)
    if seen is not None:
        seen[key] = tracked
    return tracked


def team_tracking(event: WebhookEvent, repository: Repository) -> Team:
    """The team a delivery about ``repository`` counts for; ``DeliveryIgnored`` with the reason when none does
    (the repository is not tracked, the installation is not linked to a team, or it is unknown)."""
    tracked = _tracking(event.installation_id, repository.id)
    if tracked is not None:
        return tracked.team
    if installation_team_for_event(event.installation_id) is not None:
        raise DeliveryIgnored("repository not tracked")
    known = (
        event.installation_id is not None
        and GitHubAppInstallation.objects.filter(installation_id=event.installation_id).exists()
    )
    raise DeliveryIgnored("installation not linked to a team" if known else "unknown installation")


@handles("pull_request", PullRequestEvent)
def handle_pull_request(event: PullRequestEvent, delivery: WebhookDelivery) -> PullRequestChange:
    return PullRequestChange(
        team=team_tracking(event, event.repository),
        snapshot=pull_request_snapshot(event.pull_request, event.repository, event.action or ""),
        timeline=tuple(timeline_for_action(event)),
    )


@handles("pull_request_review", PullRequestReviewEvent)
def handle_pull_request_review(event: PullRequestReviewEvent, delivery: WebhookDelivery) -> PullRequestChange:
    return PullRequestChange(
        team=team_tracking(event, event.repository),
        snapshot=pull_request_snapshot(event.pull_request, event.repository),
        reviews=(review_snapshot(event.review),),
    )
