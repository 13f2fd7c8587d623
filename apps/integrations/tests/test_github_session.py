"""One HTTP session to GitHub per process: connections are reused across installations and tasks, nothing of one
installation's call reaches another's."""

import responses

from apps.integrations.github import app_api, http_session, installation_api

API = "https://api.github.com"


def test_every_call_to_github_in_a_process_shares_one_session(github_app_settings):
    session = http_session()
    assert app_api().client._session is session
    assert installation_api(1).client._session is session
    assert installation_api(2).client._session is session


def test_the_shared_session_keeps_no_cookie_from_one_call_for_the_next(github_app_settings):
    with responses.RequestsMock() as mock:
        mock.get(f"{API}/one", json={}, headers={"Set-Cookie": "logged_in=yes; Domain=api.github.com; Path=/"})
        mock.get(f"{API}/two", json={})
        http_session().get(f"{API}/one")
        http_session().get(f"{API}/two")
        assert "Cookie" not in mock.calls[1].request.headers
