"""Drill: a web process is SIGKILLed after committing deliveries and before any worker heard of them.

The webhook answers 202 once the delivery is committed; waking a worker comes after, from a thread of the web
process. A web process that dies in between leaves committed, pending deliveries that nobody queued. They must
still be processed, each once: any worker woken for the next delivery another web process receives claims every
pending delivery, not only the one it was woken for (and with no further traffic the sweeper queues them).

The doomed web process reaches the database but its broker address is a closed port, so no wake-up of its ever
leaves it: exactly the state a kill between commit and wake-up leaves behind, made certain instead of raced.
"""

from __future__ import annotations

import pytest

from tests.drills import harness

pytestmark = pytest.mark.drill


def test_deliveries_of_a_web_process_killed_before_waking_a_worker_are_processed_with_the_next(stack):
    tf = stack()
    installation = tf.install(["acme/drill"], pull_requests={"acme/drill": 12})
    linked = tf.ops("link", installation_id=installation, repositories=["acme/drill"])
    tf.wait_import(linked["tracked"]["acme/drill"])

    doomed_port = harness.free_port()
    doomed_env = dict(tf.env, CELERY_BROKER_URL=f"redis://127.0.0.1:{harness.free_port()}/0")
    doomed = tf._spawn(harness.gunicorn(doomed_port, doomed_env, tf.log_dir, name="gunicorn-doomed"))
    doomed_url = f"http://127.0.0.1:{doomed_port}/webhooks/github/"
    harness.wait_for(lambda: harness.http_up(doomed_url), timeout=60, what="the doomed gunicorn")

    tf.control("/_emulator/webhook-url", {"url": doomed_url})
    logged = len(tf.github_log())
    tf.control("/_emulator/activity", {"repository": "acme/drill", "count": 10, "seed": 5})
    orphans = tf.github_log()[logged:]
    assert len(orphans) >= 10
    assert {d.status_code for d in orphans} == {202}, [(d.guid, d.status_code, d.status) for d in orphans]
    doomed.kill()

    guids = {d.guid for d in orphans}
    rows = tf.delivery_rows(guids)
    assert len(rows) == len(guids) and {status for status, _, _ in rows.values()} == {"pending"}

    tf.control("/_emulator/webhook-url", {"url": tf.webhook_url})
    logged = len(tf.github_log())
    tf.control("/_emulator/activity", {"repository": "acme/drill", "actions": ["open"]})
    following = {d.guid for d in tf.github_log()[logged:]}

    rows = tf.wait_deliveries(guids | following)  # no sweeper run: the next delivery's worker took them all
    assert {attempts for _, attempts, _ in rows.values()} == {1}, rows
    assert tf.ops("sweep") == 0  # nothing left pending for the last resort
    assert tf.assert_matches_github(linked["team_id"], "acme/drill") >= 13
