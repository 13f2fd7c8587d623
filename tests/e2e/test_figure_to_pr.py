"""From a percentile on the dashboard to the PR at its rank and that PR's explanation, in a real browser."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from apps.metrics.rules import duration_text
from apps.teams.models import Membership, Role, Team
from apps.users.models import User
from apps.web.tests.figure_world import PERIOD, seed_figure_world
from tests.e2e.results import results

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(results("figure-to-pr") / f"{name}.png"), full_page=True)


def signed_in(page: Page, live_server, user: User) -> None:
    """The user's session, made by Django's test client, handed to the browser as its session cookie."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def test_a_percentile_clicks_through_to_the_pr_at_its_rank_and_its_explanation(page: Page, live_server):
    team = Team.objects.create(name="Acme", slug="acme")
    user = User.objects.create_user(email="lead@example.com", password="x-long-password-1")
    Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    seed_figure_world(team)
    signed_in(page, live_server, user)

    page.goto(f"{live_server.url}/a/acme/dashboard/?start={PERIOD['start']}&end={PERIOD['end']}")
    shown = page.locator('a.figure[data-figure="pickup-p75"]')
    expect(shown).to_contain_text("p75")
    figure = shown.inner_text().removeprefix("p75").strip()  # "3h 20m", as the dashboard shows it
    shot(page, "1-dashboard")
    shown.click()

    expect(page.get_by_role("heading", name="Pickup p75")).to_be_visible()
    rank = page.locator("#percentile-rank")
    expect(rank).to_contain_text(f"p75 = {figure}")  # the same number, recomputed from the list's rows
    marked = page.locator("tr.at-rank")
    expect(marked.first).to_be_visible()
    shot(page, "2-pickup-p75")
    value = marked.first.locator("td.value").inner_text()
    pull_request = marked.first.locator("td").nth(1).get_by_role("link").first
    name = pull_request.inner_text()
    pull_request.click()

    expect(page.get_by_role("heading", name=name, exact=False)).to_be_visible()
    why = page.get_by_role("region", name="Why these numbers")
    pickup = why.locator("tr", has=page.locator("th", has_text="Pickup")).first
    expect(pickup).to_contain_text(value)
    shot(page, "3-the-pr-at-p75")
    assert value != duration_text(None)
