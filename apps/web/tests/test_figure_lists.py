"""Every figure of the dashboard, followed to its list: the list counts what the figure counts, a percentile sits
at the row the list marks, and counted + left out by reason = every PR of the period the user chose."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.db.models import Q
from django.urls import reverse

from apps.metrics.models import PullRequest, TeamMember
from apps.web.tests.figure_world import API, OLD, PERIOD, seed_figure_world

pytestmark = pytest.mark.django_db
FIGURE_LINK = re.compile(r'<a class="figure" data-figure="([^"]+)" href="([^"]+)"')


def expected_figures(context) -> dict[str, tuple[int, float | None]]:
    """What the dashboard shows, by the ``data-figure`` of its link: (count, value of a percentile)."""
    s, pickup = context["summary"], context["pickup"]
    found = {
        "merged": (s.merged, None),
        "without-review": (s.merged_without_review, None),
        "reverts": (s.reverts, None),
        "hotfixes": (s.hotfixes, None),
        **{f"breakdown-{part}": (s.merged, None) for part in ("draft", "pickup", "review", "merge-wait")},
        **{f"cycle-p{p}": (s.cycle.count, s.cycle[p / 100]) for p in (50, 75, 90)},
        **{f"pickup-p{p}": (pickup.count, pickup[p / 100]) for p in (50, 75, 90)},
        **{f"size-p{p}": (s.size.count, s.size[p / 100]) for p in (50, 90)},
    }
    before = context["previous"]  # each card's previous period, linked to its own list
    found |= {
        "previous-merged": (before.merged, None),
        "previous-without-review": (before.merged_without_review, None),
        "previous-reverts": (before.reverts, None),
        "previous-cycle-p50": (before.cycle.count, before.cycle.p50),
        "previous-pickup-p50": (context["previous_pickup"].count, context["previous_pickup"].p50),
        "previous-size-p50": (before.size.count, before.size.p50),
    }
    for point in context["trends"]:
        week = point.week.isoformat()
        found[f"week-merged-{week}"] = (point.merged, None)
        found[f"week-cycle-{week}"] = (None, point.cycle_p50 * 3600 if point.cycle_p50 is not None else None)
    for r in context["reviewers"]:
        pk = r.member.pk
        found |= {
            f"reviews-given-{pk}": (r.reviews, None),
            f"response-{pk}": (r.responses, r.response_p50),
            f"open-requests-{pk}": (r.open_requests, None),
        }
    return found


def period_prs(team, params) -> int:
    """Counted by hand: the team's PRs of the chosen repository / author opened, merged or first reviewed in the
    period (Oct 15 to Nov 20 in UTC, the team's time zone here)."""
    from datetime import UTC, datetime

    start, end = datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    rows = PullRequest.objects.filter(team=team)
    if "repo" in params:
        rows = rows.filter(github_repo_id=params["repo"])
    touched = Q()
    for column in ("pr_created_at", "merged_at", "first_review_at"):
        touched |= Q(**{f"{column}__gte": start, f"{column}__lt": end})
    return rows.filter(touched).count()


@pytest.mark.parametrize("params", [{}, {"bots": "1"}, {"repo": str(OLD[0])}, {"repo": str(API[0])}])
def test_every_figure_links_to_a_list_with_its_count_and_every_left_out_pr_has_a_reason(member_client, team, params):
    seed_figure_world(team)
    dashboard = member_client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug}), PERIOD | params)
    links = {key: unescape(href) for key, href in FIGURE_LINK.findall(dashboard.content.decode())}
    expected = expected_figures(dashboard.context)
    assert set(links) == set(expected)  # every figure has its link, and every link is a figure
    in_period = period_prs(team, params)

    for key, href in links.items():
        count, value = expected[key]
        page = member_client.get(href)
        assert page.status_code == 200, key
        listed = page.context["count"]
        exclusions = page.context["exclusions"]
        if count is not None:
            assert listed == count, key
        assert exclusions.counted == listed, key
        assert exclusions.counted + exclusions.excluded == exclusions.all_rows, key
        if page.context["figure"].rows_are == "pull_request" and not key.startswith(("open-requests", "previous-")):
            assert exclusions.all_rows == in_period, key
        rank = page.context["rank"]
        if value is not None:
            assert rank is not None and rank.value == pytest.approx(value), key
            assert any(row.at_rank for row in page.context["rows"]) or rank.low >= 50, key


def test_the_walk_covers_every_kind_of_exclusion(member_client, team):
    seed_figure_world(team)
    dashboard = member_client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug}), PERIOD)
    links = dict(FIGURE_LINK.findall(dashboard.content.decode()))
    reasons = set()
    for href in links.values():
        reasons |= {why for why, _ in member_client.get(unescape(href)).context["exclusions"].by_reason}
    assert {"bot author", "hidden person", "untracked repository", "still open", "never reviewed",
            "closed without merging", "first review outside the window", "the author's own review",
            "not their first review of this PR"} <= reasons  # fmt: skip


