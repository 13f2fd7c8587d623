"""Pages that explain themselves: a filter that empties the page says so, one pickup line per PR, a link to the PR
on GitHub, all-time counts called that, and Hide / Mark as bot with an undo."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from apps.metrics.models import PullRequest, TeamMember
from apps.metrics.services import review_upsert
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at
from apps.web.tests.test_dashboard_views import PERIOD, dashboard_url, merged_pr, panel_url

pytestmark = pytest.mark.django_db


def test_a_bot_chosen_as_author_while_bots_are_left_out_is_named_with_the_way_to_include_them(member_client, team):
    merged_pr(team, title="Bump lodash", hours=1, author=PersonFactory(login="dependabot[bot]"))
    bot = TeamMember.objects.get(github_username="dependabot[bot]")
    TeamMember.objects.filter(pk=bot.pk).update(is_bot=True)

    page = member_client.get(dashboard_url(team), {**PERIOD, "author": bot.pk}).content.decode()

    assert "dependabot[bot] is marked as a bot, and bot-authored PRs are left out" in page
    assert re.search(r'href="\?[^"]*bots=1[^"]*">Include bot-authored PRs</a>', page)
    with_bots = member_client.get(dashboard_url(team), {**PERIOD, "author": bot.pk, "bots": "1"}).content.decode()
    assert "is marked as a bot, and bot-authored" not in with_bots and "Bump lodash" in with_bots


def test_the_panel_has_one_pickup_line_matching_the_table_and_a_link_to_github(member_client, team, settings):
    settings.GITHUB_WEB_URL = "https://github.example.com"
    pr = merged_pr(team, title="Reviewed", hours=5, review_at=2)

    panel = member_client.get(panel_url(team, pr), HTTP_HX_REQUEST="true").content.decode()

    pickups = re.findall(r'<th scope="row">([^<]*[Pp]ickup[^<]*)</th><td>([^<]*)</td>', panel)
    assert pickups == [("Pickup", "2.0 h")]
    assert f'href="https://github.example.com/{pr.github_repo}/pull/{pr.number}"' in panel
    table = member_client.get(dashboard_url(team), PERIOD).content.decode()
    assert f'href="https://github.example.com/{pr.github_repo}/pull/{pr.number}"' in table


def test_a_pr_merged_without_review_names_its_wait_apart_from_pickup(member_client, team):
    pr = merged_pr(team, title="Straight in", hours=4)

    panel = member_client.get(panel_url(team, pr), HTTP_HX_REQUEST="true").content.decode()

    assert re.findall(r'<th scope="row">(Pickup[^<]*)</th>', panel) == ["Pickup"]
    assert "Wait before review or merge" in panel and "merged without a review" in panel


def test_the_people_page_says_its_counts_are_all_time(member_client, team):
    merged_pr(team, title="Anything", hours=1)
    page = member_client.get(reverse("dashboard:people", kwargs={"team_slug": team.slug})).content.decode()
    assert "<th>PRs (all time)</th><th>Reviews of others' PRs (all time)</th>" in page


def test_the_people_pages_reviews_are_counted_as_reviewer_load_counts_them(member_client, team):
    """The author's own comments are stored but are not reviews: the dashboard leaves them out, so does this page."""
    ada, bob = PersonFactory(login="ada"), PersonFactory(login="bob")
    snap = SnapshotFactory(author=ada, updated_at=at(3))
    for reviewer, hours in ((ada, 1), (ada, 2), (bob, 3)):
        review = ReviewFactory(reviewer=reviewer, state="COMMENTED", submitted_at=at(hours))
        review_upsert(team=team, pull_request=snap, review=review)
    pending = ReviewFactory(reviewer=bob, state="PENDING", submitted_at=None)
    review_upsert(team=team, pull_request=snap, review=pending)

    page = member_client.get(reverse("dashboard:people", kwargs={"team_slug": team.slug})).content.decode()

    counts = dict(re.findall(r"<td>(ada|bob)</td>\s*<td>\d+</td><td>(\d+)</td>", page))
    assert counts == {"ada": "0", "bob": "1"}


@pytest.mark.parametrize(
    ("field", "done"), [("is_active", "is hidden from the dashboard"), ("is_bot", "is marked as a bot")]
)
def test_hide_and_mark_as_bot_offer_an_undo(admin_client, team, field, done, django_capture_on_commit_callbacks):
    merged_pr(team, title="From a contractor", hours=3, author=PersonFactory(login="contractor"))
    member = TeamMember.objects.get(github_username="contractor")
    name = "member_visibility" if field == "is_active" else "member_bot"
    url = reverse(f"dashboard:{name}", kwargs={"team_slug": team.slug, "member_id": member.pk})
    before = getattr(member, field)

    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(url, {field: "1" if field == "is_bot" else "0"}, follow=True).content.decode()

    assert f"contractor {done}" in page
    undo = re.search(r'<form method="post" action="([^"]+)" class="card undo".*?name="(\w+)" value="(\d)"', page, re.S)
    assert undo and undo.group(1) == url and undo.group(2) == field
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {field: undo.group(3)})
    member.refresh_from_db()
    assert getattr(member, field) == before
    again = admin_client.get(reverse("dashboard:people", kwargs={"team_slug": team.slug})).content.decode()
    assert 'class="card undo"' in again  # the undo itself can be undone
    assert PullRequest.objects.filter(team=team).exists()
