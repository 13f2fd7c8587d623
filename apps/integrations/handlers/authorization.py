"""``github_app_authorization.revoked``: a user revoked their authorization of the App.

Payload: ``{"action": "revoked", "sender": {"id", "login", ...}}`` (no installation). We never store user
tokens (the install callback uses one for a single check); what we keep is the installer claim (the sender of
``installation.created``), which lets that user connect the installation. A revoked authorization ends it.
"""

from __future__ import annotations

import logging

from apps.integrations.handlers.base import DeliveryIgnored, handles
from apps.integrations.models import WebhookDelivery
from apps.integrations.services.linking import installer_claims_forget
from github_app import GitHubAppAuthorizationEvent

logger = logging.getLogger(__name__)


@handles("github_app_authorization", GitHubAppAuthorizationEvent)
def handle_github_app_authorization(event: GitHubAppAuthorizationEvent, delivery: WebhookDelivery) -> None:
    if event.action != "revoked":
        raise DeliveryIgnored(f"github_app_authorization.{event.action} is not handled")
    sender = event.sender
    if sender is None:
        raise DeliveryIgnored("github_app_authorization.revoked without a sender")
    forgotten = installer_claims_forget(github_user_id=sender.id)
    logger.info(
        "GitHub user %s (%s) revoked their authorization of the App; installer of %s installations no more",
        sender.id,
        sender.login,
        forgotten,
    )
