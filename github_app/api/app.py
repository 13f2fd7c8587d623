"""Calls made as the App itself, authenticated with the App JWT (`/app/...` endpoints)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from github_app.app_jwt import AppJWT
from github_app.auth import JWTAuth
from github_app.client import GitHubClient, RateLimit, parse_json
from github_app.credentials import AppCredentials
from github_app.errors import (
    Forbidden,
    InstallationNotFound,
    InstallationSuspended,
    NotFound,
    UnexpectedResponse,
)
from github_app.pagination import next_cursor
from github_app.retry import RetryPolicy, SecondaryLimitStrikes


def parse_expires_at(value: Any) -> float:
    """`expires_at` of an installation token, e.g. "2016-07-11T22:14:10Z", as epoch seconds."""
    if not isinstance(value, str):
        raise UnexpectedResponse("installation token answer has no expires_at string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise UnexpectedResponse("installation token answer has an unreadable expires_at") from None


class AppAPI:
    """The App's own endpoints: its metadata, installations, webhook deliveries, token minting."""

    def __init__(
        self,
        credentials: AppCredentials,
        session: requests.Session,
        clock: Callable[[], float] = time.time,
        *,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
        strikes: SecondaryLimitStrikes | None = None,
    ) -> None:
        self.jwt = AppJWT(credentials.jwt_issuer, credentials.private_key, clock)
        self.client = GitHubClient(
            credentials.api_url,
            session,
            auth=JWTAuth(self.jwt),
            graphql_url=credentials.graphql_url,
            clock=clock,
            sleep=sleep,
            retry=retry,
            strikes=strikes,
        )

    @property
    def rate_limit(self) -> RateLimit | None:
        """The budget GitHub reported on the latest response (None before the first call)."""
        return self.client.rate_limit

    def get_app(self) -> dict[str, Any]:
        """`GET /app`: the App's id, slug, owner, permissions and events."""
        return self.client.get_object("/app")

    def list_installations(self) -> Iterator[dict[str, Any]]:
        """`GET /app/installations`, every page (the body is a bare array of installation objects)."""
        return self.client.paginate("/app/installations")

    def get_installation(self, installation_id: int) -> dict[str, Any]:
        """`GET /app/installations/{id}`; `NotFound` once the App was uninstalled there."""
        return self.client.get_object(f"/app/installations/{int(installation_id)}")

    def list_hook_deliveries(
        self, *, per_page: int = 100, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of `GET /app/hook/deliveries` (newest first) and the cursor of the next page, or None.

        Items look like `{"id", "guid", "delivered_at", "redelivery", "status_code", "event", "action",
        "installation_id", ...}`; the next cursor is the `cursor` parameter of the Link `rel="next"` URL.
        """
        params: dict[str, Any] = {"per_page": per_page}
        if cursor is not None:
            params["cursor"] = cursor
        response = self.client.send("GET", "/app/hook/deliveries", params=params)
        body = parse_json(response, "GET /app/hook/deliveries") or []
        if not isinstance(body, list):
            raise UnexpectedResponse("GET /app/hook/deliveries did not return a list")
        return body, next_cursor(response.headers.get("Link"))

    def redeliver(self, delivery_id: int) -> None:
        """`POST /app/hook/deliveries/{id}/attempts` (202): GitHub sends the delivery again.

        GitHub never retries a failed delivery by itself; this is how lost deliveries come back.
        """
        self.client.send("POST", f"/app/hook/deliveries/{int(delivery_id)}/attempts")

    def create_installation_token(
        self, installation_id: int, repository_ids: Sequence[int] | None = None
    ) -> tuple[str, float]:
        """`POST /app/installations/{id}/access_tokens` (201): `(token, expires_at epoch seconds)`.

        `repository_ids` scopes the token to those repositories (body `{"repository_ids": [...]}`), so a token
        handed to one repository's import cannot read the installation's others (GitHub answers 422 when one of
        them is not accessible to the installation).

        404 → `InstallationNotFound` (uninstalled); 403 "This installation has been suspended" →
        `InstallationSuspended`. Tokens last one hour and may be several hundred characters long.
        """
        path = f"/app/installations/{quote(str(int(installation_id)))}/access_tokens"
        try:
            body = self.client.post(path, {"repository_ids": list(repository_ids)} if repository_ids else None)
        except NotFound as exc:
            raise InstallationNotFound(str(exc), status=exc.status) from None
        except Forbidden as exc:
            if "suspended" in str(exc).lower():
                raise InstallationSuspended(str(exc), status=exc.status) from None
            raise
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise UnexpectedResponse(f"{path} answered without a token")
        return token, parse_expires_at(body.get("expires_at"))
