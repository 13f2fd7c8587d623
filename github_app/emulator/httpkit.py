"""Minimal request/response types and a regex router on top of ``http.server``.

Routes declare how they authenticate (``kind``) so the server applies GitHub's rules in one place
instead of every handler re-checking headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode

from .models import App, Installation, Token

DOCS = "https://docs.github.com/rest"
RouteKind = Literal["app", "installation", "user", "public", "web", "control"]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    app: App | None = None
    token: Token | None = None
    installation: Installation | None = None
    api: bool = True  # arrived on the API host/prefix (always, except web pages on the GHES layout)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        """Parsed JSON body, or ``{}`` for an empty one; malformed JSON raises ``HttpError(400)``."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, "Problems parsing JSON") from exc

    def form(self) -> dict[str, list[str]]:
        """Form fields of an ``application/x-www-form-urlencoded`` body (all values, for checkboxes)."""
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def fields(self) -> dict[str, str]:
        """Single-valued fields from a JSON or form body, whichever the client sent."""
        if "json" in self.header("content-type"):
            data = self.json()
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return {k: v[0] for k, v in self.form().items()}

    def id_param(self, name: str) -> int:
        """A numeric id of the path (``{number}``, ``{deployment_id}``); anything else names nothing: 404, as
        GitHub answers."""
        text = self.params[name]
        if not text.isdigit():
            raise HttpError(404, "Not Found")
        return int(text)

    def int_query(self, name: str, default: int, maximum: int | None = None) -> int:
        try:
            value = int(self.query.get(name, default))
        except ValueError:
            value = default
        value = max(1, value)
        return min(value, maximum) if maximum else value


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """Raised anywhere in a handler to answer with GitHub's JSON error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data).encode()
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"message": message, "documentation_url": DOCS, "status": str(status)}, status, headers)


def html_response(text: str, status: int = 200) -> Response:
    return Response(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect(location: str, status: int = 302) -> Response:
    return Response(status, b"", {"Location": location})


def with_query(url: str, **params: str | int | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{url}{'&' if '?' in url else '?'}{query}" if query else url


def link_header(base: str, query: dict[str, str], page: int, per_page: int, total: int) -> str | None:
    """GitHub's ``Link`` header for page-numbered listings: prev/next/first/last as applicable."""
    last = max(1, -(-total // per_page))
    links = []

    def url(p: int) -> str:
        params: dict[str, str | int | None] = {**query, "per_page": per_page, "page": p}
        return with_query(base, **params)

    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(min(page - 1, last))}>; rel="prev"']
    return ", ".join(links) or None


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    kind: RouteKind


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler, kind: RouteKind) -> None:
        """``path`` uses ``{name}`` placeholders that match one path segment."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "/?$"
        self.routes.append(Route(method, re.compile(regex), handler, kind))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        return None
