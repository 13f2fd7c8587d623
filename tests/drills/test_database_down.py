"""Drill: PostgreSQL becomes unreachable while GitHub keeps sending webhooks.

Invariant 7: nothing is answered 2xx that is not stored, so the endpoint answers 503 and GitHub's delivery log
records each failure (GitHub never retries by itself). When the database is back, the redelivery job reads that
log (``GET /app/hook/deliveries``), asks GitHub to redeliver what we never stored, and every delivery ends
processed — each once.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.drill


def test_webhooks_refused_while_the_database_is_down_are_recovered_from_githubs_log(stack):
    tf = stack(WEBHOOK_REDELIVERIES_PER_RUN="500")  # one run recovers the whole outage
    installation = tf.install(["acme/drill"], pull_requests={"acme/drill": 12})
    linked = tf.ops("link", installation_id=installation, repositories=["acme/drill"])
    tf.wait_import(linked["tracked"]["acme/drill"])

    tf.proxy.cut()
    logged = len(tf.github_log())
    tf.control("/_emulator/activity", {"repository": "acme/drill", "count": 20, "seed": 11})
    failed = tf.github_log()[logged:]

    assert len(failed) >= 20
    assert {d.status_code for d in failed} == {503}, [(d.guid, d.status_code, d.status) for d in failed]

    tf.proxy.restore()
    guids = {d.guid for d in failed}
    assert not tf.delivery_rows(guids)  # stored nothing while down: GitHub's log is the only record
    assert tf.ops("recover") == len(guids)

    rows = tf.wait_deliveries(guids)
    assert {attempts for _, attempts, _ in rows.values()} == {1}, rows
    redelivered = [d for d in tf.github_log(guids) if d.redelivery]
    assert len(redelivered) == len(guids) and {d.status_code for d in redelivered} == {202}
    assert tf.ops("recover") == 0  # a second run asks for nothing twice

    assert tf.assert_matches_github(linked["team_id"], "acme/drill") >= 12
