"""The team's time zone on every page and in every sentence: the home's week, the "why these numbers" panel, the
figure lists and their CSV. Monday, a date or an hour is the team's, never UTC's when the team chose another zone."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import ImportStatus
from apps.metrics.tests.factories import PullRequestFactory
from apps.web.tests.test_dashboard_views import PERIOD, merged_pr, panel_url
from apps.web.tests.test_team_home import connect, home, track

pytestmark = pytest.mark.django_db


def test_the_homes_week_starts_on_the_teams_monday(member_client, team, admin_user):
    """Kiritimati is UTC+14: its Monday 00:00 is Sunday 10:00 in UTC. Half an hour either side of the team's
    Monday midnight, one PR is this week's and one last week's, whatever day it is in UTC."""
    team.timezone = "Pacific/Kiritimati"
    team.save()
    installation = connect(team, admin_user)
    track(team, installation, 77, "acme/api", import_status=ImportStatus.IDLE, last_imported_at=timezone.now())
    zone = ZoneInfo(team.timezone)
    today = timezone.localdate(timezone=zone)
    monday = datetime.combine(today - timedelta(days=today.weekday()), time.min, zone)
    for merged in (monday + timedelta(minutes=30), monday - timedelta(minutes=30)):
        PullRequestFactory(team=team, pr_created_at=merged - timedelta(days=2), merged_at=merged)

    assert home(member_client, team).context["summary"].merged_this_week == 1


@pytest.fixture
def new_york(team):
    team.timezone = "America/New_York"
    team.save()
    return team


def test_the_panels_reasons_speak_the_zone_of_its_timeline(member_client, new_york):
    pr = merged_pr(new_york, title="Reviewed", hours=17, review_at=2)  # T0 is 09:00 UTC, 04:00 in New York

    panel = member_client.get(panel_url(new_york, pr), HTTP_HX_REQUEST="true").content.decode()

    assert "2026-11-02 04:00 EST" in panel and "2026-11-02 06:00 EST" in panel  # ready, first review
    assert "UTC" not in panel


def test_the_csv_gives_times_in_the_teams_zone(member_client, new_york):
    merged_pr(new_york, title="Late merge", hours=17)  # merged Nov 3 02:00 UTC: Nov 2 21:00 in New York
    url = reverse("dashboard:figure_csv", kwargs={"team_slug": new_york.slug, "key": "merged"})

    response = member_client.get(url, PERIOD)

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert (rows[1][5], rows[1][6]) == ("2026-11-02T04:00:00-05:00", "2026-11-02T21:00:00-05:00")
