"""The emulator answers as GitHub does where GitHub's docs say how: error shapes, odd authors, GHES, private Apps."""

from __future__ import annotations

import requests

from github_app.api.installation import REPOSITORY_PULL_REQUESTS_QUERY

from .conftest import install, installation_token

NODE_QUERY = """query One($number: Int!) { repository(owner: "acme", name: "api") { pullRequest(number: $number) {
  body author { __typename login ... on User { databaseId } ... on Mannequin { databaseId } } } } }"""


def fault(emulator, **spec) -> None:
    assert requests.post(f"{emulator.url}/_emulator/faults", json=spec, timeout=5).status_code == 201


def graphql(emulator, token: str, query: str, **variables) -> requests.Response:
    return requests.post(
        f"{emulator.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"bearer {token}"},
        timeout=10,
    )


def test_graphql_failure_shapes_github_documents(emulator, app_headers):
    token = installation_token(emulator, app_headers, install(emulator))
    query, variables = REPOSITORY_PULL_REQUESTS_QUERY, {"owner": "acme", "name": "api", "first": 1}

    fault(emulator, path_prefix="/graphql", secondary=True, status=200, retry_after=30)
    secondary_200 = graphql(emulator, token, query, **variables)
    assert secondary_200.status_code == 200 and secondary_200.headers["Retry-After"] == "30"
    assert "type" not in secondary_200.json()["errors"][0]
    assert "secondary rate limit" in secondary_200.json()["errors"][0]["message"]

    fault(emulator, path_prefix="/graphql", secondary=True, retry_after=45)
    secondary_403 = graphql(emulator, token, query, **variables)
    assert secondary_403.status_code == 403 and secondary_403.headers["Retry-After"] == "45"

    fault(emulator, path_prefix="/graphql", status=200, message="Something went wrong while executing your query.")
    untyped = graphql(emulator, token, query, **variables)
    assert untyped.status_code == 200 and untyped.json() == {
        "errors": [{"message": "Something went wrong while executing your query."}]
    }

    fault(emulator, path_prefix="/graphql", status=502, html=True)
    unicorn = graphql(emulator, token, query, **variables)
    assert unicorn.status_code == 502 and unicorn.headers["Content-Type"].startswith("text/html")
    assert unicorn.text.startswith("<!DOCTYPE html>")


def test_a_redelivery_attempt_github_refuses_is_a_json_400_or_422(emulator, app_headers):
    for status, message in ((422, "Validation Failed"), (400, "Bad Request")):
        fault(emulator, path_prefix="/app/hook/deliveries/", status=status)
        response = requests.post(f"{emulator.url}/app/hook/deliveries/1/attempts", headers=app_headers, timeout=5)
        assert response.status_code == status and response.json()["message"] == message


def test_deleted_authors_are_null_mannequins_are_typed_and_bodies_may_be_null(emulator, app_headers):
    token = installation_token(emulator, app_headers, install(emulator))
    pulls = f"{emulator.url}/_emulator/pulls"
    ghost = requests.post(pulls, json={"repository": "acme/api", "user": "ghost", "body": None}, timeout=5).json()
    mannequin = requests.post(
        pulls, json={"repository": "acme/api", "user": "imported-bob", "author_type": "Mannequin"}, timeout=5
    ).json()

    ghost_node = graphql(emulator, token, NODE_QUERY, number=ghost["number"]).json()["data"]["repository"]
    assert ghost_node["pullRequest"] == {"body": "", "author": None}  # GraphQL's body is String!
    rest = requests.get(
        f"{emulator.url}/repos/acme/api/pulls/{ghost['number']}", headers={"Authorization": f"token {token}"}
    ).json()
    assert rest["body"] is None and rest["user"]["login"] == "ghost"

    node = graphql(emulator, token, NODE_QUERY, number=mannequin["number"]).json()["data"]["repository"]
    assert node["pullRequest"]["author"]["__typename"] == "Mannequin"


def test_github_enterprise_server_layout(make_emulator, app_headers):
    ghes = make_emulator(scenario="demo", ghes=True)
    assert requests.get(f"{ghes.url}/api/v3/app", headers=app_headers, timeout=5).status_code == 200
    assert requests.get(f"{ghes.url}/app", headers=app_headers, timeout=5).status_code == 404
    assert requests.get(f"{ghes.url}/github-apps/tformance-dev/installations/new", timeout=5).status_code == 200
    assert requests.get(f"{ghes.url}/apps/tformance-dev/installations/new", timeout=5).status_code == 404

    install(ghes)
    install(ghes, "octo-admin")
    listing = requests.get(f"{ghes.url}/api/v3/app/installations?per_page=1", headers=app_headers, timeout=5)
    assert listing.headers["Link"].startswith(f"<{ghes.url}/api/v3/app/installations?")

    token = requests.post(
        f"{ghes.url}/api/v3/app/installations/{listing.json()[0]['id']}/access_tokens", headers=app_headers, timeout=5
    ).json()["token"]
    answer = requests.post(
        f"{ghes.url}/api/graphql",
        json={"query": REPOSITORY_PULL_REQUESTS_QUERY, "variables": {"owner": "acme", "name": "api", "first": 1}},
        headers={"Authorization": f"bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200 and "errors" not in answer.json()


def test_a_private_app_installs_only_on_its_owner(make_emulator, receiver):
    """GitHub: a private App can be installed only on the account that owns it."""
    emulator = make_emulator(scenario="demo", webhook_url=receiver.url, public=False)
    form = {"user": "octo-admin", "account": "acme", "repository_selection": "all"}
    refused = requests.post(f"{emulator.url}/apps/tformance-dev/installations/new", data=form, allow_redirects=False)
    assert refused.status_code == 403 and "private" in refused.text
    assert receiver.received == []

    own = {"user": "octo-admin", "account": "octo-admin", "repository_selection": "all"}
    accepted = requests.post(f"{emulator.url}/apps/tformance-dev/installations/new", data=own, allow_redirects=False)
    assert accepted.status_code == 303
