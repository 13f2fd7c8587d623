"""500 correctly signed but malformed or mutated real payloads: never a 500, always a stored row.

Each case takes one of the suite's webhook payloads (github_app/tests/data/github/webhooks), mutates it (drops, nulls,
retypes or deepens fields, changes the action) and posts it signed under its real event name. Whatever
the handlers make of it, the endpoint answers 202 and the delivery ends processed, ignored or failed.
"""

import json
import random
import uuid

import pytest

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from github_app.tests.fixtures import webhook_files

pytestmark = pytest.mark.django_db

CASES = 500
ODD_VALUES = [None, "", 0, -1, 2**63, 2**70, 1.5, True, [], {}, "x" * 300, "\u2603", {"id": "nope"}, ["a"]]


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield (*prefix, i)
            yield from _paths(value, (*prefix, i))


def _mutate(payload: dict, rng: random.Random) -> dict:
    paths = list(_paths(payload))
    for _ in range(rng.randint(1, 4)):
        if not paths:
            break
        *parent_path, key = rng.choice(paths)
        parent = payload
        try:
            for step in parent_path:
                parent = parent[step]
            if rng.random() < 0.3 and isinstance(parent, dict):
                del parent[key]
            else:
                parent[key] = rng.choice(ODD_VALUES)
        except (KeyError, IndexError, TypeError):
            continue
    if rng.random() < 0.2:
        payload["action"] = rng.choice(["created", "deleted", "opened", "closed", "submitted", "weird", 7, None])
    return payload


def _cases():
    files = webhook_files()
    assert files, "the suite's webhook payloads are missing"
    rng = random.Random(20261128)
    for n in range(CASES):
        path = rng.choice(files)
        event = path.parent.name
        yield n, event, _mutate(json.loads(path.read_text()), rng)


def test_mutated_real_payloads_never_cause_a_500_and_always_leave_a_row(signed_webhook, team):
    statuses = {}
    for n, event, payload in _cases():
        delivery_id = str(uuid.UUID(int=n))
        response = signed_webhook(event, payload, delivery_id=delivery_id)
        assert response.status_code == 202, (n, event, response.status_code, response.content[:200])
        statuses[delivery_id] = event
    rows = dict(WebhookDelivery.objects.values_list("delivery_id", "status"))
    assert set(rows) == set(statuses)
    assert set(rows.values()) <= {DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED, DeliveryStatus.FAILED}
    # A failure names the bad field; it is never a handler tripping over the payload.
    reasons = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).values_list("reason", flat=True)
    assert [r for r in reasons if not r.startswith("WebhookPayloadError")] == []
