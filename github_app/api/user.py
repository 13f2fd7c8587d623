"""Calls made as a GitHub user (OAuth), used to prove a user may link an installation to a team.

The `installation_id` in the install callback URL is attacker-controlled. Who the user is comes from
`GET /user` with the token the callback `code` was exchanged for; whether they own an organization comes from
`GET /user/memberships/orgs/{org}` with that same token. `GET /user/installations` only says what a user can
*access* (any member who can read one repository sees the organization's installation there), never ownership.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from github_app.auth import BearerAuth
from github_app.client import GitHubClient
from github_app.credentials import AppCredentials
from github_app.errors import NotFound, OAuthError, UnexpectedResponse
from github_app.retry import ONCE

# GitHub's "Permissions required for GitHub Apps": GET /user/memberships/orgs/{org} works with user access tokens
# only, and needs the App's organization permission "Members" (read).
ORG_MEMBERSHIP_PERMISSION = ("members", "read")


def exchange_oauth_code(
    credentials: AppCredentials, session: requests.Session, code: str, redirect_uri: str | None = None
) -> str:
    """`POST {web_url}/login/oauth/access_token`: trade the callback `code` for a user access token.

    GitHub answers 200 even for a bad code, with `{"error": "bad_verification_code",
    "error_description": "..."}`; that raises `OAuthError` carrying the description.
    """
    client = GitHubClient(credentials.web_url, session, retry=ONCE)  # the code is single-use: never retried
    form = {"client_id": credentials.client_id, "client_secret": credentials.client_secret, "code": code}
    if redirect_uri is not None:
        form["redirect_uri"] = redirect_uri
    body = client.post("/login/oauth/access_token", None, data=form, headers={"Accept": "application/json"})
    if not isinstance(body, dict):
        raise UnexpectedResponse("OAuth token exchange answered with a body that is not an object")
    if body.get("error"):
        description = body.get("error_description") or body["error"]
        raise OAuthError(f"GitHub refused the OAuth code: {description}", error=str(body["error"]))
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise UnexpectedResponse("OAuth token exchange answered without an access_token")
    return token


class UserAPI:
    """REST as one user, with their OAuth token (`Authorization: Bearer <user token>`)."""

    def __init__(self, credentials: AppCredentials, session: requests.Session, user_token: str) -> None:
        self.client = GitHubClient(
            credentials.api_url, session, auth=BearerAuth(user_token), graphql_url=credentials.graphql_url
        )

    def __repr__(self) -> str:
        return "UserAPI()"

    def get_user(self) -> dict[str, Any]:
        """`GET /user`: the signed-in user's id and login."""
        return self.client.get_object("/user")

    def list_installations(self) -> list[dict[str, Any]]:
        """`GET /user/installations` (all pages): the App's installations this user can *access* — their own account's
        and every organization's they belong to with read access to one of its repositories. Items are installation
        objects (`id`, `account.id`, `account.login`, `account.type`, ...). Access, not ownership: each one is checked
        by the caller before anything is linked."""
        return list(self.client.paginate("/user/installations", key="installations"))

    def get_org_membership(self, org: str) -> dict[str, Any] | None:
        """`GET /user/memberships/orgs/{org}`: the user's own membership of an organization, or None (404) when
        they are not a member.

        Body: `{"state": "active" | "pending", "role": "admin" | "member" | "billing_manager", "organization":
        {"login", "id", ...}, "user": {"login", "id", ...}, "url", "organization_url"}`. `admin` is an
        organization owner; `pending` is an invitation not yet accepted. Needs `ORG_MEMBERSHIP_PERMISSION`.
        """
        try:
            return self.client.get_object(f"/user/memberships/orgs/{quote(org, safe='')}")
        except NotFound:
            return None
