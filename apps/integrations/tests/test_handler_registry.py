"""Handlers are registered for an event name and the typed event the parser gives it; mistakes fail at import."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.integrations.handlers import HANDLERS
from apps.integrations.handlers.base import DeliveryIgnored, by_action, handles
from github_app import (
    DeploymentEvent,
    DeploymentStatusEvent,
    InstallationEvent,
    PingEvent,
    PullRequestEvent,
    event_type_for,
    parse_event,
)


def test_every_handled_event_is_parsed_as_the_type_its_handler_was_written_for():
    assert {name: event_type_for(name) for name in HANDLERS} == {
        "ping": PingEvent,
        "installation": InstallationEvent,
        "installation_repositories": event_type_for("installation_repositories"),
        "installation_target": event_type_for("installation_target"),
        "repository": event_type_for("repository"),
        "github_app_authorization": event_type_for("github_app_authorization"),
        "pull_request": PullRequestEvent,
        "pull_request_review": event_type_for("pull_request_review"),
        "deployment": DeploymentEvent,
        "deployment_status": DeploymentStatusEvent,
    }


def test_a_handler_registered_for_the_wrong_event_type_fails_at_import(monkeypatch):
    monkeypatch.setattr("apps.integrations.handlers.base.HANDLERS", {})
    with pytest.raises(ImproperlyConfigured, match="pull_request events are parsed as PullRequestEvent"):

        @handles("pull_request", InstallationEvent)
        def wrong(event: InstallationEvent, delivery) -> None: ...


def test_a_second_handler_for_one_event_fails_at_import():
    with pytest.raises(ImproperlyConfigured, match="two handlers for ping events"):

        @handles("ping", PingEvent)
        def another_ping(event: PingEvent, delivery) -> None: ...


def test_an_action_missing_from_the_table_ends_ignored_with_the_reason():
    seen: list[str] = []
    route = by_action("ping", {"hello": lambda event, delivery: seen.append("hello")})
    event = parse_event("ping", "d-1", {"action": "hello", "zen": "z"})
    route(event, None)
    with pytest.raises(DeliveryIgnored, match=r"ping\.bye is not handled"):
        route(parse_event("ping", "d-2", {"action": "bye"}), None)
    assert seen == ["hello"]
