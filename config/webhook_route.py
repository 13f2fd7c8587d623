"""GitHub's webhook served beside Django's middleware stack, not through it.

``POST /webhooks/github/`` is a machine talking to a machine: it carries no session, no cookie, no CSRF token, and
its answer is a short JSON document nobody renders. Yet every middleware of the browser pages ran for it (sessions,
CSRF, authentication, messages, CSP, htmx, axes, WhiteNoise's static lookup, …), and its URL was found by walking
every pattern of the URLconf before it, on the endpoint that takes every event of every installation.

``with_webhook_route`` puts a second Django handler in front of the one that serves everything else, with an empty
middleware chain and the webhook's URL resolved once; requests whose path is the webhook's go to it. The view is
the one the URLconf names (it is ``csrf_exempt`` and reads nothing a middleware sets), Django's request signals
still run (database connections are closed or reused as on every request), and an error still answers through
``handler500``. ``benchmarks/bench_webhook_cpu.py`` counts what a delivery costs the request thread both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.urls import ResolverMatch, resolve, reverse

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OneViewHandler(WSGIHandler):
    """Django's WSGI handler for one path: no middleware and no walk of the URLconf, then the view and the error
    handlers as for any request.

    ``load_middleware`` is where Django builds the chain from ``settings.MIDDLEWARE``; this builds it from an empty
    list, as Django itself would (the view/template-response/exception hook lists empty, the view wrapped so an
    exception becomes the error page). ``resolve_request`` answers with the match the URLconf gave for the path
    once, at start-up: walking the URL patterns to it would be repeated for every delivery, for the same answer
    (``benchmarks/bench_webhook_cpu.py`` counts the difference).
    """

    def __init__(self, match: ResolverMatch) -> None:
        self._match = match
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]  # Django's, not in the stubs

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        request.resolver_match = self._match
        return self._match


def webhook_paths() -> frozenset[str]:
    """The webhook's path with its final slash, as GitHub is told it (``/webhooks/github/``), and without, which the
    URLconf accepts too; relative to the script root, as WSGI's ``PATH_INFO`` is."""
    path = reverse("integrations:github_webhook").rstrip("/")
    return frozenset({path, f"{path}/"})


def with_webhook_route(application: WSGIApp) -> WSGIApp:
    """``application`` for every path but the webhook's, which a ``OneViewHandler`` serves."""
    paths = webhook_paths()
    webhook = OneViewHandler(resolve(min(paths)))  # both spellings resolve to the one view

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = webhook if environ.get("PATH_INFO") in paths else application
        return handler(environ, start_response)

    return route
