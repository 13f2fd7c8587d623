"""Query budgets of the pages: the dashboard and a figure list must not grow with the period or the list's length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from apps.metrics.models import TeamMember
from apps.metrics.services import review_upsert
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at

pytestmark = pytest.mark.django_db
REVIEWER = PersonFactory(login="grace")


@pytest.mark.parametrize(
    "period", [{"start": "2026-10-01", "end": "2026-11-30"}, {"start": "2023-12-01", "end": "2026-11-30"}]
)
def test_the_dashboard_renders_within_19_queries_whatever_the_period(
    member_client, team, django_assert_max_num_queries, period
):
    for _ in range(30):
        snap = SnapshotFactory(state="closed", merged=True, updated_at=at(9), closed_at=at(9), merged_at=at(9))
        review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(3)))
    url = reverse("dashboard:index", kwargs={"team_slug": team.slug})
    # Everything the page reads: session, user, team, filters, the freshness line and the figures. A three-year
    # period has 157 weeks and costs what two months do (each week's median is one range of one statement).
    # The previous period (the cards' comparison) is one statement, its pickup read with the period's. SQLite has no
    # percentile aggregate: each of the summaries' percentiles takes a windowed statement there.
    with django_assert_max_num_queries(19 if connection.vendor == "postgresql" else 24):
        response = member_client.get(url, period | {"page": "2", "sort": "size"})
    assert response.status_code == 200 and response.context["summary"].merged == 30


@pytest.mark.parametrize("key", ["cycle", "reviews-given"])
def test_a_figure_list_page_stays_within_12_queries_whatever_its_length(
    member_client, team, django_assert_max_num_queries, key
):
    for _ in range(60):
        snap = SnapshotFactory(state="closed", merged=True, updated_at=at(9), closed_at=at(9), merged_at=at(9))
        review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(3), reviewer=REVIEWER))
    member = TeamMember.objects.get(team=team, github_id=REVIEWER.github_id) if key == "reviews-given" else None
    url = reverse("dashboard:figure", kwargs={"team_slug": team.slug, "key": key})
    params = {"start": "2026-10-01", "end": "2026-11-30"} | ({"member": member.pk} if member else {"p": 75})
    with django_assert_max_num_queries(12):
        response = member_client.get(url, params)
    assert response.status_code == 200 and response.context["count"] == 60
