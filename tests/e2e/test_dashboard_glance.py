"""The dashboard read at a glance on a phone (390x844) and a laptop (1280x800): figures first, no sideways scroll,
each headline figure beside the previous period, an empty period said in words, a bad range keeping its dates.

Each width's screenshot is kept in ``test-results/`` (CI keeps each pass's folder as an artifact).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from apps.teams.models import Membership, Role, Team
from apps.users.models import User
from apps.web.tests.figure_world import PERIOD, seed_figure_world
from tests.e2e.results import results
from tests.e2e.test_figure_to_pr import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WIDTHS = [pytest.param((390, 844), id="phone"), pytest.param((1280, 800), id="laptop")]


@pytest.fixture
def dashboard_url(page: Page, live_server) -> str:
    team = Team.objects.create(name="Acme", slug="acme")
    user = User.objects.create_user(email="lead@example.com", password="x-long-password-1")
    Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    seed_figure_world(team)
    signed_in(page, live_server, user)
    return f"{live_server.url}/a/acme/dashboard/"


def no_sideways_scroll(page: Page) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px screen"


@pytest.mark.parametrize("size", WIDTHS)
def test_the_first_figure_is_on_the_first_screen_without_sideways_scroll(page: Page, dashboard_url: str, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{dashboard_url}?start={PERIOD['start']}&end={PERIOD['end']}")

    first = page.locator(".stat .value").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= height, box
    no_sideways_scroll(page)
    # Each headline figure beside the previous period of the same length (Sep 8 to Oct 14), on the first screen too.
    compared = page.locator(".stat", has=page.locator('[data-figure="cycle-p50"]')).locator(".compare")
    expect(compared).to_contain_text("previous 37 days")
    box = compared.bounding_box()
    assert box is not None and box["y"] + box["height"] <= height, box
    # With a value: the previous period's, the direction worded so that a longer wait reads as slower, and that
    # period's own list of PRs one click away.
    pickup = page.locator(".stat", has=page.locator('[data-figure="pickup-p50"]')).locator(".compare")
    expect(pickup).to_contain_text("vs previous 37 days: 20.0 h")
    expect(pickup).to_contain_text("slower")
    previous = pickup.get_by_role("link", name="previous 37 days: 20.0 h")
    expect(previous).to_have_attribute("href", re.compile(r"start=2026-09-08\b"))
    expect(previous).to_have_attribute("href", re.compile(r"end=2026-10-14\b"))
    # Every team page is one tap away on a phone: the navigation folds into a menu that opens in place.
    if width < 600:
        members = page.get_by_role("link", name="Members")
        expect(members).to_be_hidden()
        page.get_by_text("Menu", exact=True).click()
        expect(members).to_be_visible()
        no_sideways_scroll(page)
        page.get_by_text("Menu", exact=True).click()
    else:
        expect(page.get_by_role("link", name="Members")).to_be_visible()
    page.screenshot(path=str(results() / f"dashboard-{width}x{height}.png"))
    page.screenshot(path=str(results() / f"dashboard-{width}x{height}-full.png"), full_page=True)
    page.locator(".charts").screenshot(path=str(results() / f"dashboard-charts-{width}x{height}.png"))


def test_no_sideways_scroll_at_360_px(page: Page, dashboard_url: str):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{dashboard_url}?start={PERIOD['start']}&end={PERIOD['end']}")
    expect(page.locator(".stat .value").first).to_be_visible()
    no_sideways_scroll(page)


@pytest.mark.parametrize("size", WIDTHS)
def test_a_bad_range_keeps_its_dates_and_the_filter_row(page: Page, dashboard_url: str, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{dashboard_url}?start={PERIOD['start']}&end={PERIOD['end']}")
    filters = page.get_by_role("form", name="Filters")
    filters.locator("input[name=start]").fill("2026-11-20")
    filters.locator("input[name=end]").fill("2026-11-02")
    filters.get_by_role("button", name="Apply").click()

    filters = page.get_by_role("form", name="Filters")
    expect(filters.get_by_role("alert")).to_contain_text("The start date is after the end date.")
    expect(filters.locator("input[name=start]")).to_have_value("2026-11-20")
    expect(filters.locator("input[name=end]")).to_have_value("2026-11-02")
    alert = filters.get_by_role("alert").bounding_box()
    assert alert is not None and alert["y"] + alert["height"] <= height, alert  # said where the user is looking
    no_sideways_scroll(page)
    page.screenshot(path=str(results() / f"dashboard-bad-range-{width}x{height}.png"))


@pytest.mark.parametrize("size", WIDTHS)
def test_an_empty_period_says_so_in_words(page: Page, dashboard_url: str, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{dashboard_url}?start=2026-01-01&end=2026-01-31")
    expect(page.locator(".empty-period")).to_contain_text("No PR was merged between Jan 1, 2026 and Jan 31, 2026.")
    expect(page.locator("svg.chart")).to_have_count(0)
    no_sideways_scroll(page)
    page.screenshot(path=str(results() / f"dashboard-empty-{width}x{height}.png"), full_page=True)
