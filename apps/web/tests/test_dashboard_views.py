"""The dashboard, the "why this number" panel and the people page, as a team member uses them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from apps.metrics.models import PullRequest, TeamMember
from apps.metrics.services import pull_request_upsert, review_upsert
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-10-15", "end": "2026-11-20"}


def merged_pr(team, *, title: str, hours: float, review_at: float | None = None, **kwargs) -> PullRequest:
    snap = SnapshotFactory(
        title=title,
        state="closed",
        merged=True,
        updated_at=at(hours),
        closed_at=at(hours),
        merged_at=at(hours),
        **kwargs,
    )
    pr = pull_request_upsert(team=team, snapshot=snap)
    if review_at is not None:
        review_upsert(team=team, pull_request=snap, review=ReviewFactory(submitted_at=at(review_at)))
    return pr


def dashboard_url(team) -> str:
    return reverse("dashboard:index", kwargs={"team_slug": team.slug})


def panel_url(team, pr) -> str:
    return reverse("dashboard:pr_panel", kwargs={"team_slug": team.slug, "pk": pr.pk})


def test_a_team_without_data_is_told_how_to_connect_github(member_client, team):
    page = member_client.get(dashboard_url(team)).content.decode()
    assert "No pull requests yet" in page and "Connect GitHub" in page
    # whatever is left (connecting, choosing repositories, an import running), the home's checklist says it
    assert f'class="button primary" href="{reverse("web:team_home", kwargs={"team_slug": team.slug})}"' in page


def test_the_dashboard_shows_the_teams_flow(member_client, team):
    merged_pr(team, title="Fast one", hours=2, review_at=1)
    merged_pr(team, title="Slow one", hours=10, review_at=4)
    merged_pr(team, title="Unreviewed one", hours=6)

    response = member_client.get(dashboard_url(team), PERIOD)

    page = response.content.decode()
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.merged == 3 and summary.cycle.p50 == 6 * 3600 and summary.cycle.count == 3
    assert response.context["pickup"].count == 2 and summary.merged_without_review == 1
    assert summary.cycle_mean == sum(summary.breakdown.values()) == 6 * 3600  # the mean of 2, 10 and 6 hours
    assert "mean cycle time, 6.0 h" in page  # the bar says which statistic it shows, and its total
    assert "6.0 h" in page and "Fast one" in page and "<svg" in page
    assert '<script src="http' not in page


def test_the_default_period_is_the_last_30_days(member_client, team):
    response = member_client.get(dashboard_url(team) + "?start=garbage")
    filters = response.context["filters"]
    assert filters.end - filters.start == timedelta(days=29)


def test_another_teams_prs_never_appear(member_client, team, other_team):
    merged_pr(team, title="Ours", hours=3)
    theirs = merged_pr(other_team, title="Theirs secret", hours=3)

    page = member_client.get(dashboard_url(team), PERIOD).content.decode()

    assert "Ours" in page and "Theirs secret" not in page
    assert member_client.get(panel_url(team, theirs)).status_code == 404
    assert member_client.get(panel_url(other_team, theirs)).status_code == 404


def test_the_panel_explains_each_number_in_place(member_client, team):
    snap = SnapshotFactory(is_draft=True)
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.READY, 2)])
    bot = PersonFactory(login="lint-bot[bot]")
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=bot, submitted_at=at(2.5)))
    review_upsert(
        team=team, pull_request=snap, review=ReviewFactory(reviewer=PersonFactory(login="grace"), submitted_at=at(5))
    )
    pr = PullRequest.objects.get()

    partial = member_client.get(panel_url(team, pr), HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in partial
    assert "marked ready for review" in partial and "first review by grace" in partial
    assert "ignored: a bot" in partial and "3.0 h" in partial
    full = member_client.get(panel_url(team, pr)).content.decode()
    assert "<html" in full and "first review by grace" in full


def test_the_panel_says_in_words_why_pickup_is_zero_when_the_review_came_before_ready(member_client, team):
    draft = SnapshotFactory(is_draft=True, action="opened")
    pull_request_upsert(team=team, snapshot=draft)
    review_upsert(team=team, pull_request=draft, review=ReviewFactory(submitted_at=at(1)))
    ready = SnapshotFactory(github_pr_id=draft.github_pr_id, author=draft.author, updated_at=at(3))
    pull_request_upsert(team=team, snapshot=ready, timeline=[entry(TimelineKind.READY, 3)])
    merged = SnapshotFactory(
        github_pr_id=draft.github_pr_id,
        author=draft.author,
        state="closed",
        merged=True,
        updated_at=at(4),
        closed_at=at(4),
        merged_at=at(4),
    )
    pr = pull_request_upsert(team=team, snapshot=merged)

    panel = member_client.get(panel_url(team, pr)).content.decode()

    assert "first review minus ready for review" not in panel  # that would read as 1 h minus 3 h
    assert "before it was ready for review" in panel and "Opened as a draft" in panel


def test_bot_authored_prs_are_left_out_unless_asked_for(member_client, team):
    merged_pr(team, title="Human change", hours=3)
    merged_pr(team, title="Bump lodash", hours=1, author=PersonFactory(login="dependabot[bot]"))

    default = member_client.get(dashboard_url(team), PERIOD)
    with_bots = member_client.get(dashboard_url(team), {**PERIOD, "bots": "1"})

    assert default.context["summary"].merged == 1 and "Bump lodash" not in default.content.decode()
    assert with_bots.context["summary"].merged == 2 and "Bump lodash" in with_bots.content.decode()


def test_repository_and_author_filters(member_client, team):
    ada = PersonFactory(login="ada")
    merged_pr(team, title="API change", hours=3, author=ada)
    merged_pr(team, title="Web change", hours=3, github_repo_id=88, github_repo="acme/web")

    by_repo = member_client.get(dashboard_url(team), {**PERIOD, "repo": 88}).content.decode()
    author = TeamMember.objects.get(github_username="ada")
    by_author = member_client.get(dashboard_url(team), {**PERIOD, "author": author.pk}).content.decode()

    assert "Web change" in by_repo and "API change" not in by_repo
    assert "API change" in by_author and "Web change" not in by_author


@pytest.mark.parametrize(
    "query",
    [{"author": "99999999999999999999"}, {"repo": "-1"}, {"start": "2026-02-31"}, {"page": "x"}, {"sort": "1;drop"}],
)
def test_malformed_filters_fall_back_instead_of_failing(member_client, team, query):
    merged_pr(team, title="Still shown", hours=3)
    response = member_client.get(dashboard_url(team), {**PERIOD, **query})
    assert response.status_code == 200


def test_the_table_sorts_by_cycle_time_and_ignores_unknown_columns(member_client, team):
    merged_pr(team, title="Quick", hours=1)
    merged_pr(team, title="Lengthy", hours=30)

    ascending = member_client.get(dashboard_url(team), {**PERIOD, "sort": "cycle"}).content.decode()
    descending = member_client.get(dashboard_url(team), {**PERIOD, "sort": "-cycle"}).content.decode()
    bogus = member_client.get(dashboard_url(team), {**PERIOD, "sort": "title; drop table"})

    assert ascending.index("Quick") < ascending.index("Lengthy")
    assert descending.index("Lengthy") < descending.index("Quick")
    assert bogus.status_code == 200 and bogus.context["sort"] == "-merged"


def test_the_table_is_paginated(member_client, team):
    for i in range(30):
        merged_pr(team, title=f"Change number {i:02d}", hours=1 + i)
    first = member_client.get(dashboard_url(team), PERIOD)
    second = member_client.get(dashboard_url(team), {**PERIOD, "page": 2})
    assert len(first.context["page"].object_list) == 25 and len(second.context["page"].object_list) == 5


def table_row(page: str, panel: str) -> list[str]:
    """The cells of the table row that links to ``panel``, whitespace collapsed."""
    start = page.rindex("<tr>", 0, page.index(f'href="{panel}"'))
    row = page[start : page.index("</tr>", start)]
    return [" ".join(cell.split()) for cell in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)]


def test_each_table_row_shows_its_prs_facts_in_the_teams_time_zone(member_client, team):
    team.timezone = "America/New_York"
    team.save()
    title = "<b>Speed</b> up " + "the import " * 10
    merged = merged_pr(team, title=title, hours=17, github_repo="acme/api")  # Nov 3 02:00 UTC: Nov 2 in New York
    draft = pull_request_upsert(team=team, snapshot=SnapshotFactory(is_draft=True, author=None, number=7))

    page = member_client.get(dashboard_url(team), PERIOD).content.decode()

    link, author, merged_on, opened_on, cycle, pickup, size, flags = table_row(page, panel_url(team, merged))
    panel = panel_url(team, merged)
    assert link.startswith(f'<a href="{panel}" hx-get="{panel}" hx-target="#pr-panel"')
    assert f">acme/api#{merged.number}</a>" in link
    assert f'<span class="muted">{escape(title[:79])}…</span>' in link  # cut at 80 characters, escaped
    assert f'<a class="github-link" href="{settings.GITHUB_WEB_URL}/acme/api/pull/{merged.number}"' in link
    assert (author, merged_on, opened_on, cycle, pickup, size) == (
        merged.author.github_username,
        "Nov 2",
        "Nov 2",
        "17.0 h",
        "—",
        "150",
    )
    assert flags == '<span class="badge warn">no review</span>'

    link, author, merged_on, opened_on, cycle, pickup, size, flags = table_row(page, panel_url(team, draft))
    assert ">acme/api#7</a>" in link
    assert (author, merged_on, opened_on, cycle, pickup) == ("—", "—", "Nov 2", "—", "—")
    assert flags == '<span class="badge">draft</span>'


def test_reviewer_load_counts_reviews_and_open_requests(member_client, team):
    grace = PersonFactory(login="grace")
    snap = SnapshotFactory()
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 1, subject=grace)])
    other = SnapshotFactory()
    pull_request_upsert(team=team, snapshot=other, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 1, subject=grace)])
    review_upsert(team=team, pull_request=other, review=ReviewFactory(reviewer=grace, submitted_at=at(4)))

    rows = member_client.get(dashboard_url(team), PERIOD).context["reviewers"]

    assert [(r.member.github_username, r.reviews, r.response_p50, r.open_requests) for r in rows] == [
        ("grace", 1, 3 * 3600, 1)
    ]


def test_a_withdrawn_review_request_is_no_longer_open(member_client, team):
    grace = PersonFactory(login="grace")
    snap = SnapshotFactory()

    def open_requests():
        rows = member_client.get(dashboard_url(team), PERIOD).context["reviewers"]
        return {r.member.github_username: r.open_requests for r in rows}

    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 1, subject=grace)])
    assert open_requests() == {"grace": 1}
    withdrawn = entry(TimelineKind.REVIEW_REQUEST_REMOVED, 2, subject=grace)
    pull_request_upsert(team=team, snapshot=snap, timeline=[withdrawn])
    assert open_requests() == {}
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 3, subject=grace)])
    assert open_requests() == {"grace": 1}  # asked again after the withdrawal


def test_a_review_request_removed_and_made_again_in_one_second_is_still_open(member_client, team):
    grace = PersonFactory(login="grace")
    snap = SnapshotFactory(updated_at=at(2))
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 1, subject=grace)])
    pull_request_upsert(
        team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUEST_REMOVED, 2, subject=grace)]
    )
    pull_request_upsert(team=team, snapshot=snap, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 2, subject=grace)])

    rows = member_client.get(dashboard_url(team), PERIOD).context["reviewers"]

    assert {r.member.github_username: r.open_requests for r in rows} == {"grace": 1}


def test_admins_hide_a_member_and_their_prs_leave_the_dashboard(admin_client, team):
    merged_pr(team, title="From a contractor", hours=3, author=PersonFactory(login="contractor"))
    member = TeamMember.objects.get(github_username="contractor")
    url = reverse("dashboard:member_visibility", kwargs={"team_slug": team.slug, "member_id": member.pk})

    response = admin_client.post(url, {"is_active": "0"})

    assert response.status_code == 302
    assert "From a contractor" not in admin_client.get(dashboard_url(team), PERIOD).content.decode()
    people = admin_client.get(reverse("dashboard:people", kwargs={"team_slug": team.slug})).content.decode()
    assert "contractor" in people and "hidden" in people


def test_admins_mark_a_bot_and_its_reviews_stop_counting(admin_client, team, django_capture_on_commit_callbacks):
    merged_pr(team, title="Reviewed by a script", hours=5, review_at=1)
    reviewer = TeamMember.objects.exclude(pull_requests__isnull=False).get()
    url = reverse("dashboard:member_bot", kwargs={"team_slug": team.slug, "member_id": reviewer.pk})

    with django_capture_on_commit_callbacks(execute=True):  # in-process tasks run after the commit
        admin_client.post(url, {"is_bot": "1"})

    assert PullRequest.objects.get().merged_without_review


def test_members_cannot_change_people_and_other_teams_people_are_out_of_reach(
    client, member_user, admin_user, team, other_team
):
    stranger = pull_request_upsert(team=other_team, snapshot=SnapshotFactory()).author
    ours = pull_request_upsert(team=team, snapshot=SnapshotFactory()).author
    member_url = reverse("dashboard:member_bot", kwargs={"team_slug": team.slug, "member_id": ours.pk})
    client.force_login(member_user)
    assert client.post(member_url, {"is_bot": "1"}).status_code == 403
    assert not TeamMember.objects.get(pk=ours.pk).is_bot

    client.force_login(admin_user)
    stranger_url = reverse("dashboard:member_bot", kwargs={"team_slug": team.slug, "member_id": stranger.pk})
    assert client.post(stranger_url, {"is_bot": "1"}).status_code == 404
    assert not TeamMember.objects.get(pk=stranger.pk).is_bot


def test_weekly_charts_cover_exactly_the_period_and_mark_partial_weeks(member_client, team):
    merged_pr(team, title="Inside", hours=3)  # Monday Nov 2
    merged_pr(team, title="Before the period", hours=-24 * 20)  # Oct 13, in the first week but before its start

    response = member_client.get(dashboard_url(team), PERIOD)  # Thursday Oct 15 to Friday Nov 20

    weeks = response.context["trends"]
    assert [w.week.isoformat() for w in (weeks[0], weeks[-1])] == ["2026-10-12", "2026-11-16"] and len(weeks) == 6
    assert [w.partial for w in weeks] == [True, False, False, False, False, True]
    assert sum(w.merged for w in weeks) == 1
    assert "Nov 16 (partial week)" in response.content.decode()


def test_a_weeks_median_is_rounded_as_the_cards_are(member_client, team):
    merged_pr(team, title="Two and a quarter hours", hours=2.25)  # exactly halfway between 2.2 h and 2.3 h

    page = member_client.get(dashboard_url(team), PERIOD).content.decode()

    card = page[page.index('data-figure="cycle-p50"') :]
    week = page[page.index('data-figure="week-cycle-2026-11-02"') :]
    assert card[card.index(">") + 1 : card.index("</a>")] == "2.2 h"
    assert week[week.index(">") + 1 : week.index("</a>")] == "2.2 h"  # one rounding rule (duration_text) for both


def test_a_weeks_median_is_in_the_same_words_as_the_cards_and_the_list(member_client, team):
    """A PR open for 13,189 hours: the cards and the list said "549.5 d", the weekly table "13189.0 h"."""
    merged_pr(team, title="A very old branch", hours=5, created_at=at(5 - 13189))

    page = member_client.get(dashboard_url(team), PERIOD).content.decode()

    card = page[page.index('data-figure="cycle-p50"') :]
    week = page[page.index('data-figure="week-cycle-2026-11-02"') :]
    assert card[card.index(">") + 1 : card.index("</a>")] == "549.5 d"
    assert week[week.index(">") + 1 : week.index("</a>")] == "549.5 d"


def test_a_review_after_the_merge_is_counted_once_as_merged_without_review_and_never_in_pickup(member_client, team):
    """Reviewed 30 h after its merge: it was "merged without review" and also added 30 h to the Pickup card."""
    merged_pr(team, title="Reviewed too late", hours=4, review_at=34)

    page = member_client.get(dashboard_url(team), PERIOD)

    assert page.context["pickup"].count == 0
    assert (page.context["summary"].merged_without_review, page.context["summary"].merged) == (1, 1)
    assert "0 first reviews" in page.content.decode()


def test_an_address_from_before_the_pages_moved_to_dashboard_leads_to_the_same_page(member_client, team):
    """The team pages were under ``metrics/``: a bookmark or a shared figure link still opens its page."""
    old = f"/a/{team.slug}/metrics/figures/cycle/?start=2026-10-01&end=2026-10-31"
    response = member_client.get(old)
    assert response.status_code == 301
    assert response["Location"] == f"/a/{team.slug}/dashboard/figures/cycle/?start=2026-10-01&end=2026-10-31"
    assert member_client.get(response["Location"]).status_code == 200
    assert member_client.get(f"/a/{team.slug}/metrics/")["Location"] == f"/a/{team.slug}/dashboard/"
