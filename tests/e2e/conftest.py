"""Browser end-to-end tests: Debian's chromium, driven by pytest-playwright, against pytest-django's live server
and an in-process GitHub emulator whose webhooks go to that live server.

Run them alone with ``.venv/bin/pytest tests/e2e -m e2e``. Screenshots (of failed tests, and those the tests take)
land in ``test-results/``, or the folder ``--output`` names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import skip_or_fail
from tests.e2e.results import OUTPUT

CHROMIUM = Path(os.environ.get("TFORMANCE_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-import",
    "--no-first-run",
]

# Playwright's import API keeps an event loop running in the main thread from the first browser test to the end of
# the session (the browser is session-scoped), and Django refuses ORM calls from a thread with a running loop: so
# for the whole session, not per test. Nothing here touches the database concurrently with the loop's work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    """Keep a screenshot of every failed browser test unless the command line asks otherwise, and keep the tests'
    own screenshots in the same ``--output`` folder."""
    given = " ".join(config.invocation_params.args)
    if hasattr(config.option, "screenshot") and "--screenshot" not in given:
        config.option.screenshot = "only-on-failure"
    if hasattr(config.option, "output"):
        OUTPUT["folder"] = Path(config.option.output)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium (``playwright install`` cannot download browsers here), headless without a sandbox."""
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture
def _live_server_requests_close_their_connections() -> Iterator[None]:
    """The emulator (like a browser) reuses keep-alive connections, and a live-server thread waiting on one keeps
    the database session of its last request (``CONN_MAX_AGE``) until the socket closes — on PostgreSQL the test
    database then cannot be dropped at the end of the session. Each request closes its connection instead."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict  # shared by every thread's connection
    saved = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    settings_dict["CONN_MAX_AGE"] = saved


@pytest.fixture
def github(live_server: Any, settings: Any, _live_server_requests_close_their_connections: None) -> Iterator[Any]:
    """The emulator's demo world (org acme, acme/api, acme/web, acme/infra, user octo-admin), with tformance's
    GitHub settings pointed at it and its webhooks, install callback and sign-in callback pointed at the live
    server."""
    from github_app.emulator import EmulatorConfig, EmulatorServer

    config = EmulatorConfig(
        port=0,
        scenario="demo",
        webhook_url=f"{live_server.url}/webhooks/github/",
        setup_url=f"{live_server.url}/integrations/github/callback/",
    )
    with EmulatorServer(config) as gh:
        settings.GITHUB_API_URL = settings.GITHUB_WEB_URL = gh.url
        settings.BASE_URL = live_server.url  # the App's callback URL, where GitHub's sign-in sends the browser back
        settings.GITHUB_APP_ID, settings.GITHUB_APP_SLUG = str(config.app_id), config.slug
        settings.GITHUB_APP_CLIENT_ID, settings.GITHUB_APP_CLIENT_SECRET = config.client_id, config.client_secret
        settings.GITHUB_APP_PRIVATE_KEY, settings.GITHUB_APP_PRIVATE_KEY_PATH = gh.app.private_key_pem, ""
        settings.GITHUB_APP_WEBHOOK_SECRET = config.webhook_secret
        yield gh


@pytest.fixture
def page(page: Any) -> Iterator[Any]:
    """Every browser test also fails on a Content-Security-Policy violation: Chromium reports each one refused
    (an inline script or style, a foreign origin) on the console, and the page would silently lose that part."""
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    assert refused == [], refused
