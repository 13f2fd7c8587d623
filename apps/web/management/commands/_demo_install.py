"""Installing the App the way a person does it, over HTTP: log in to tformance, press Connect, submit GitHub's
(the emulator's) install page, follow GitHub back to the install callback.

Nothing here shortcuts the product: the state is issued by the running server for the logged-in session, the
callback proves ownership with the user's OAuth code (``GET /user``, ``GET /user/memberships/orgs/{org}``, the
installer), and the installation row comes from the signed ``installation.created`` webhook the emulator sends to
the running server. ``member_attempt_connect`` plays a plain member of the organization who tries to connect its
installation to their own team, and returns tformance's refusal.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from ._demo_processes import DemoError

TIMEOUT = 30


@dataclass(frozen=True)
class InstallResult:
    installation_id: int
    page_url: str  # the team's GitHub page the callback sent the browser to


def _expect(response: requests.Response, status: int, step: str) -> requests.Response:
    if response.status_code != status:
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))[:400]
        raise DemoError(f"{step}: expected HTTP {status}, got {response.status_code} from {response.url}: {snippet}")
    return response


def _post_form(session: requests.Session, url: str, data: dict[str, str] | None = None) -> requests.Response:
    """POST a tformance form with its CSRF token (cookie + field), without following the redirect."""
    token = session.cookies.get("csrftoken", "")
    return session.post(
        url, data={**(data or {}), "csrfmiddlewaretoken": token}, allow_redirects=False, timeout=TIMEOUT
    )


def log_in(session: requests.Session, *, base_url: str, email: str, password: str) -> None:
    _expect(session.get(f"{base_url}/accounts/login/", timeout=TIMEOUT), 200, "Opening the login page")
    response = _post_form(session, f"{base_url}/accounts/login/", {"username": email, "password": password})
    _expect(response, 302, f"Logging in as {email}")


def install_app(
    *, base_url: str, team_slug: str, email: str, password: str, github_user: str, account: str
) -> InstallResult:
    """Connect GitHub for the team and install on ``account`` with all repositories, as ``github_user``."""
    session = requests.Session()
    log_in(session, base_url=base_url, email=email, password=password)
    team_page = f"{base_url}/a/{team_slug}/integrations/github/"
    connect = _expect(_post_form(session, f"{team_page}connect/"), 302, "Pressing Connect GitHub")
    install_url = connect.headers["Location"]
    state = parse_qs(urlsplit(install_url).query).get("state", [""])[0]
    # GitHub's install page, as the browser shows it to the signed-in GitHub user.
    page = _expect(session.get(install_url, params={"user": github_user}, timeout=TIMEOUT), 200, "GitHub's page")
    if f'value="{account}"' not in page.text:
        raise DemoError(f"GitHub's install page does not offer the account {account!r} to {github_user}.")
    submitted = session.post(
        install_url,
        data={"state": state, "user": github_user, "account": account, "repository_selection": "all"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    callback = _expect(submitted, 303, f"Installing on {account}").headers["Location"]
    installation_id = int(parse_qs(urlsplit(callback).query)["installation_id"][0])
    back = _expect(session.get(callback, allow_redirects=False, timeout=TIMEOUT), 302, "GitHub's return to tformance")
    landing = urljoin(callback, back.headers["Location"])
    shown = _expect(session.get(landing, timeout=TIMEOUT), 200, "The team's GitHub page")
    if f"{account} is connected" not in shown.text:
        raise DemoError(f"The team's GitHub page does not say {account} is connected: {landing}")
    return InstallResult(installation_id=installation_id, page_url=landing)


def member_attempt_connect(
    *,
    base_url: str,
    github_url: str,
    client_id: str,
    team_slug: str,
    email: str,
    password: str,
    github_user: str,
    installation_id: int,
) -> str:
    """A plain member presses Connect, signs in to the App on GitHub and comes back to the callback with the
    organization's installation id (they see it in ``/user/installations``). Returns the refusal tformance shows."""
    session = requests.Session()
    log_in(session, base_url=base_url, email=email, password=password)
    connect = _expect(
        _post_form(session, f"{base_url}/a/{team_slug}/integrations/github/connect/"), 302, "Pressing Connect"
    )
    state = parse_qs(urlsplit(connect.headers["Location"]).query).get("state", [""])[0]
    callback = f"{base_url}/integrations/github/callback/?installation_id={installation_id}&setup_action=install"
    signed_in = session.post(
        f"{github_url}/login/oauth/authorize",
        params={"client_id": client_id},
        data={"user": github_user, "redirect_uri": callback, "state": state},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    back = _expect(signed_in, 302, f"Signing in to GitHub as {github_user}").headers["Location"]
    refused = _expect(session.get(back, allow_redirects=False, timeout=TIMEOUT), 403, "tformance's answer")
    found = re.search(r'role="alert">([^<]+)<', refused.text)
    return html.unescape(found.group(1)) if found else "refused"


def organization_create(*, github_url: str, login: str, name: str, admins: list[str], members: list[str]) -> None:
    """A second organization on the emulator's GitHub (its control API), owned by ``admins``."""
    response = requests.post(
        f"{github_url}/_emulator/accounts",
        json={"login": login, "type": "Organization", "name": name, "admins": admins, "members": members},
        timeout=TIMEOUT,
    )
    _expect(response, 201, f"Creating the organization {login}")


def repository_transfer(*, github_url: str, repository: str, new_owner: str, sender: str) -> str:
    """Transfer a repository on the emulator's GitHub, which sends tformance what GitHub sends (``repository
    .transferred``, ``installation_repositories``); returns the new full name. Each delivery is processed before
    the emulator's call returns (the embedded default processes a delivery before answering it)."""
    response = requests.post(
        f"{github_url}/_emulator/transfers",
        json={"repository": repository, "new_owner": new_owner, "sender": sender},
        timeout=TIMEOUT,
    )
    return str(_expect(response, 201, f"Transferring {repository} to {new_owner}").json()["full_name"])