def figure(client, team, key, **params):
    return client.get(reverse("dashboard:figure", kwargs={"team_slug": team.slug, "key": key}), PERIOD | params)


def test_a_percentile_names_the_pr_at_its_rank(member_client, team):
    seed_figure_world(team)
    page = figure(member_client, team, "cycle", p="50")
    rank = page.context["rank"]
    values = sorted(pr.cycle_time_seconds for pr in page.context["figure"].included)
    assert rank.count == len(values) == 14
    # (14 - 1) * 0.5 = 6.5: halfway between the 7th and the 8th, as percentile_cont computes it.
    assert (rank.low, rank.high, rank.fraction) == (6, 7, 0.5)
    assert (rank.low_row.value, rank.high_row.value) == (values[6], values[7])
    assert rank.value == (values[6] + values[7]) / 2
    body = page.content.decode()
    assert f"{rank.low_row.pull_request}" in body and f"{rank.high_row.pull_request}" in body
    assert body.count('class="at-rank"') == 2
    p90 = figure(member_client, team, "cycle", p="90").context["rank"]  # 13 * 0.9 = 11.7
    assert (p90.low, p90.high) == (11, 12) and p90.value == pytest.approx(values[11] + 0.7 * (values[12] - values[11]))


def test_a_reason_lists_the_prs_it_left_out(member_client, team):
    seed_figure_world(team)
    page = figure(member_client, team, "merged", reason="bot author")
    assert [row.pull_request.author.github_username for row in page.context["rows"]] == ["renovate[bot]"]


def test_the_csv_has_the_lists_rows_and_columns(member_client, team):
    seed_figure_world(team)
    listed = figure(member_client, team, "pickup", p="90")
    response = member_client.get(reverse("dashboard:figure_csv", kwargs={"team_slug": team.slug, "key": "pickup"}),
                                 PERIOD | {"p": "90"})  # fmt: skip
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["position", "repository", "number"] and rows[0][7] == "Pickup (seconds)"
    assert len(rows) - 1 == listed.context["count"]
    assert [int(r[7]) for r in rows[1:]] == sorted(int(r[7]) for r in rows[1:])


def test_a_reviewers_csv_lists_their_counted_reviews(member_client, team):
    seed_figure_world(team)
    grace = TeamMember.objects.get(team=team, github_username="grace")
    listed = figure(member_client, team, "reviews-given", member=str(grace.pk))
    url = reverse("dashboard:figure_csv", kwargs={"team_slug": team.slug, "key": "reviews-given"})
    response = member_client.get(url, PERIOD | {"member": str(grace.pk)})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][7] == "review submitted" and len(rows) - 1 == listed.context["count"] > 0
    assert [r[2] for r in rows[1:]] == [str(row.pull_request.number) for row in listed.context["rows"]]


def test_the_prs_left_out_for_a_reason_download_as_csv(member_client, team):
    seed_figure_world(team)
    url = reverse("dashboard:figure_csv", kwargs={"team_slug": team.slug, "key": "merged"})
    response = member_client.get(url, PERIOD | {"reason": "still open"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    listed = figure(member_client, team, "merged", reason="still open")
    assert len(rows) - 1 == listed.context["shown"] == 2 and "left-out-still-open" in response["Content-Disposition"]
    assert member_client.get(url, PERIOD | {"reason": "nope"}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [{"p": "60"}, {"p": "x"}, {"week": "2026-11-03"}, {"member": "1"}, {"page": "0"}, {"reason": "nope"}],
)
def test_a_figure_that_is_not_on_the_dashboard_is_not_found(member_client, team, params):
    seed_figure_world(team)
    assert figure(member_client, team, "cycle", **params).status_code == 404
    assert figure(member_client, team, "nonsense").status_code == 404


def test_another_teams_reviewer_or_figure_shows_nothing_of_this_team(member_client, team, other_team):
    people = seed_figure_world(other_team)
    assert people
    page = figure(member_client, team, "merged")
    assert page.context["count"] == 0 and page.context["exclusions"].all_rows == 0


def test_definitions_page_lists_each_figure_with_version(member_client, team):
    page = member_client.get(reverse("dashboard:definitions", kwargs={"team_slug": team.slug})).content.decode()
    assert 'id="cycle-time"' in page and "v2, since 2026-12-01" in page and 'id="open-requests"' in page


def test_definitions_say_where_each_figure_differs_from_other_products_and_keep_no_implementation_history(
    member_client, team
):
    page = unescape(
        member_client.get(reverse("dashboard:definitions", kwargs={"team_slug": team.slug})).content.decode()
    )
    for gone in ("two decimals", "percentile_cont", "PostgreSQL"):
        assert gone not in page
    pickup = page[page.index('id="pickup"') : page.index('id="size"')]
    assert "v3, since 2026-12-07" in pickup
    assert all(name in pickup for name in ("LinearB", "Swarmia", "DevLake", "Middleware"))
    assert "A plain comment on the conversation is not a review" in pickup
    assert "A review submitted after the merge is not a first review" in pickup
    assert "https://linearb.helpdocs.io/" in page and 'id="sources"' in page
