"""The dashboard read at a glance: each headline figure beside the previous period of the same length, a bad
range kept in its fields, the filter line naming every chosen filter, an empty period said in words."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from apps.metrics.services import pull_request_upsert
from apps.metrics.tests.factories import PersonFactory, SnapshotFactory, at

pytestmark = pytest.mark.django_db
WEEK = {"start": "2026-11-02", "end": "2026-11-08"}  # T0's week; the previous 7 days are Oct 26 to Nov 1


def merged(team, *, opened: float, hours: float, author=None, repo=(77, "acme/api")) -> None:
    """A PR opened ``opened`` hours after T0 and merged ``hours`` later."""
    merged_at = at(opened + hours)
    snap = SnapshotFactory(
        author=author or PersonFactory(), github_repo_id=repo[0], github_repo=repo[1], created_at=at(opened),
        state="closed", merged=True, updated_at=merged_at, closed_at=merged_at, merged_at=merged_at,
    )  # fmt: skip
    pull_request_upsert(team=team, snapshot=snap)


def dashboard(client, team, **params) -> str:
    response = client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug}), params)
    assert response.status_code == 200
    return response.content.decode()


def card(page: str, figure: str) -> str:
    """The headline card holding ``data-figure="<figure>"``, as text without tags."""
    start = page.rindex('<div class="card stat">', 0, page.index(f'data-figure="{figure}"'))
    end = page.find('<div class="card stat">', start + 1)
    return " ".join(re.sub(r"<[^>]+>", " ", page[start:end]).split())


def test_each_headline_figure_sits_beside_the_previous_period_lower_cycle_time_reading_as_faster(member_client, team):
    merged(team, opened=-140, hours=10)  # Oct 26 and 27: the previous week, 10 h each
    merged(team, opened=-120, hours=10)
    merged(team, opened=0, hours=4)  # Nov 2, 3 and 4: this week, 4 h each
    merged(team, opened=24, hours=4)
    merged(team, opened=48, hours=4)

    page = dashboard(member_client, team, **WEEK)

    assert "▼ 6.0 h vs previous 7 days: 10.0 h — faster" in card(page, "cycle-p50")
    assert "▲ 1 vs previous 7 days: 2 — more" in card(page, "merged")
    link = re.search(r'data-figure="previous-cycle-p50" href="([^"]+)"', page)
    assert link is not None
    listing = member_client.get(link.group(1).replace("&amp;", "&"))
    assert listing.status_code == 200 and listing.context["count"] == 2  # the previous week's two PRs
    assert "p50 = <strong>10.0 h</strong>" in listing.content.decode()


def test_a_slower_period_reads_slower(member_client, team):
    merged(team, opened=-140, hours=2)
    merged(team, opened=0, hours=5)
    assert "▲ 3.0 h vs previous 7 days: 2.0 h — slower" in card(dashboard(member_client, team, **WEEK), "cycle-p50")


def test_a_bad_range_keeps_the_typed_dates_and_says_why_beside_the_fields(member_client, team):
    merged(team, opened=0, hours=4)
    page = dashboard(member_client, team, start="2026-11-20", end="2026-11-02")
    form = page[page.index('aria-label="Filters"') :].split("</form>")[0]
    assert 'name="start" value="2026-11-20"' in form and 'name="end" value="2026-11-02"' in form
    assert 'class="field-errors"' in form and "The start date is after the end date." in form
    assert 'aria-invalid="true"' in form
    assert page.index('aria-label="Filters"') < page.index('class="grid stats"')  # the error first, then figures


def test_the_line_under_the_filters_names_the_chosen_repository_and_author(member_client, team):
    alice = PersonFactory(login="alice")
    merged(team, opened=0, hours=4, author=alice, repo=(88, "acme/web"))

    from apps.metrics.models import TeamMember

    author = TeamMember.objects.get(team=team, github_username="alice")
    page = dashboard(member_client, team, **WEEK, repo="88", author=str(author.pk))
    line = " ".join(re.sub(r"<[^>]+>", " ", page[page.index('id="filter-line"') :].split("</p>")[0]).split())
    assert "in acme/web" in line and "by alice" in line and "bot-authored PRs left out" in line


def charts(page: str) -> list[str]:
    return re.findall(r'<svg class="chart".*?</svg>(?:<p class="chart-note">.*?</p>)?', page, re.S)


def test_charts_name_their_axes_and_write_each_value_beside_its_mark(member_client, team):
    merged(team, opened=0, hours=4)  # the week of Nov 02
    merged(team, opened=24 * 7, hours=10)  # Nov 09
    merged(team, opened=24 * 7 + 2, hours=10)
    cycle, throughput = charts(dashboard(member_client, team, start="2026-10-26", end="2026-11-22"))

    assert "Median, hours" in cycle and "Merged PRs" in throughput  # the value axis says what it counts
    for chart in (cycle, throughput):  # first, middle and last week under the marks
        assert all(f">{week}</text>" in chart for week in ("Oct 26", "Nov 09", "Nov 16")), chart
    assert '<text class="value-label" x=' in cycle and ">4.0</text>" in cycle and ">10.0</text>" in cycle
    bars = re.findall(r'<text class="value-label"[^>]*>(\d+)</text>', throughput)
    assert bars == ["0", "1", "2", "0"]  # each week's count above its bar


def test_a_week_the_period_cuts_is_drawn_partial_and_the_legend_says_so(member_client, team):
    merged(team, opened=48, hours=4)  # Wed Nov 04
    merged(team, opened=24 * 7, hours=10)  # Mon Nov 09
    cycle, throughput = charts(dashboard(member_client, team, start="2026-11-04", end="2026-11-12"))
    assert throughput.count('class="bar partial"') == 2 and 'class="dot partial"' in cycle
    assert "Lighter: the weeks of Nov 02 and Nov 09, which the period covers only in part" in throughput


def test_an_empty_period_says_so_in_words_instead_of_blank_axes(member_client, team):
    merged(team, opened=0, hours=4)
    page = dashboard(member_client, team, start="2026-01-01", end="2026-01-31")
    assert charts(page) == []
    assert "No PR was merged between Jan 1, 2026 and Jan 31, 2026." in page


def test_a_new_team_without_reviews_is_not_told_pickup_is_empty_and_9_h_at_once(member_client, team):
    merged(team, opened=0, hours=9.2)  # merged without review: a wait, but no pickup (no first review)
    merged(team, opened=24, hours=9.2)
    page = dashboard(member_client, team, **WEEK)

    pickup = card(page, "pickup-p50")
    assert "Pickup (ready → first review)" in pickup and "— · 0 first reviews" in pickup
    assert "No first review in this period: 2 PRs merged without review" in pickup
    # The breakdown names its part for what it is, so no second "Pickup" carries a value beside the empty card.
    assert not re.search(r"[Pp]ickup\s*(<strong>)?\s*9\.2 h", page)
    assert "Wait before review or merge <strong>9.2 h</strong>" in page
