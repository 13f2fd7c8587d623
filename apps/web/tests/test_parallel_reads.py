"""The dashboard's panels read side by side on their own connections (PostgreSQL), and show what one connection
would have shown: the same figures, in the team's time zone, under every scope rule."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.metrics.services import pull_request_upsert
from apps.metrics.tests.factories import SnapshotFactory, at
from apps.web.tests.figure_world import PERIOD, seed_figure_world

pytestmark = [
    pytest.mark.django_db(transaction=True),  # other connections see only what is committed
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel reads are PostgreSQL's; CI runs this there"),
]

MONDAY = {"start": "2026-11-02", "end": "2026-11-02"}  # T0 is Monday Nov 2, 09:00 UTC


def is_reviewer_load(sql: str) -> bool:
    return "percentile_cont" in sql and "metrics_prreview" in sql


def panels(response) -> dict:
    page = response.context["page"]
    return {
        "summary": response.context["summary"],
        "pickup": response.context["pickup"],
        "trends": response.context["trends"],
        "reviewers": response.context["reviewers"],
        "table": (page.paginator.count, page.number, [pr.pk for pr in page]),
    }


def render(client, team, settings, period: dict, *, connections: int) -> tuple[dict, list[str]]:
    settings.PARALLEL_READ_CONNECTIONS = connections
    with CaptureQueriesContext(connection) as on_request_connection:
        response = client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug}), period)
    assert response.status_code == 200
    return panels(response), [q["sql"] for q in on_request_connection.captured_queries]


def test_panels_read_on_their_own_connections_show_what_one_connection_shows(admin_client, team, settings):
    """Every rule of the scope (hidden person, bot, untracked repository, reviewer load's own rules) and the team's
    time zone apply in the pool's threads as in the request's: a 9 pm merge in New York is Monday's there."""
    seed_figure_world(team)
    evening = at(17)  # Tuesday Nov 3, 02:00 UTC: Monday 9 pm in New York
    pull_request_upsert(
        team=team, snapshot=SnapshotFactory(state="closed", merged=True, updated_at=evening, merged_at=evening)
    )
    utc_monday, _ = render(admin_client, team, settings, MONDAY, connections=0)
    team.timezone = "America/New_York"
    team.save()

    for period in (PERIOD, MONDAY):
        serial, serial_statements = render(admin_client, team, settings, period, connections=0)
        parallel, parallel_statements = render(admin_client, team, settings, period, connections=3)

        assert parallel == serial
        assert serial["summary"].merged > 0
        assert any(is_reviewer_load(sql) for sql in serial_statements)
        assert not any(is_reviewer_load(sql) for sql in parallel_statements)  # read on another connection
    assert serial["summary"].merged == utc_monday["summary"].merged + 1  # the evening merge, on New York's Monday


def test_inside_a_transaction_the_panels_read_what_it_wrote(admin_client, team, settings):
    """Another connection cannot see a transaction's uncommitted rows: inside one, the panels read on the
    caller's connection, one after another."""
    settings.PARALLEL_READ_CONNECTIONS = 3
    with transaction.atomic():
        seed_figure_world(team)
        response = admin_client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug}), PERIOD)
        assert response.context["summary"].merged > 0
        assert response.context["page"].paginator.count > 0
