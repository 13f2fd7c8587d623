"""Migration 0012 moves the bodies of an existing install into the payload table: every body a delivery still needs
(within the retention, or its delivery failed), none pruned or about to be, and a second run (a migration resumed
after it stopped) copies nothing twice."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("integrations", "0011_webhook_payload")]
COPIED = [("integrations", "0012_copy_delivery_payloads")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_0012_copies_every_body_still_needed_and_none_pruned_or_past_the_retention():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("integrations")
    try:
        apps = _migrate(BEFORE)
        delivery = apps.get_model("integrations", "WebhookDelivery")
        now = timezone.now()
        kept = delivery.objects.create(
            delivery_id="kept", event="ping", payload='{"zen": "kept"}', received_at=now, status="processed"
        )
        failed = delivery.objects.create(
            delivery_id="old-failed", event="ping", payload='{"zen": "failed"}', status="failed",
            received_at=now - timedelta(days=40),
        )  # fmt: skip
        delivery.objects.create(  # past the retention and done: the next prune would drop it, so it is not copied
            delivery_id="old-done", event="ping", payload='{"zen": "done"}', status="processed",
            received_at=now - timedelta(days=40),
        )  # fmt: skip
        delivery.objects.create(
            delivery_id="pruned", event="ping", payload="", payload_pruned_at=now, status="processed",
            received_at=now - timedelta(days=40),
        )  # fmt: skip
        apps = _migrate(COPIED)
        payload = apps.get_model("integrations", "WebhookPayload")
        bodies = {(p.delivery_id, p.received_at): p.body for p in payload.objects.all()}
        assert bodies == {
            (kept.pk, kept.received_at): '{"zen": "kept"}',
            (failed.pk, failed.received_at): '{"zen": "failed"}',
        }

        _migrate(BEFORE)  # 0012's reverse keeps the copies: running it again is a resumed run
        _migrate(COPIED)
        assert payload.objects.count() == 2
    finally:
        _migrate(leaf)
