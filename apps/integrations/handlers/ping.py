"""``ping``: GitHub's first delivery after the App's webhook is set up or changed."""

from __future__ import annotations

import logging

from apps.integrations.handlers.base import handles
from apps.integrations.models import WebhookDelivery
from github_app import PingEvent

logger = logging.getLogger(__name__)


@handles("ping", PingEvent)
def handle_ping(event: PingEvent, delivery: WebhookDelivery) -> None:
    """Record which hook and App the ping came from; the delivery row keeps the hook id for the audit trail."""
    if event.hook_id is not None and delivery.hook_id != event.hook_id:
        delivery.hook_id = event.hook_id
        delivery.save(update_fields=["hook_id"])
    logger.info("ping from hook %s of app %s: %s", event.hook_id, event.app_id, event.zen)
