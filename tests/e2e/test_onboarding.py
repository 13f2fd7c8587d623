"""A new user's first half hour, in a real browser: sign up, connect GitHub, install the App on the emulator,
track repositories, watch their history import, and read the dashboard — checked against the emulator's data."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
import requests
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from apps.integrations.models import GitHubAppInstallation, ImportStatus, TrackedRepository
from tests.e2e.github_world import Window, is_bot, merged_in, opened_or_merged_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TRACKED = ("acme/api", "acme/web")
IMPORT_TIMEOUT_MS = 60_000


def sign_up(page: Page, base_url: str, *, email: str, team: str, email_on_page: bool = False) -> None:
    """Sign up and verify the address: through the emailed link, or (the demo) the same link shown on the page."""
    page.goto(f"{base_url}/accounts/signup/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill("a-long-enough-passphrase-42")
    page.locator("input[name=password2]").fill("a-long-enough-passphrase-42")
    page.locator("input[name=team_name]").fill(team)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    if email_on_page:  # the demo needs no terminal or log file: the email is on the page
        link = page.locator("#demo-email a").get_attribute("href") or ""
    else:
        link = re.search(r"https?://\S+/accounts/verify/\S+", mail.outbox[-1].body).group(0)
    page.goto(base_url + urlsplit(link).path)  # the emailed link names the account; its button verifies and signs in
    page.get_by_role("button", name=f"Verify {email}").click()
    expect(page.get_by_role("heading", name=team)).to_be_visible()


def install_on_github(page: Page, *, user: str, account: str) -> None:
    """The emulator's install page, filled in as an org owner does it on github.com."""
    expect(page.get_by_role("heading", name=re.compile(r"^Install "))).to_be_visible()
    page.locator("#user").select_option(user)
    page.locator("#account").select_option(account)
    page.locator("#repository_selection_all").check()
    page.locator("#install").click()


def track(page: Page, full_name: str) -> None:
    """Press Track on the repository's row and wait for its import to finish (the row says when it last imported)."""
    row = page.locator("tbody tr", has_text=full_name)
    row.get_by_role("button", name="Track").click()
    expect(row.get_by_text("Tracked", exact=True)).to_be_visible()
    expect(row.get_by_text(re.compile(r"Last imported"))).to_be_visible(timeout=IMPORT_TIMEOUT_MS)


def dashboard_window(page: Page) -> Window:
    return Window(
        start=date.fromisoformat(page.locator("input[name=start]").input_value()),
        end=date.fromisoformat(page.locator("input[name=end]").input_value()),
    )


def stat(page: Page, label: str) -> Locator:
    """The value of a headline number; ``expect(...).to_have_text`` waits for the page that shows it."""
    return page.locator(".stat", has_text=label).locator(".value")


def test_sign_up_connect_github_track_and_read_the_dashboard(page: Page, live_server, github) -> None:
    sign_up(page, live_server.url, email="lead@example.com", team="Acme Platform")

    page.get_by_role("navigation", name="Team").get_by_role("link", name="GitHub").click()
    page.get_by_role("button", name="Connect GitHub").click()
    install_on_github(page, user="octo-admin", account="acme")

    expect(page.get_by_text("GitHub account acme is connected to Acme Platform.")).to_be_visible()
    expect(page.locator(".card h2", has_text="acme")).to_be_visible()
    installation = GitHubAppInstallation.objects.get(account_login="acme")
    assert installation.team.name == "Acme Platform"

    page.get_by_role("link", name="Choose tracked repositories").click()
    expect(page.locator("tbody tr")).to_have_count(len(github.state.repos_of("acme")))  # all repositories chosen
    for full_name in TRACKED:
        track(page, full_name)
    # The freshness card follows the rows at once: it names the tracked repositories, without a reload.
    freshness = page.locator("#freshness")
    expect(freshness.locator(".freshness-line")).to_have_count(len(TRACKED))
    expect(freshness).not_to_contain_text("No repository is tracked")
    # A search that matches nothing says that, not that nothing is tracked.
    page.get_by_role("searchbox", name="Search").fill("no-such-repository")
    expect(page.locator("#repo-table")).to_contain_text("No repository matches.")
    expect(page.locator("#freshness")).to_contain_text("No tracked repository among those the search shows")
    page.get_by_role("searchbox", name="Search").fill("")
    expect(page.locator("#freshness .freshness-line")).to_have_count(len(TRACKED))
    for row in TrackedRepository.objects.filter(team=installation.team):
        assert row.import_status == ImportStatus.IDLE and row.import_total, row.full_name
        assert row.import_count == row.import_total, (
            f"{row.full_name}: {row.import_count}/{row.import_total} (not 100 %)"
        )
    assert sorted(TrackedRepository.objects.values_list("full_name", flat=True)) == sorted(TRACKED)

    page.get_by_role("navigation", name="Team").get_by_role("link", name="Dashboard").click()
    window = dashboard_window(page)
    expected = merged_in(github, TRACKED, window)
    assert expected > 0, "the emulator's demo world should have merges in the default period"
    expect(stat(page, "Merged PRs")).to_have_text(str(expected))
    expect(page.locator("#pull-requests")).to_contain_text(
        f"{opened_or_merged_in(github, TRACKED, window)} PRs opened or merged in the period"
    )

    # One repository: the filter narrows the count to that repository's merges.
    page.locator("select[name=repo]").select_option(label="acme/web")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]repo=\d+"))
    expect(stat(page, "Merged PRs")).to_have_text(str(merged_in(github, ["acme/web"], window)))
    page.get_by_role("navigation", name="Team").get_by_role("link", name="Dashboard").click()

    # A PR opened, approved and merged on GitHub now arrives as webhooks and counts at once.
    response = requests.post(
        f"{github.url}/_emulator/activity",
        json={"repository": "acme/api", "actions": ["open", "approve", "merge"], "seed": 7},
        timeout=30,
    )
    assert response.status_code < 300, response.text
    number = response.json()["results"][0]["number"]
    live = github.state.pull_request(github.state.repo_by_full_name("acme/api"), number)
    assert live.merged_at is not None and not is_bot(github, live.user), "seed 7 should give a person's merged PR"
    assert merged_in(github, TRACKED, window) == expected + 1
    page.reload()
    expect(stat(page, "Merged PRs")).to_have_text(str(expected + 1))
    expect(page.locator("#pull-requests")).to_contain_text(live.title)
