"""Where the emulator used to be kinder than GitHub: expiring user tokens, GraphQL's documented point cost,
conditional requests (ETag / 304), and payloads over 25 MB that GitHub never delivers."""

from __future__ import annotations

import requests

from github_app.api.installation import REPOSITORY_PULL_REQUESTS_QUERY

from .conftest import install, installation_token


def test_a_user_token_expires_and_comes_with_a_single_use_refresh_token(emulator):
    """GitHub Apps' user access tokens expire by default: 8 hours, with a 6-month refresh token."""
    form = {"client_id": "Iv1.emulator", "client_secret": "emulator-client-secret"}
    code = emulator.state.issue_code("oauth", emulator.app.id, "octo-admin")
    body = requests.post(f"{emulator.url}/login/oauth/access_token", data={**form, "code": code}).json()

    assert body["expires_in"] == 28800 and body["refresh_token_expires_in"] == 15897600
    assert body["refresh_token"].startswith("ghr_") and body["access_token"].startswith("ghu_")
    refresh = {**form, "grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    renewed = requests.post(f"{emulator.url}/login/oauth/access_token", data=refresh).json()
    assert renewed["access_token"].startswith("ghu_") and renewed["refresh_token"] != body["refresh_token"]
    again = requests.post(f"{emulator.url}/login/oauth/access_token", data=refresh).json()
    assert again["error"] == "bad_refresh_token"


def test_a_history_page_costs_the_points_githubs_formula_gives(emulator, app_headers):
    """The import's page (50 PRs, each with labels, reviews and timeline items) needs 1 + 3 x 50 = 151 requests:
    151 / 100 rounds to 2 points. A page of 10 PRs needs 31: 1 point, the minimum."""
    headers = {"Authorization": f"bearer {installation_token(emulator, app_headers, install(emulator))}"}

    def cost(first: int) -> int:
        variables = {"owner": "acme", "name": "api", "first": first}
        body = {"query": REPOSITORY_PULL_REQUESTS_QUERY, "variables": variables}
        answer = requests.post(f"{emulator.url}/graphql", json=body, headers=headers)
        return answer.json()["data"]["rateLimit"]["cost"]

    assert cost(50) == 2
    assert cost(10) == 1
    used = requests.post(f"{emulator.url}/graphql", json={"query": "{ rateLimit { used } }"}, headers=headers)
    assert used.json()["data"]["rateLimit"]["used"] == 2 + 1 + 1


def test_an_unchanged_list_answers_304_and_costs_no_rate_limit(emulator, app_headers):
    headers = {"Authorization": f"bearer {installation_token(emulator, app_headers, install(emulator))}"}
    url = f"{emulator.url}/installation/repositories"
    first = requests.get(url, headers=headers)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')

    again = requests.get(url, headers={**headers, "If-None-Match": etag})

    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    requests.post(f"{emulator.url}/_emulator/repositories", json={"owner": "acme", "name": "new", "pull_requests": 0})
    changed = requests.get(url, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_payload_over_25_mb_is_not_delivered(emulator, receiver):
    small = emulator.deliver("ping", {"zen": "fits"})
    huge = emulator.deliver("ping", {"zen": "x" * (25 * 1024 * 1024)})

    assert small is not None and huge is None
    assert [r.json["zen"] for r in receiver.wait_for(1)] == ["fits"]
    deliveries = [d.event for d in emulator.state.deliveries]
    assert deliveries.count("ping") == 1


def test_where_the_install_page_sends_the_browser_is_what_github_documents(make_emulator, receiver):
    """Without OAuth during installation: the setup URL, with no code; an update returns only with "Redirect on
    update"; with OAuth during installation, an update never returns (the setup URL is unavailable then)."""
    from urllib.parse import parse_qs, urlsplit

    def submit(gh, account: str) -> requests.Response:
        url = f"{gh.url}/apps/tformance-dev/installations/new"
        form = {"user": "octo-admin", "account": account, "repository_selection": "all", "state": "s"}
        return requests.post(url, data=form, allow_redirects=False)

    plain = make_emulator(
        scenario="demo", webhook_url=receiver.url, setup_url="https://t.example/setup", request_oauth_on_install=False
    )
    first = submit(plain, "acme")
    query = parse_qs(urlsplit(first.headers["Location"]).query)
    assert first.status_code == 303 and first.headers["Location"].startswith("https://t.example/setup?")
    assert "code" not in query and query["setup_action"] == ["install"]
    assert submit(plain, "acme").status_code == 200  # no "Redirect on update": the browser stays

    redirecting = make_emulator(
        scenario="demo",
        webhook_url=receiver.url,
        setup_url="https://t.example/setup",
        request_oauth_on_install=False,
        setup_on_update=True,
    )
    submit(redirecting, "acme")
    update = submit(redirecting, "acme")
    assert update.status_code == 303 and parse_qs(urlsplit(update.headers["Location"]).query)["setup_action"] == [
        "update"
    ]

    oauth = make_emulator(scenario="demo", webhook_url=receiver.url, setup_on_update=True)
    assert "code=" in submit(oauth, "acme").headers["Location"]
    assert submit(oauth, "acme").status_code == 200
