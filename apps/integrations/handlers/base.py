"""What a webhook handler is, how it is registered for its event, and how it says a delivery does not concern us.

A handler is written for one typed event (``github_app.parse_event`` turns ``X-GitHub-Event: pull_request`` into a
``PullRequestEvent``) and registered for that event's name with :func:`handles`; the registration checks once, at
import, that the parser really produces that type for that name, so the handler itself needs no ``isinstance``.
Within a handler, actions are routed by a table (:func:`by_action`) rather than an ``if``/``elif`` chain: the
actions a handler knows are data, and any other action ends the delivery ``ignored`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

from apps.integrations.models import WebhookDelivery
from apps.metrics.services import PullRequestChange
from github_app import WebhookEvent, event_type_for

# A handler returns the change of PR data its delivery says, written by processing (the PR events' handlers), or
# None when it wrote what it had to itself.
Handler = Callable[[WebhookEvent, WebhookDelivery], PullRequestChange | None]
E = TypeVar("E", bound=WebhookEvent)
TypedHandler = Callable[[E, WebhookDelivery], PullRequestChange | None]

HANDLERS: dict[str, Handler] = {}


class DeliveryIgnored(Exception):
    """Raised by a handler for a delivery that is valid but not ours to act on; the message is the reason
    stored on the delivery (for example "repository not tracked")."""


def handles(event_name: str, event_type: type[E]) -> Callable[[TypedHandler[E]], TypedHandler[E]]:
    """Register the decorated function as the handler of ``event_name`` deliveries, which arrive as ``event_type``.

    Raises ``ImproperlyConfigured`` at import when the parser gives that event name another type, or when two
    handlers claim one event: both are programming errors, found by the first test run rather than in production.
    """

    def register(handler: TypedHandler[E]) -> TypedHandler[E]:
        if event_type_for(event_name) is not event_type:
            raise ImproperlyConfigured(f"{event_name} events are parsed as {event_type_for(event_name).__name__}")
        if event_name in HANDLERS:
            raise ImproperlyConfigured(f"two handlers for {event_name} events")

        def run(event: WebhookEvent, delivery: WebhookDelivery) -> PullRequestChange | None:
            if not isinstance(event, event_type):  # true by the check above; said again for the type checker
                raise TypeError(f"{event_name} handler got {type(event).__name__}")
            return handler(event, delivery)

        run.__name__ = run.__qualname__ = handler.__name__
        run.__doc__ = handler.__doc__
        HANDLERS[event_name] = run
        return handler

    return register


def by_action(event_name: str, actions: Mapping[str, TypedHandler[E]]) -> TypedHandler[E]:
    """One handler made of a table of per-action handlers; an action not in the table is ignored, with the reason."""

    def route(event: E, delivery: WebhookDelivery) -> PullRequestChange | None:
        action = actions.get(event.action or "")
        if action is None:
            raise DeliveryIgnored(f"{event_name}.{event.action} is not handled")
        return action(event, delivery)

    return route
