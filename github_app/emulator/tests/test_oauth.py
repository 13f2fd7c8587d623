"""User-to-server OAuth: single-use codes and ``/user/installations`` scoping."""

from __future__ import annotations

import requests

from .conftest import install


def exchange(emulator, code: str, **overrides: str) -> dict:
    form = {"client_id": "Iv1.emulator", "client_secret": "emulator-client-secret", "code": code, **overrides}
    response = requests.post(
        f"{emulator.url}/login/oauth/access_token", data=form, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    return response.json()


def user_token(emulator, login: str) -> str:
    code = emulator.state.issue_code("oauth", emulator.app.id, login)
    return exchange(emulator, code)["access_token"]


def test_oauth_code_is_single_use(emulator):
    code = emulator.state.issue_code("oauth", emulator.app.id, "octo-admin")
    first = exchange(emulator, code)
    assert first["access_token"].startswith("ghu_")
    assert (first["token_type"], first["scope"]) == ("bearer", "")
    second = exchange(emulator, code)
    assert second["error"] == "bad_verification_code"
    assert "error_description" in second


def test_oauth_exchange_accepts_json_and_rejects_wrong_secret(emulator):
    code = emulator.state.issue_code("oauth", emulator.app.id, "octo-admin")
    wrong = exchange(emulator, code, client_secret="nope")
    assert wrong["error"] == "incorrect_client_credentials"
    code = emulator.state.issue_code("oauth", emulator.app.id, "octo-admin")
    body = {"client_id": "Iv1.emulator", "client_secret": "emulator-client-secret", "code": code}
    response = requests.post(f"{emulator.url}/login/oauth/access_token", json=body)
    assert response.json()["access_token"].startswith("ghu_")


def test_unknown_code_is_bad_verification_code(emulator):
    assert exchange(emulator, "not-a-code")["error"] == "bad_verification_code"


def test_user_installations_lists_only_accessible_installations(emulator):
    acme = install(emulator, "acme")
    mona_personal = install(emulator, "mona")
    globex = install(emulator, "globex")
    install(emulator, "octo-admin", [])  # octo-admin's personal account, no repositories selected

    def visible(login: str) -> set[str]:
        headers = {"Authorization": f"Bearer {user_token(emulator, login)}"}
        response = requests.get(f"{emulator.url}/user/installations", headers=headers)
        assert response.status_code == 200
        body = response.json()
        assert body["total_count"] == len(body["installations"])
        return {i["account"]["login"] for i in body["installations"]}

    assert visible("octo-admin") == {"acme", "octo-admin"}
    assert visible("alice-chen") == {"acme"}
    assert visible("mona") == {"mona", "globex"}
    assert acme and mona_personal and globex


def test_user_installations_paginates_with_link_header(emulator):
    install(emulator, "acme")
    install(emulator, "octo-admin")
    headers = {"Authorization": f"Bearer {user_token(emulator, 'octo-admin')}"}
    first = requests.get(f"{emulator.url}/user/installations?per_page=1", headers=headers)
    assert first.json()["total_count"] == 2 and len(first.json()["installations"]) == 1
    assert 'rel="next"' in first.headers["Link"]
    next_url = first.headers["Link"].split(">")[0].lstrip("<")
    second = requests.get(next_url, headers=headers).json()
    assert second["installations"][0]["id"] != first.json()["installations"][0]["id"]


def test_user_installations_needs_a_user_token(emulator):
    assert requests.get(f"{emulator.url}/user/installations").status_code == 401
    bogus = {"Authorization": "Bearer ghu_nope"}
    assert requests.get(f"{emulator.url}/user/installations", headers=bogus).status_code == 401


def test_authorize_page_issues_a_code_for_the_chosen_user(emulator):
    url = f"{emulator.url}/login/oauth/authorize?client_id=Iv1.emulator&state=st&redirect_uri=http://127.0.0.1:8000/cb/"
    page = requests.get(url)
    assert page.status_code == 200 and 'id="authorize"' in page.text
    response = requests.post(url, data={"user": "alice-chen"}, allow_redirects=False)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("http://127.0.0.1:8000/cb/?") and "state=st" in location
    code = location.split("code=")[1].split("&")[0]
    token = exchange(emulator, code)["access_token"]
    me = requests.get(f"{emulator.url}/user", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["login"] == "alice-chen"
