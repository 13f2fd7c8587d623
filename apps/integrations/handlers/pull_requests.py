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
from apps.integrations.mapping.webhooks import pull_request_snapshot, review_snapshot, timeline_for_action
from apps.integrations.models import GitHubAppInstallation, TrackedRepository, WebhookDelivery
from apps.integrations.selectors import installation_team_for_event, tracked_repository_for_delivery
from apps.metrics.services import PullRequestChange
from apps.teams.models import Team
from github_app import PullRequestEvent, PullRequestReviewEvent, Repository, WebhookEvent

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


def _team_tracking(event: WebhookEvent, repository: Repository) -> Team:
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
        team=_team_tracking(event, event.repository),
        snapshot=pull_request_snapshot(event.pull_request, event.repository, event.action or ""),
        timeline=tuple(timeline_for_action(event)),
    )


@handles("pull_request_review", PullRequestReviewEvent)
def handle_pull_request_review(event: PullRequestReviewEvent, delivery: WebhookDelivery) -> PullRequestChange:
    return PullRequestChange(
        team=_team_tracking(event, event.repository),
        snapshot=pull_request_snapshot(event.pull_request, event.repository),
        reviews=(review_snapshot(event.review),),
    )
