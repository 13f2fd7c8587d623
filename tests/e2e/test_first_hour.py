"""The first hour through the team home's checklist, in a real browser: sign up, Connect GitHub (the primary
action), install on the emulator, choose repositories, watch the first import finish in the background, open the
dashboard. Each step's state is asserted on the home page and a screenshot of it is saved under ``test-results/``.
Then the demo banner's other paths (``manage.py demo``'s "try" line), with acme connected as in the demo: a new
sign-up connects globex as mona, and Connect an existing installation as bob-martin, a plain member of acme, shows
the refusal and its reason on the page — no terminal, no log file.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from apps.integrations.models import TrackedRepository
from apps.metrics.models import PullRequest
from tests.e2e.github_world import merged_in
from tests.e2e.results import results
from tests.e2e.test_onboarding import IMPORT_TIMEOUT_MS, TRACKED, dashboard_window, sign_up, stat, track

pytestmark = [pytest.mark.e2e, pytest.mark.background_imports, pytest.mark.django_db(transaction=True)]

BIG, BIG_PRS = "acme/monorepo", 2500  # an import long enough (seconds) to be seen running
BIG_IMPORT_TIMEOUT_MS = 4 * IMPORT_TIMEOUT_MS  # its 50 pages take turns on a machine that CI or other tests share


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(results("first-hour") / f"{name}.png"), full_page=True)


def step(page: Page, key: str) -> Locator:
    return page.locator(f'#setup-checklist li[data-step="{key}"]')


def primary(page: Page) -> Locator:
    """The checklist's primary action: a POST form's button (Connect GitHub) or a link."""
    return page.locator("#setup-checklist form.primary-action button, #setup-checklist a.primary-action")


def go_home(page: Page) -> None:
    page.get_by_role("navigation", name="Team").get_by_role("link", name="Overview").click()


def test_the_first_hour_from_sign_up_to_a_filled_dashboard_through_the_checklist(
    page: Page, live_server, github, settings
):
    body = {"owner": "acme", "name": BIG.split("/")[1], "pull_requests": BIG_PRS}
    assert requests.post(f"{github.url}/_emulator/repositories", json=body, timeout=30).status_code < 300
    settings.EMAIL_SHOWN_ON_PAGE = True  # as in the demo (DEBUG, console email): the verification email on the page
    sign_up(page, live_server.url, email="lead@example.com", team="Acme Platform", email_on_page=True)

    # 1. A fresh team: nothing done, Connect GitHub is the primary action.
    for key in ("connect", "repositories", "import", "dashboard"):
        expect(step(page, key).locator(".badge")).not_to_have_text("Done")
    expect(step(page, "connect").locator(".badge")).to_have_text("Next")
    expect(primary(page)).to_have_text("Connect GitHub")
    shot(page, "1-signed-up")

    # 2. GitHub's install page starts on acme, where the App is not installed yet; installing comes back connected.
    primary(page).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Install "))).to_be_visible()
    expect(page.locator("#account")).to_have_value("acme")
    expect(page.locator("#user")).to_have_value("octo-admin")
    shot(page, "2-github-install-page")
    page.locator("#install").click()
    expect(
        page.get_by_text("GitHub account acme is connected to Acme Platform. Next: choose the repositories")
    ).to_be_visible()
    go_home(page)
    expect(step(page, "connect").locator(".badge")).to_have_text("Done")
    expect(step(page, "connect")).to_contain_text("acme connected by lead@example.com")
    expect(primary(page)).to_have_text("Choose repositories")
    shot(page, "3-connected")

    # 3. Choose repositories: each import runs on the web process's background thread, its row shows progress.
    primary(page).click()
    for full_name in TRACKED:
        track(page, full_name)
    # A big repository's import takes seconds: the home shows it running, then done, without a reload.
    page.locator("tbody tr", has_text=BIG).get_by_role("button", name="Track").click()
    go_home(page)
    expect(step(page, "repositories")).to_contain_text(f"{len(TRACKED) + 1} repositories tracked.")
    expect(step(page, "import")).to_contain_text(
        re.compile(r"Importing 1 repository: [\d,]+( of [\d,]+)? pull requests read")
    )
    expect(primary(page)).to_have_text("See the import's progress")
    shot(page, "4-importing")
    expect(step(page, "import").locator(".badge")).to_have_text("Done", timeout=BIG_IMPORT_TIMEOUT_MS)
    imported = PullRequest.objects.filter(github_repo__in=[*TRACKED, BIG]).count()
    assert imported == sum(row.import_count for row in TrackedRepository.objects.all()) > 0
    expect(step(page, "import")).to_contain_text(f"{imported:,} pull requests imported.")
    expect(primary(page)).to_have_count(0)  # set up: the summary's button leads on
    expect(page.get_by_role("region", name="This week")).to_be_visible()
    shot(page, "5-imported")

    # 4. The dashboard, filled with what the emulator holds.
    page.get_by_role("region", name="This week").get_by_role("link", name="Open the dashboard").click()
    window = dashboard_window(page)
    expect(stat(page, "Merged PRs")).to_have_text(str(merged_in(github, [*TRACKED, BIG], window)))
    shot(page, "6-dashboard")

    # 5. The banner's "try": a new sign-up, then Connect GitHub as mona (owner of globex, not connected yet).
    page.get_by_role("button", name="Log out").click()
    sign_up(page, live_server.url, email="newcomer@example.com", team="Globex Web", email_on_page=True)
    primary(page).click()
    expect(page.locator("#user")).to_have_value("mona")  # GitHub's page starts where the App is not installed yet
    expect(page.locator("#account")).to_have_value("globex")
    page.locator("#install").click()
    expect(page.get_by_text("GitHub account globex is connected to Globex Web.")).to_be_visible()
    shot(page, "7-new-sign-up-connected-globex")

    # 6. "or Connect an existing installation signed in to GitHub as bob-martin (a plain member of acme, connected
    # to Demo Team: refused, with why)": the refusal and its reason are on tformance's page, with the way back.
    page.get_by_role("button", name="Connect an existing installation").click()
    page.locator("#user").select_option("bob-martin")
    page.locator("#authorize").click()
    expect(page.get_by_role("heading", name="Connect an existing installation to Globex Web")).to_be_visible()
    expect(page.get_by_text("Signed in to GitHub as bob-martin")).to_be_visible()
    expect(page.locator("#claim-options")).to_contain_text(
        "acme: cannot be connected by you (connected to another tformance team)."
    )
    expect(page.locator("#claim-options").get_by_role("button")).to_have_count(0)
    shot(page, "8-bob-martin-refused-with-why")
    page.get_by_role("link", name="Back to Globex Web · GitHub").click()
    expect(page.get_by_role("heading", name="GitHub", exact=True)).to_be_visible()
