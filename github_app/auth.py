"""How a request proves who it is. The HTTP client asks an `Auth` for a header value per request.

`refresh()` lets the client recover once from a 401: an installation token can be revoked or
expire early (clock skew), so it is dropped, a fresh one minted and the request retried once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from github_app.app_jwt import AppJWT
    from github_app.tokens import InstallationTokenProvider


class Auth(Protocol):
    def authorization(self) -> str:
        """The full `Authorization` header value."""
        ...

    def refresh(self) -> bool:
        """Drop the held credential after a 401; True if retrying with a new one may succeed."""
        ...


class JWTAuth:
    """`Authorization: Bearer <app JWT>` for the `/app/...` endpoints."""

    def __init__(self, app_jwt: AppJWT) -> None:
        self._jwt = app_jwt

    def authorization(self) -> str:
        return f"Bearer {self._jwt.token()}"

    def refresh(self) -> bool:
        self._jwt.reset()
        return False


class InstallationAuth:
    """`Authorization: token <installation token>`, minted and cached by the provider."""

    def __init__(
        self, tokens: InstallationTokenProvider, installation_id: int, repository_ids: tuple[int, ...] | None = None
    ) -> None:
        self._tokens = tokens
        self._installation_id = installation_id
        self._repository_ids = repository_ids

    def __repr__(self) -> str:
        return f"InstallationAuth(installation_id={self._installation_id}, repository_ids={self._repository_ids})"

    def authorization(self) -> str:
        return f"token {self._tokens.token(self._installation_id, self._repository_ids)}"

    def refresh(self) -> bool:
        self._tokens.invalidate(self._installation_id, self._repository_ids)
        return True


class BearerAuth:
    """A fixed bearer token, e.g. a user's OAuth token for `GET /user/installations`."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"

    def authorization(self) -> str:
        return f"Bearer {self._token}"

    def refresh(self) -> bool:
        return False
