"""The deployments page read on a phone (390x844) and a laptop (1280x800): the frequency first, no sideways scroll,
a deployment's status timeline one tap away, an empty period said in words.

Each width's screenshot is kept in ``test-results/``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from apps.metrics.services import deployment_changes_record
from apps.metrics.tests.factories import PullRequestFactory
from apps.teams.models import Membership, Role, Team
from apps.users.models import User
from apps.web.tests.test_deployments_page import deployed
from tests.e2e.results import results
from tests.e2e.test_dashboard_glance import WIDTHS, no_sideways_scroll
from tests.e2e.test_figure_to_pr import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PERIOD = "start=2026-03-02&end=2026-03-15"


@pytest.fixture
def deployments_url(page: Page, live_server) -> str:
    """Acme's deployments over two weeks: a failed attempt then its success, three more production deployments, one
    to staging and one to a preview."""
    team = Team.objects.create(name="Acme", slug="acme")
    user = User.objects.create_user(email="lead@example.com", password="x-long-password-1")
    Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    t = datetime(2026, 3, 3, 9, tzinfo=UTC)
    deployed(team, 1, created=t, states=[("in_progress", t), ("failure", t + timedelta(minutes=4))])
    deployed(team, 1, created=t, states=[("success", t + timedelta(minutes=9))])
    shipped = []
    for n in range(2, 5):
        when = t + timedelta(days=2 * n)
        shipped.append(
            deployed(team, n, created=when, states=[("in_progress", when), ("success", when + timedelta(minutes=3))])
        )
    # The last one shipped two PRs, one with a long title; the one before it has no earlier deployment known.
    title = "Move the billing export to the new queue so that month-end reports finish before the accountants arrive"
    PullRequestFactory(team=team, github_repo_id=shipped[2].github_repo_id, number=4321, title=title,
                       merge_commit_sha=shipped[2].sha)  # fmt: skip
    PullRequestFactory(team=team, github_repo_id=shipped[2].github_repo_id, number=4322, merge_commit_sha="c" * 40)
    deployment_changes_record(deployment=shipped[1], previous=None)
    deployment_changes_record(deployment=shipped[2], previous=shipped[1], commit_shas=["c" * 40, shipped[2].sha])
    deployed(team, 5, environment="staging", production=False, created=t, states=[("success", t)])
    deployed(team, 6, environment="preview-pr-42", production=False, transient=True, created=t, states=[("success", t)])
    signed_in(page, live_server, user)
    return f"{live_server.url}/a/acme/deployments/"


@pytest.mark.parametrize("size", WIDTHS)
def test_the_frequency_is_on_the_first_screen_and_the_timeline_opens_in_place(page: Page, deployments_url: str, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{deployments_url}?{PERIOD}")

    figure = page.locator("#frequency .value")
    expect(figure).to_have_text("4")
    box = figure.bounding_box()
    assert box is not None and box["y"] + box["height"] <= height, box
    no_sideways_scroll(page)
    expect(page.locator("#other-environments")).to_contain_text("Transient environment (never production)")

    first = page.locator("#deployments tbody tr", has_text="3 statuses")  # the failed attempt and its success
    first.get_by_text("success · 3 statuses").click()
    expect(first.locator(".timeline li")).to_have_count(3)
    expect(first.locator(".timeline")).to_contain_text("failure")
    no_sideways_scroll(page)
    latest = page.locator("#deployments tbody tr").first
    expect(latest.locator(".shipped li")).to_have_count(2)
    expect(latest.locator(".deployment-changes")).to_contain_text("compare")
    expect(page.locator("#deployments")).to_contain_text("baseline unknown")
    page.screenshot(path=str(results() / f"deployments-{width}x{height}.png"), full_page=True)


@pytest.mark.parametrize("size", WIDTHS)
def test_an_empty_period_says_so_in_words(page: Page, deployments_url: str, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{deployments_url}?start=2026-01-01&end=2026-01-31")
    expect(page.locator("#no-deployments")).to_contain_text("No deployment in this period.")
    expect(page.locator("svg.chart")).to_have_count(0)
    no_sideways_scroll(page)
