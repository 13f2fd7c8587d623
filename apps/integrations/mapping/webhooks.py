"""Webhook events → metrics input types.

``apps.metrics`` never sees a payload; these functions are the one place where a ``pull_request`` or
``pull_request_review`` event's objects become ``PullRequestSnapshot``, ``ReviewSnapshot`` and ``TimelineEntry``.
"""

from __future__ import annotations

from apps.metrics.types import GitHubPerson, PullRequestSnapshot, ReviewSnapshot, TimelineEntry, TimelineKind
from github_app import GitHubUser, PullRequest, PullRequestEvent, Repository, Review

# Actions that are themselves a dated fact of the PR's history. GitHub gives them no timestamp of their own,
# so they take the snapshot's ``updated_at`` (DESIGN §6), never the time the delivery arrived.
ACTION_TIMELINE = {
    "ready_for_review": TimelineKind.READY,
    "converted_to_draft": TimelineKind.DRAFT,
    "reopened": TimelineKind.REOPENED,
    "review_requested": TimelineKind.REVIEW_REQUESTED,
    "review_request_removed": TimelineKind.REVIEW_REQUEST_REMOVED,
}
REVIEWER_ACTIONS = {TimelineKind.REVIEW_REQUESTED, TimelineKind.REVIEW_REQUEST_REMOVED}


# GitHub's placeholder for a deleted account: every deleted user's PRs, reviews and comments name it afterwards.
GHOST_ID, GHOST_LOGIN = 10137, "ghost"


def person(user: GitHubUser | None) -> GitHubPerson | None:
    """The account as a person, or None: ``ghost`` stands for any deleted account, so it is no one in particular and
    never replaces the person stored before the deletion (the GraphQL import gives ``author: null`` for them)."""
    if user is None or user.id == GHOST_ID or user.login == GHOST_LOGIN:
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
