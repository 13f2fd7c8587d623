"""Error pages, the Content-Security-Policy and the favicon, as a person (or their browser) meets them."""

from __future__ import annotations

import logging
import re
import sys

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

NAVIGATION = "Log out"


@pytest.fixture
def console(capsys):
    """``console(action)``: ``action()``'s result and what the configured logging printed to the console meanwhile,
    as an operator reads it (Django's logging is set up anew, so its handlers write to the captured stderr)."""
    from django.conf import settings
    from django.utils.log import configure_logging

    def run(action):
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
        capsys.readouterr()
        result = action()
        return result, capsys.readouterr().err

    yield run
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    for handler in logging.getLogger().handlers:  # not this test's captured stream, which closes now
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.__stderr__)


def test_a_404_keeps_the_layout_and_the_signed_in_navigation(admin_client, team, settings):
    settings.DEBUG = False
    response = admin_client.get("/a/no-such-team/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page and 'rel="stylesheet"' in page
    assert NAVIGATION in page and "admin@example.com" in page and team.name in page  # the team switcher


def test_a_404_for_a_visitor_offers_to_log_in(client, settings):
    settings.DEBUG = False
    page = client.get("/nothing-here/").content.decode()
    assert "This page does not exist" in page and "Log in" in page and NAVIGATION not in page


@pytest.mark.parametrize("debug", [False, True])
def test_a_non_staff_user_on_the_app_registration_page_gets_the_styled_403_logged_once(
    member_client, settings, console, debug
):
    settings.DEBUG = debug
    response, logged = console(lambda: member_client.get(reverse("integrations:github_register")))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You are not allowed to open this page" in page and "Only site staff can register the GitHub App." in page
    assert NAVIGATION in page
    assert logged.count("Forbidden (Permission denied): /integrations/github/register/") == 1, logged
    assert "Traceback" not in logged


def test_a_form_refused_by_the_csrf_check_gets_the_styled_403_not_djangos_inline_styled_page(settings):
    settings.DEBUG = False
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("users:login"), {"username": "a@example.com", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form could not be accepted" in page and 'rel="stylesheet"' in page and "<style" not in page


def test_a_500_keeps_the_layout_and_the_navigation_and_logs_the_traceback_once(admin_client, settings, console):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_raising"
    admin_client.raise_request_exception = False
    response, logged = console(lambda: admin_client.get("/fails/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and NAVIGATION in page and "a bug in a view" not in page
    assert logged.count("Traceback") == 1 and "RuntimeError: a bug in a view" in logged


def _policy(response) -> dict[str, str]:
    """The Content-Security-Policy header as directive → sources (django-csp writes directives in any order)."""
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_pages_carry_a_content_security_policy_without_inline_script_or_style(admin_client, team):
    policy = _policy(admin_client.get(reverse("web:team_home", kwargs={"team_slug": team.slug})))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "https://github.com" in policy["form-action"]  # the App registration form posts to GitHub
    assert policy["frame-ancestors"] == "'none'"


def test_the_policy_follows_the_github_this_deployment_talks_to(admin_client, team, settings):
    """The policy is built once per process; a changed GitHub origin (GitHub Enterprise) still reaches it."""
    url = reverse("web:team_home", kwargs={"team_slug": team.slug})
    assert _policy(admin_client.get(url))["form-action"] == "'self' https://github.com"
    settings.GITHUB_WEB_URL = "https://ghe.example.com/"
    assert _policy(admin_client.get(url))["form-action"] == "'self' https://ghe.example.com"


def test_no_page_holds_an_inline_style_or_script_the_policy_would_refuse(admin_client, admin_user, team):
    from apps.web.templatetags.charts import breakdown_bar

    pages = [
        reverse("web:team_home", kwargs={"team_slug": team.slug}),
        reverse("dashboard:index", kwargs={"team_slug": team.slug}),
        reverse("integrations:github", kwargs={"team_slug": team.slug}),
        reverse("teams:members", kwargs={"team_slug": team.slug}),
        reverse("dashboard:people", kwargs={"team_slug": team.slug}),
        reverse("integrations:github_repositories", kwargs={"team_slug": team.slug}),
        reverse("teams:create"),
        "/admin/",
    ]
    admin_user.is_staff = True  # the admin site too
    admin_user.save()
    html = "".join(admin_client.get(url).content.decode() for url in pages)
    visitor = Client()
    html += "".join(
        visitor.get(url).content.decode()
        for url in ["/", reverse("users:login"), reverse("users:signup"), reverse("users:password_reset")]
    )
    parts = {"draft_seconds": 1, "pickup_seconds": 2, "review_phase_seconds": 3, "merge_wait_seconds": 4}
    html += render_to_string("dashboard/_breakdown_bar.html", breakdown_bar(parts))  # its widths are classes
    assert " style=" not in html and "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is a file
    assert re.findall(r"\son[a-z]+=", html) == []  # no inline event handlers


def test_the_favicon_is_linked_from_every_page_and_favicon_ico_leads_to_it(client):
    page = client.get(reverse("users:login")).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert icon
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"] == icon.group(1)
    from django.contrib.staticfiles import finders

    svg = open(finders.find("favicon.svg")).read()  # noqa: SIM115
    assert svg.startswith("<svg") and "</svg>" in svg
