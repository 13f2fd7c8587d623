"""Webhook deliveries: signature verification and typed events."""

from github_app.webhooks.events import (
    GenericEvent,
    GitHubAppAuthorizationEvent,
    InstallationEvent,
    InstallationRepositoriesEvent,
    InstallationTargetEvent,
    PingEvent,
    PullRequestEvent,
    PullRequestReviewEvent,
    RepositoryEvent,
    WebhookEvent,
    event_type_for,
    parse_event,
)
from github_app.webhooks.models import (
    Account,
    GitHubUser,
    Installation,
    PullRequest,
    Repository,
    RepositoryRef,
    Review,
    WebhookPayloadError,
)
from github_app.webhooks.signature import sign_payload, verify_signature

__all__ = [
    "Account",
    "GenericEvent",
    "GitHubAppAuthorizationEvent",
    "GitHubUser",
    "Installation",
    "InstallationEvent",
    "InstallationRepositoriesEvent",
    "InstallationTargetEvent",
    "PingEvent",
    "PullRequest",
    "PullRequestEvent",
    "PullRequestReviewEvent",
    "Repository",
    "RepositoryEvent",
    "RepositoryRef",
    "Review",
    "WebhookEvent",
    "WebhookPayloadError",
    "event_type_for",
    "parse_event",
    "sign_payload",
    "verify_signature",
]
