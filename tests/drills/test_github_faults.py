"""Drill: GitHub answers 502s, a secondary rate limit and an exhausted primary rate limit during an import.

What a real import meets on a bad day. The import must shrink its page after 502s (a query too heavy for
GitHub), never sleep in the worker: on a rate limit it saves its place, re-schedules itself for GitHub's reset
(``Retry-After``, or ``resetAt`` of the GraphQL budget) and finishes with every PR and review.

The emulator's rate-limit window is shortened from an hour to a few seconds, so real waiting happens in
drill time; nothing in tformance is told about it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

pytestmark = pytest.mark.drill

HISTORY = 400
WINDOW_SECONDS = 5
GRAPHQL_POINTS = 4  # per window: an import of ~10 pages needs several windows
# The import pauses for the reset after every third page (a page takes ~0.2 s, even on a loaded machine). Not
# fewer: the page size halved by the 502s grows back only after three good pages in one run.
RESERVE = 1


def test_an_import_through_502s_and_rate_limits_backs_off_and_completes(stack, monkeypatch):
    monkeypatch.setattr("github_app.emulator.models.RATE_WINDOW", timedelta(seconds=WINDOW_SECONDS))
    tf = stack(IMPORT_RATE_LIMIT_RESERVE=str(RESERVE))
    installation = tf.install(["acme/big"], pull_requests={"acme/big": HISTORY})
    tf.control("/_emulator/rate-limit", {"graphql": GRAPHQL_POINTS})
    tf.control("/_emulator/faults", {"status": 502, "count": 2, "path_prefix": "/graphql"})
    tf.control("/_emulator/faults", {"secondary": True, "retry_after": 2, "count": 1, "path_prefix": "/graphql"})
    requests_before = tf.emulator.state.request_counts.get("/graphql", 0)

    started = time.monotonic()
    linked = tf.ops("link", installation_id=installation, repositories=["acme/big"])
    seen: list[str] = []
    tf.wait_import(linked["tracked"]["acme/big"], seen=seen)
    elapsed = time.monotonic() - started

    assert tf.assert_matches_github(linked["team_id"], "acme/big") == HISTORY
    assert not tf.emulator.state.faults  # every injected failure was met
    assert seen.count("waiting") >= 2, seen  # the secondary limit and at least one budget reset
    graphql = tf.emulator.state.request_counts.get("/graphql", 0) - requests_before
    windows = (graphql - 3) / GRAPHQL_POINTS  # the three faulted requests are refused before any budget is spent
    assert elapsed >= (windows - 1) * WINDOW_SECONDS * 0.8, (elapsed, graphql)  # it waited for resets, not looped
