"""``ObservedSession``: every exchange with GitHub is told to the application's callback, classified."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
import responses

from github_app import AppAPI, Exchange, GitHubClient, ObservedSession, RateLimited, TransportError
from github_app.tests.conftest import API


@pytest.fixture
def seen() -> list[Exchange]:
    return []


@responses.activate
def test_each_answer_is_told_with_its_status_class_and_kind(seen):
    responses.get(f"{API}/repos/o/r", json={"id": 1})
    responses.post(f"{API}/graphql", json={"data": {"viewer": {"login": "x"}}})
    client = GitHubClient(API, ObservedSession(seen.append))

    client.get("/repos/o/r")
    client.graphql("{ viewer { login } }")

    assert [(e.method, e.kind, e.status_class, e.rate_limited) for e in seen] == [
        ("GET", "rest", "2xx", False),
        ("POST", "graphql", "2xx", False),
    ]
    assert all(e.seconds >= 0 for e in seen)


@responses.activate
def test_a_rate_limit_answer_is_marked_and_no_answer_is_an_error(seen):
    reset = "4102444800"
    headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    responses.get(f"{API}/limited", status=403, json={"message": "API rate limit exceeded"}, headers=headers)
    responses.get(f"{API}/down", body=requests.ConnectionError("refused"))
    client = GitHubClient(API, ObservedSession(seen.append), sleep=lambda s: None)

    with pytest.raises(RateLimited):
        client.get("/limited")
    with pytest.raises(TransportError):  # after its three attempts
        client.get("/down")

    assert (seen[0].status, seen[0].rate_limited) == (403, True)
    assert {e.status_class for e in seen[1:]} == {"error"} and len(seen) == 4  # three attempts, no answer


@responses.activate
def test_an_installation_token_mint_is_recognised_on_github_com_and_enterprise_server(seen, credentials):
    ghes = "https://ghe.example.com/api/v3"
    for base in (API, ghes):
        responses.post(
            f"{base}/app/installations/42/access_tokens",
            status=201,
            json={"token": "ghs_x", "expires_at": "2100-01-01T00:00:00Z"},
        )
        app = replace(credentials, api_url=base)
        AppAPI(app, ObservedSession(seen.append)).create_installation_token(42)

    assert [(e.kind, e.is_token_mint, e.status) for e in seen] == [("token", True, 201), ("token", True, 201)]


@responses.activate
def test_an_observer_that_fails_never_fails_the_call():
    responses.get(f"{API}/repos/o/r", json={"id": 1})

    def broken(exchange: Exchange) -> None:
        raise RuntimeError("metrics backend away")

    assert GitHubClient(API, ObservedSession(broken)).get("/repos/o/r") == {"id": 1}
