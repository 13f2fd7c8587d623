"""Drill: the broker (Redis) stops while GitHub keeps sending webhooks.

Invariant 7: a delivery answered 2xx is stored first, so with the broker down every delivery is still answered
202 and waits ``pending``; when the broker is back, the sweeper queues them and each is processed exactly once.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.drill


def test_webhooks_during_a_broker_outage_are_stored_then_swept_and_processed_once(stack):
    tf = stack()
    installation = tf.install(["acme/drill"], pull_requests={"acme/drill": 12})
    linked = tf.ops("link", installation_id=installation, repositories=["acme/drill"])
    tf.wait_import(linked["tracked"]["acme/drill"])

    tf.stop_redis()
    logged = len(tf.github_log())
    tf.control("/_emulator/activity", {"repository": "acme/drill", "count": 25, "seed": 7})
    during = tf.github_log()[logged:]

    assert len(during) >= 25
    assert {d.status_code for d in during} == {202}, [(d.guid, d.status_code, d.status) for d in during]
    guids = {d.guid for d in during}
    assert {row[0] for row in tf.delivery_rows(guids).values()} == {"pending"}
    assert len(tf.delivery_rows(guids)) == len(guids)

    tf.wait_wakeups_given_up()
    tf.start_redis()  # empty, as a broker that lost its queues
    assert tf.ops("sweep") == len(guids)
    tf.ops("sweep")  # beat may sweep again before the worker is through: the claim makes it harmless

    rows = tf.wait_deliveries(guids)
    assert {attempts for _, attempts, _ in rows.values()} == {1}, rows  # processed once, none twice
    stored = tf.db.value("SELECT COUNT(*) FROM integrations_webhookdelivery WHERE delivery_id = ANY(%s)", [list(guids)])
    assert stored == len(guids)

    # The web processes' broker connections heal by themselves: a new delivery is queued without the sweeper.
    logged = len(tf.github_log())
    tf.control("/_emulator/activity", {"repository": "acme/drill", "actions": ["open", "approve", "merge"]})
    tf.wait_deliveries({d.guid for d in tf.github_log()[logged:]})

    assert tf.assert_matches_github(linked["team_id"], "acme/drill") >= 12
