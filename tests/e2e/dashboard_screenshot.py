"""Take ``docs/dashboard.png`` from a running ``make demo``: ``.venv/bin/python -m tests.e2e.dashboard_screenshot``.

Kept beside the browser tests so the README's picture is made the same way the tests drive the product (Debian's
chromium through Playwright), and can be retaken after a change to the dashboard.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

DEMO_EMAIL, DEMO_PASSWORD = "demo@tformance.local", "tformance-demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--team", default="demo-team")
    parser.add_argument("--output", type=Path, default=Path("docs/dashboard.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1500, help="the picture's height (the page is cut there)")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(f"{args.base_url}/accounts/login/")
        page.locator("input[name=username]").fill(DEMO_EMAIL)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{args.base_url}/a/{args.team}/dashboard/")
        page.wait_for_load_state("networkidle")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output))
        browser.close()
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
