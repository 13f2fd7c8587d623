"""The dispatch table: one handler per webhook event name, registered by ``@handles(name, EventType)``.

Importing this package imports every handler module, which fills ``HANDLERS``. ``app-manifest.json`` subscribes
the App to exactly the events handled here (a test keeps them equal); installation events reach every App without
a subscription.
"""

from __future__ import annotations

from apps.integrations.handlers import (  # noqa: F401 - imported to register their handlers
    authorization,
    deployments,
    installations,
    ping,
    pull_requests,
    repositories,
)
from apps.integrations.handlers.base import HANDLERS, DeliveryIgnored, Handler

# Events GitHub sends to every App whatever its subscriptions; not listed in the manifest. (`meta`, about the
# App's hook itself, is not one of them: an App receives it only when subscribed, which needs its permission.)
ALWAYS_DELIVERED = frozenset(
    {"ping", "installation", "installation_repositories", "installation_target", "github_app_authorization"}
)

__all__ = ["ALWAYS_DELIVERED", "HANDLERS", "DeliveryIgnored", "Handler"]
