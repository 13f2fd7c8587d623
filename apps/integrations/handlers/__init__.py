"""The dispatch table: one handler per webhook event name.

``app-manifest.json`` subscribes the App to exactly the events listed here (a test keeps them equal);
installation events reach every App without a subscription.
"""

from __future__ import annotations

from apps.integrations.handlers.authorization import handle_github_app_authorization
from apps.integrations.handlers.base import DeliveryIgnored, Handler
from apps.integrations.handlers.installations import handle_installation, handle_installation_target
from apps.integrations.handlers.ping import handle_ping
from apps.integrations.handlers.pull_requests import handle_pull_request, handle_pull_request_review
from apps.integrations.handlers.repositories import handle_installation_repositories, handle_repository

HANDLERS: dict[str, Handler] = {
    "ping": handle_ping,
    "installation": handle_installation,
    "installation_repositories": handle_installation_repositories,
    "installation_target": handle_installation_target,
    "repository": handle_repository,
    "github_app_authorization": handle_github_app_authorization,
    "pull_request": handle_pull_request,
    "pull_request_review": handle_pull_request_review,
}

# Events GitHub sends to every App whatever its subscriptions; not listed in the manifest. (`meta`, about the
# App's hook itself, is not one of them: an App receives it only when subscribed, which needs its permission.)
ALWAYS_DELIVERED = frozenset(
    {"ping", "installation", "installation_repositories", "installation_target", "github_app_authorization"}
)

__all__ = ["ALWAYS_DELIVERED", "HANDLERS", "DeliveryIgnored", "Handler"]
