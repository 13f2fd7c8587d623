"""GitHub's authentication rules for the three kinds of callers an App has.

App JWTs (RS256, signed with the App's private key) for ``/app/...``; installation tokens
(``ghs_``) for repository data; user-to-server tokens (``ghu_``) for ``/user/installations``.
Each failure is a 401 with GitHub's JSON error body, so the client's error mapping is exercised.
"""

from __future__ import annotations

import time

import jwt

from .httpkit import HttpError, Request
from .models import App, Installation, Token
from .state import State, utcnow

MAX_JWT_LIFETIME = 600
CLOCK_DRIFT = 60


def _bearer(request: Request, schemes: tuple[str, ...]) -> str:
    header = request.header("authorization")
    scheme, _, value = header.partition(" ")
    if scheme.lower() not in schemes or not value.strip():
        raise HttpError(401, "Requires authentication")
    return value.strip()


def authenticate_app(state: State, request: Request) -> App:
    """Verify an app JWT the way GitHub documents it: RS256, ``iss`` = app id or client id,
    ``iat`` at most 60 s in the future, ``exp`` in the future and at most 10 minutes after ``iat``."""
    raw = _bearer(request, ("bearer",))
    try:
        claims = jwt.decode(raw, options={"verify_signature": False})
        header = jwt.get_unverified_header(raw)
    except jwt.PyJWTError as exc:
        raise HttpError(401, "A JSON web token could not be decoded") from exc
    app = state.app_by_issuer(str(claims.get("iss", "")))
    if app is None:
        raise HttpError(401, "'Issuer' claim ('iss') must be an Integer or a Client ID")
    if header.get("alg") != "RS256":
        raise HttpError(401, "A JSON web token could not be decoded")
    try:
        claims = jwt.decode(
            raw, app.public_key_pem, algorithms=["RS256"], options={"verify_iat": False, "require": ["iat", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise HttpError(
            401,
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the "
            "assertion expires",
        ) from exc
    except jwt.PyJWTError as exc:
        raise HttpError(401, "A JSON web token could not be decoded") from exc
    now = time.time()
    iat, exp = claims.get("iat"), claims["exp"]  # "require" above: PyJWT checked exp is there and numeric
    if not isinstance(iat, int | float) or iat > now + CLOCK_DRIFT:
        raise HttpError(
            401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        )
    if exp - iat > MAX_JWT_LIFETIME:
        raise HttpError(401, "'Expiration time' claim ('exp') is too far in the future")
    return app


def _token(state: State, request: Request, kind: str) -> Token:
    value = _bearer(request, ("token", "bearer"))
    with state.lock:
        token = state.tokens.get(value)
    if token is None or token.kind != kind or token.expires_at <= utcnow():
        raise HttpError(401, "Bad credentials")
    return token


def authenticate_installation(state: State, request: Request) -> tuple[Token, Installation]:
    """An installation token is only good while its installation exists and is not suspended."""
    token = _token(state, request, "installation")
    with state.lock:
        inst = state.installations.get(token.installation_id or 0)
    if inst is None:
        raise HttpError(401, "Bad credentials")
    if inst.suspended_at is not None:
        raise HttpError(403, "This installation has been suspended")
    return token, inst


def authenticate_user(state: State, request: Request) -> Token:
    return _token(state, request, "user")
