"""A click whose request fails (the server answers 500, as SQLite's "database is locked" once made it do) must not
pass in silence: htmx swaps nothing on an error, so the row kept saying "Not tracked" as if Track had been ignored."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, Route, expect

from apps.integrations.tests.factories import InstallationFactory, InstallationRepositoryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_track_the_server_failed_says_so_and_the_row_stays_as_it_is(page: Page, live_server, admin_user, team):
    installation = InstallationFactory(installation_id=11, team=team, account_login="acme")
    InstallationRepositoryFactory(installation=installation, github_repo_id=1, full_name="acme/api")
    client = Client()
    client.force_login(admin_user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page.goto(f"{live_server.url}/a/{team.slug}/integrations/github/repos/")

    def server_error(route: Route) -> None:
        route.fulfill(status=500, body="Server Error (500)", content_type="text/html")

    page.route("**/repos/1/track/", server_error)
    row = page.locator("tbody tr", has_text="acme/api")
    row.get_by_role("button", name="Track").click()

    expect(page.get_by_role("alert")).to_contain_text("That did not go through: the server answered 500.")
    expect(row.get_by_text("Not tracked")).to_be_visible()
