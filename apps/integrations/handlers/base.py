"""What a webhook handler is, and how it says a delivery does not concern us."""

from __future__ import annotations

from collections.abc import Callable

from apps.integrations.models import WebhookDelivery
from github_app import WebhookEvent

Handler = Callable[[WebhookEvent, WebhookDelivery], None]


class DeliveryIgnored(Exception):
    """Raised by a handler for a delivery that is valid but not ours to act on; the message is the reason
    stored on the delivery (for example "repository not tracked")."""
