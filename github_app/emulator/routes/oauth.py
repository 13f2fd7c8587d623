"""User-to-server OAuth: single-use codes exchanged for ``ghu_`` tokens, ``/user``, ``/user/installations`` and
``/user/memberships/orgs/{org}``.

tformance never trusts an ``installation_id`` from a redirect: it exchanges the code, asks ``GET /user`` who signed
in and ``GET /user/memberships/orgs/{org}`` whether they own the organization. ``/user/installations`` shows
installations on the user's own account and on every org they belong to, plain members included, as GitHub does.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..httpkit import (
    HttpError,
    Request,
    Response,
    Router,
    html_response,
    json_response,
    link_header,
    redirect,
    with_query,
)
from ..shapes import installation_json, membership_json, user_json
from ..state import REFRESH_TOKEN_TTL, USER_TOKEN_TTL

if TYPE_CHECKING:
    from ..server import EmulatorServer


def register(router: Router, emulator: EmulatorServer) -> None:
    state = emulator.state

    def access_token(request: Request) -> Response:
        """Errors are 200s with an ``error`` field, exactly as GitHub's OAuth endpoint answers."""
        fields = {**request.query, **request.fields()}
        app = state.app_by_client_id(fields.get("client_id", ""))
        if app is None or fields.get("client_secret") != app.client_secret:
            return json_response(
                {
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                }
            )
        if fields.get("grant_type") == "refresh_token":
            login = state.redeem_refresh_token(fields.get("refresh_token", ""), app.id)
            if login is None:
                return json_response(
                    {
                        "error": "bad_refresh_token",
                        "error_description": "The refresh token passed is incorrect or expired.",
                    }
                )
        else:
            code = state.redeem_code(fields.get("code", ""), "oauth")
            if code is None or code.app_id != app.id or code.login is None:
                return json_response(
                    {"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}
                )
            login = code.login
        token = state.mint_user_token(app.id, login)
        return json_response(
            {
                "access_token": token.value,
                "expires_in": int(USER_TOKEN_TTL.total_seconds()),
                "refresh_token": state.mint_refresh_token(app.id, login),
                "refresh_token_expires_in": int(REFRESH_TOKEN_TTL.total_seconds()),
                "token_type": "bearer",
                "scope": "",
            }
        )

    def user_installations(request: Request) -> Response:
        if not (request.token is not None and request.token.user_login is not None):
            raise HttpError(401, "Requires authentication")
        per_page, page = request.int_query("per_page", 30, 100), request.int_query("page", 1)
        with state.lock:
            logins = {a.login.lower() for a in state.member_accounts(request.token.user_login)}
            visible = sorted(
                (
                    i
                    for i in state.installations.values()
                    if i.app_id == request.token.app_id and i.account_login.lower() in logins
                ),
                key=lambda i: i.id,
            )
            body = {
                "total_count": len(visible),
                "installations": [
                    installation_json(state, i) for i in visible[(page - 1) * per_page : page * per_page]
                ],
            }
        link = link_header(f"{state.api_url}/user/installations", request.query, page, per_page, len(visible))
        return json_response(body, headers={"Link": link} if link else None)

    def current_user(request: Request) -> Response:
        if request.token is None:
            raise HttpError(401, "Requires authentication")
        with state.lock:
            account = state.account(request.token.user_login)
            if account is None:
                raise HttpError(401, "Bad credentials")
            return json_response({**user_json(state, account), "name": account.name})

    def org_membership(request: Request) -> Response:
        """GitHub's "Get an organization membership for the authenticated user": 200 with the membership (``state``
        ``active``, ``role`` ``admin`` or ``member``) for a member, 404 for an unknown organization or a user who is
        not a member. With a user access token it needs the App's organization permission ``members`` (read);
        without it GitHub answers 403 "Resource not accessible by integration"."""
        if not (request.token is not None and request.token.user_login is not None):
            raise HttpError(401, "Requires authentication")
        with state.lock:
            app = state.app(request.token.app_id)
            if app is None or app.permissions.get("members") not in ("read", "write"):
                raise HttpError(403, "Resource not accessible by integration")
            org, user = state.account(request.params["org"]), state.account(request.token.user_login)
            role = org.role_of(user.login) if org is not None and org.is_org and user is not None else None
            if org is None or user is None or role is None:
                raise HttpError(404, "Not Found")
            return json_response(membership_json(state, org, user, role))

    def authorize(request: Request) -> Response:
        """Sign-in page for a user-to-server grant: pick the emulator user, then back to ``redirect_uri``."""
        app = state.app_by_client_id(request.query.get("client_id", ""))
        if app is None:
            raise HttpError(404, "Not Found")
        if request.method == "POST":
            fields = {**request.query, **request.fields()}
            login = fields.get("user", "")
            if state.account(login) is None:
                raise HttpError(422, f"Unknown user {login!r}")
            target = fields.get("redirect_uri") or app.setup_url or default_callback(app.webhook_url)
            code = state.issue_code("oauth", app.id, login)
            return redirect(with_query(target, code=code, state=fields.get("state") or None), 302)
        options = "".join(
            f'<option value="{escape(a.login)}"{" selected" if a.login == request.query.get("user") else ""}>'
            f"{escape(a.login)}</option>"
            for a in sorted(state.humans(), key=lambda a: a.login)
        )
        page = (
            f"<!doctype html><title>Authorize {escape(app.name)}</title><h1>Authorize {escape(app.name)}</h1>"
            f'<form method="post" id="authorize-form"><label for="user">Signed in as</label>'
            f'<select name="user" id="user">{options}</select>'
            f'<button type="submit" id="authorize">Authorize</button></form>'
        )
        return html_response(page)

    router.add("POST", "/login/oauth/access_token", access_token, "public")
    router.add("GET", "/user/installations", user_installations, "user")
    router.add("GET", "/user", current_user, "user")
    router.add("GET", "/user/memberships/orgs/{org}", org_membership, "user")
    router.add("GET", "/login/oauth/authorize", authorize, "web")
    router.add("POST", "/login/oauth/authorize", authorize, "web")


def default_callback(webhook_url: str) -> str:
    """tformance's install callback on the webhook's origin, when the App has no explicit setup URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(webhook_url or "http://127.0.0.1:8000/")
    return f"{parts.scheme}://{parts.netloc}/integrations/github/callback/"
