"""``github_app_authorization.revoked``: a user revoked their authorization of the App.

Payload: ``{"action": "revoked", "sender": {"id", "login", ...}}`` (no installation). We never store user
tokens (the install callback uses one for a single check), so there is nothing to delete; the event is logged.
"""

from __future__ import annotations

import logging

from apps.integrations.handlers.base import DeliveryIgnored, handles
from apps.integrations.models import WebhookDelivery
from github_app import GitHubAppAuthorizationEvent

logger = logging.getLogger(__name__)


@handles("github_app_authorization", GitHubAppAuthorizationEvent)
def handle_github_app_authorization(event: GitHubAppAuthorizationEvent, delivery: WebhookDelivery) -> None:
    if event.action != "revoked":
        raise DeliveryIgnored(f"github_app_authorization.{event.action} is not handled")
    sender = event.sender
    logger.info(
        "GitHub user %s (%s) revoked their authorization of the App; no user token is stored",
        sender.id if sender else None,
        sender.login if sender else "",
    )
