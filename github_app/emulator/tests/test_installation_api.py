"""Installation-token endpoints: pagination, members, REST rate limit, injected faults."""

from __future__ import annotations

import re

import requests

from .conftest import install, installation_token


def token_headers(emulator, app_headers, **install_kwargs) -> dict[str, str]:
    token = installation_token(emulator, app_headers, install(emulator, **install_kwargs))
    return {"Authorization": f"token {token}"}


def links(response: requests.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))}


def test_repositories_are_paginated_with_link_headers_matching_the_count(emulator, app_headers):
    for n in range(5):
        requests.post(f"{emulator.url}/_emulator/repositories", json={"owner": "acme", "name": f"extra-{n}"})
    headers = token_headers(emulator, app_headers)
    url, seen, pages = f"{emulator.url}/installation/repositories?per_page=3", [], 0
    while url:
        response = requests.get(url, headers=headers)
        assert response.status_code == 200
        body = response.json()
        assert body["total_count"] == 8
        seen += [r["full_name"] for r in body["repositories"]]
        url, pages = links(response).get("next"), pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8
    first = requests.get(f"{emulator.url}/installation/repositories?per_page=3", headers=headers)
    assert "page=3" in links(first)["last"]


def test_selected_installation_lists_only_its_repositories(emulator, app_headers):
    headers = token_headers(emulator, app_headers, repositories=["acme/web"])
    body = requests.get(f"{emulator.url}/installation/repositories", headers=headers).json()
    assert body["total_count"] == 1
    repo = body["repositories"][0]
    assert (repo["full_name"], repo["owner"]["login"], repo["private"], repo["default_branch"]) == (
        "acme/web",
        "acme",
        True,
        "main",
    )
    assert isinstance(repo["id"], int) and repo["archived"] is False


def test_org_members_paginated_and_scoped_to_the_installation(emulator, app_headers):
    headers = token_headers(emulator, app_headers)
    first = requests.get(f"{emulator.url}/orgs/acme/members?per_page=5", headers=headers)
    second = requests.get(links(first)["next"], headers=headers)
    logins = [m["login"] for m in first.json() + second.json()]
    assert "octo-admin" in logins and len(logins) == 7
    assert requests.get(f"{emulator.url}/orgs/globex/members", headers=headers).status_code == 404


def test_rest_rate_limit_exhaustion(emulator, app_headers):
    requests.post(f"{emulator.url}/_emulator/rate-limit", json={"rest": 2})
    headers = token_headers(emulator, app_headers)
    url = f"{emulator.url}/installation/repositories"
    ok = [requests.get(url, headers=headers) for _ in range(2)]
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[-1].headers["x-ratelimit-remaining"] == "0"
    limited = requests.get(url, headers=headers)
    assert limited.status_code == 403
    assert limited.json()["message"].startswith("API rate limit exceeded for installation ID")
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) > 0
    assert limited.headers["x-ratelimit-resource"] == "core"


def test_faults_fail_the_next_n_matching_requests(emulator, app_headers):
    headers = token_headers(emulator, app_headers)
    requests.post(f"{emulator.url}/_emulator/faults", json={"status": 502, "count": 2, "path_prefix": "/graphql"})
    repos = requests.get(f"{emulator.url}/installation/repositories", headers=headers)
    assert repos.status_code == 200  # another path is not affected
    query = {"query": "query PullRequestReviews { x }", "variables": {"owner": "acme", "name": "api", "number": 1}}
    statuses = [requests.post(f"{emulator.url}/graphql", json=query, headers=headers).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]


def test_secondary_rate_limit_fault_has_retry_after(emulator, app_headers):
    headers = token_headers(emulator, app_headers)
    requests.post(f"{emulator.url}/_emulator/faults", json={"secondary": True, "retry_after": 30})
    response = requests.get(f"{emulator.url}/installation/repositories", headers=headers)
    assert response.status_code == 403
    assert response.headers["retry-after"] == "30"
    assert "secondary rate limit" in response.json()["message"]
    assert requests.get(f"{emulator.url}/installation/repositories", headers=headers).status_code == 200


def test_request_counts_by_path(emulator, app_headers):
    headers = token_headers(emulator, app_headers)
    requests.delete(f"{emulator.url}/_emulator/requests")
    for _ in range(3):
        requests.get(f"{emulator.url}/installation/repositories", headers=headers)
    counts = requests.get(f"{emulator.url}/_emulator/requests").json()
    assert counts["by_path"] == {"/installation/repositories": 3}
    assert counts["total"] == 3


def test_rate_limit_endpoint_reports_both_budgets_without_spending_them(emulator, app_headers):
    headers = token_headers(emulator, app_headers)
    requests.get(f"{emulator.url}/installation/repositories", headers=headers)
    first = requests.get(f"{emulator.url}/rate_limit", headers=headers).json()
    second = requests.get(f"{emulator.url}/rate_limit", headers=headers).json()
    assert first["resources"]["core"]["used"] == second["resources"]["core"]["used"] == 1
    assert second["resources"]["graphql"] == {**second["resources"]["graphql"], "limit": 5000, "used": 0}
