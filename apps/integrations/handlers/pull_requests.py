"""``pull_request`` and ``pull_request_review``: the events metrics are made of.

Both only count for an installation linked to a team and a repository that team tracks; anything else ends
``ignored`` with the reason. Events arrive in any order and twice: the metrics services keep the newest
snapshot, record every dated fact once, and create a PR from a review payload when the review comes first.
"""

from __future__ import annotations

from apps.integrations.handlers.base import DeliveryIgnored
from apps.integrations.mapping.webhooks import pull_request_snapshot, review_snapshot, timeline_for_action
from apps.integrations.models import GitHubAppInstallation, WebhookDelivery
from apps.integrations.selectors import installation_team_for_event, tracked_repository_for_delivery
from apps.metrics.services.pull_requests import pull_request_upsert, review_upsert
from apps.teams.models import Team
from github_app import PullRequestEvent, PullRequestReviewEvent, Repository, WebhookEvent


def _team_tracking(event: WebhookEvent, repository: Repository) -> Team:
    tracked = tracked_repository_for_delivery(installation_id=event.installation_id, github_repo_id=repository.id)
    if tracked is not None:
        return tracked.team
    if installation_team_for_event(event.installation_id) is not None:
        raise DeliveryIgnored("repository not tracked")
    known = GitHubAppInstallation.objects.filter(installation_id=event.installation_id).exists()
    raise DeliveryIgnored("installation not linked to a team" if known else "unknown installation")


def handle_pull_request(event: WebhookEvent, delivery: WebhookDelivery) -> None:
    assert isinstance(event, PullRequestEvent)
    team = _team_tracking(event, event.repository)
    pull_request_upsert(
        team=team,
        snapshot=pull_request_snapshot(event.pull_request, event.repository, event.action or ""),
        timeline=timeline_for_action(event),
    )


def handle_pull_request_review(event: WebhookEvent, delivery: WebhookDelivery) -> None:
    assert isinstance(event, PullRequestReviewEvent)
    team = _team_tracking(event, event.repository)
    review_upsert(
        team=team,
        pull_request=pull_request_snapshot(event.pull_request, event.repository),
        review=review_snapshot(event.review),
    )
