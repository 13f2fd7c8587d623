"""AppAPI: the calls made as the App, against GitHub's documented example bodies."""

from __future__ import annotations

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from responses.matchers import query_param_matcher

from github_app import AppAPI, AppCredentials, InstallationNotFound, NotFound
from github_app.tests.conftest import API, FakeClock
from github_app.tests.fixtures import api_example


@pytest.fixture
def app(credentials: AppCredentials, session: requests.Session, clock: FakeClock) -> AppAPI:
    return AppAPI(credentials, session, clock, sleep=clock.sleep)


def test_get_app_sends_a_jwt_github_can_verify(
    app: AppAPI, mocked: responses.RequestsMock, rsa_key: rsa.RSAPrivateKey
) -> None:
    mocked.get(f"{API}/app", json=api_example("apps-get-authenticated.json"))
    assert app.get_app()["id"] == api_example("apps-get-authenticated.json")["id"]
    scheme, token = mocked.calls[0].request.headers["Authorization"].split(" ")
    claims = jwt.decode(
        token, rsa_key.public_key(), algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False}
    )
    assert scheme == "Bearer"
    assert claims["iss"] == "Iv1.testclient"


def test_list_installations_walks_every_page(app: AppAPI, mocked: responses.RequestsMock) -> None:
    example = api_example("apps-list-installations.json")[0]
    mocked.get(
        f"{API}/app/installations",
        json=[example],
        headers={"Link": f'<{API}/app/installations?per_page=100&page=2>; rel="next"'},
        match=[query_param_matcher({"per_page": "100"})],
    )
    mocked.get(
        f"{API}/app/installations",
        json=[{**example, "id": 2}],
        match=[query_param_matcher({"per_page": "100", "page": "2"})],
    )
    installations = list(app.list_installations())
    assert [i["id"] for i in installations] == [1, 2]
    assert installations[0]["account"]["login"] == "octocat"


def test_get_installation_and_missing_installation(app: AppAPI, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/app/installations/1", json=api_example("apps-get-installation.json"))
    mocked.get(f"{API}/app/installations/99", json={"message": "Not Found"}, status=404)
    assert app.get_installation(1)["id"] == 1
    with pytest.raises(NotFound):
        app.get_installation(99)


def test_list_hook_deliveries_returns_page_and_next_cursor(app: AppAPI, mocked: responses.RequestsMock) -> None:
    link = f'<{API}/app/hook/deliveries?per_page=2&cursor=v1_12077215967>; rel="next"'
    mocked.get(
        f"{API}/app/hook/deliveries",
        json=api_example("apps-list-webhook-deliveries.json"),
        headers={"Link": link},
        match=[query_param_matcher({"per_page": "2"})],
    )
    mocked.get(
        f"{API}/app/hook/deliveries",
        json=[],
        match=[query_param_matcher({"per_page": "2", "cursor": "v1_12077215967"})],
    )
    deliveries, cursor = app.list_hook_deliveries(per_page=2)
    assert [d["id"] for d in deliveries] == [12345678, 123456789]
    assert deliveries[1]["redelivery"] is True
    assert cursor == "v1_12077215967"
    assert app.list_hook_deliveries(per_page=2, cursor=cursor) == ([], None)


def test_redeliver_posts_an_attempt(app: AppAPI, mocked: responses.RequestsMock) -> None:
    mocked.post(f"{API}/app/hook/deliveries/12345678/attempts", json=None, status=202)
    assert app.redeliver(12345678) is None
    assert len(mocked.calls) == 1


def test_create_installation_token_from_documented_example(app: AppAPI, mocked: responses.RequestsMock) -> None:
    mocked.post(
        f"{API}/app/installations/1/access_tokens",
        json=api_example("apps-create-installation-access-token.json"),
        status=201,
    )
    token, expires_at = app.create_installation_token(1)
    assert token == "ghs_f1x7ure5f1x7ure5f1x7ure5f1x7ure5f1x7"
    assert expires_at == 1468275250  # 2016-07-11T22:14:10Z


def test_create_installation_token_for_uninstalled_app(app: AppAPI, mocked: responses.RequestsMock) -> None:
    mocked.post(f"{API}/app/installations/5/access_tokens", json={"message": "Not Found"}, status=404)
    with pytest.raises(InstallationNotFound):
        app.create_installation_token(5)
