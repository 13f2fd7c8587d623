"""Whatever JSON a delivery carries, parse_event returns an event or raises WebhookPayloadError, nothing else.

Two nets: a systematic mutation of every field (to depth 4) of every real payload, and hypothesis
generating arbitrary JSON objects and grafting arbitrary JSON into the real payloads.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from github_app import WebhookEvent, WebhookPayloadError, parse_event
from github_app.tests.fixtures import deployment_webhook_files, webhook_files

EVENT_NAMES = [
    "installation",
    "installation_repositories",
    "installation_target",
    "repository",
    "pull_request",
    "pull_request_review",
    "github_app_authorization",
    "ping",
    "meta",
    "deployment",
    "deployment_status",
    "workflow_run",
]
REPLACEMENTS: list[Any] = [None, "x", "2019-05-15T15:20:33Z", 7, -1, 1.5, True, [], {}, [{}], 10**30]


def _paths(node: Any, prefix: tuple = (), depth: int = 4) -> Iterator[tuple]:
    if depth == 0:
        return
    items = node.items() if isinstance(node, dict) else enumerate(node[:2]) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(key, str) and key.endswith("_url") and key not in ("avatar_url", "html_url"):
            continue
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key), depth - 1)


def _set(payload: Any, path: tuple, value: Any, delete: bool) -> None:
    target = payload
    for key in path[:-1]:
        target = target[key]
    if delete and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = value


def _parse_must_not_escape(name: str, payload: Any) -> None:
    try:
        result = parse_event(name, "d", payload)
    except WebhookPayloadError:
        return
    assert isinstance(result, WebhookEvent)


@pytest.mark.parametrize(
    "path", webhook_files() + deployment_webhook_files(), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_field_removed_or_retyped_gives_payload_error_or_event(path) -> None:
    payload = json.loads(path.read_text())
    raised = 0
    for field_path in list(_paths(payload)):
        parent = payload
        for key in field_path[:-1]:
            parent = parent[key]
        key, saved = field_path[-1], parent[field_path[-1]]
        for delete, value in [(True, None), *((False, r) for r in REPLACEMENTS)]:
            _set(payload, field_path, copy.deepcopy(value), delete)  # mutate in place, restore below
            try:
                parse_event(path.parent.name, "d", payload)
            except WebhookPayloadError:
                raised += 1
            parent[key] = saved
    typed = path.parent.name in (
        "installation",
        "installation_repositories",
        "repository",
        "pull_request",
        "pull_request_review",
        "deployment",
        "deployment_status",
        "workflow_run",
    )
    assert raised > 0 or not typed  # the loop really reached fields the typed events need


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=25,
)
KEYS = st.sampled_from(
    [
        "action",
        "installation",
        "sender",
        "pull_request",
        "review",
        "repository",
        "id",
        "user",
        "account",
        "repositories",
        "label",
        "hook",
        "number",
        "created_at",
        "state",
        "head",
        "login",
        "deployment",
        "deployment_status",
        "workflow_run",
        "sha",
        "run_attempt",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(EVENT_NAMES), payload=st.dictionaries(KEYS | st.text(max_size=8), JSON, max_size=8))
def test_arbitrary_json_objects_never_raise_anything_else(name: str, payload: dict) -> None:
    _parse_must_not_escape(name, payload)


_FILES = webhook_files() + deployment_webhook_files()


@pytest.mark.skipif(not _FILES, reason="GitHub fixtures absent")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0, max_value=max(len(_FILES) - 1, 0)), data=st.data(), value=JSON)
def test_grafting_arbitrary_json_into_real_payloads(index: int, data: st.DataObject, value: Any) -> None:
    path = _FILES[index]
    payload = json.loads(path.read_text())
    paths = list(_paths(payload))
    field_path = data.draw(st.sampled_from(paths))
    _set(payload, field_path, value, delete=False)
    _parse_must_not_escape(path.parent.name, payload)


@pytest.mark.parametrize("payload", [None, [], "x", 3, [{"action": "opened"}]])
def test_non_object_payload_is_a_payload_error(payload: Any) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_event("pull_request", "d", payload)
