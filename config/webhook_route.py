"""GitHub's webhook served beside Django's middleware stack, not through it.

``POST /webhooks/github/`` is a machine talking to a machine: it carries no session, no cookie, no CSRF token, and
its answer is a short JSON document nobody renders. Yet every middleware of the browser pages ran for it (sessions,
CSRF, authentication, messages, CSP, htmx, axes, WhiteNoise's static lookup, …): 9% of the instructions a delivery
costs the web process (3.90 M per delivery through them, 3.56 M beside them, counted with callgrind by
``benchmarks/bench_webhook_cpu.py``), on the endpoint that takes every event of every installation.

``with_webhook_route`` puts a second Django handler, with an empty middleware chain, in front of the one that serves
everything else; requests whose path is the webhook's go to it. The view is the same view the URLconf names (it
is ``csrf_exempt`` and reads nothing a middleware sets), Django's request signals still run (database connections
are closed or reused as on every request), and an error still answers through ``handler500``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BareHandler(WSGIHandler):
    """Django's WSGI handler with no middleware: URL resolution, the view, the error handlers, nothing else.

    ``load_middleware`` is where Django builds the chain from ``settings.MIDDLEWARE``; this builds it from an empty
    list, as Django itself would (the view/template-response/exception hook lists empty, the view wrapped so an
    exception becomes the error page).
    """

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]  # Django's, not in the stubs


def webhook_paths() -> frozenset[str]:
    """The webhook's path with its final slash, as GitHub is told it (``/webhooks/github/``), and without, which the
    URLconf accepts too; relative to the script root, as WSGI's ``PATH_INFO`` is."""
    path = reverse("integrations:github_webhook").rstrip("/")
    return frozenset({path, f"{path}/"})


def with_webhook_route(application: WSGIApp) -> WSGIApp:
    """``application`` for every path but the webhook's, which a ``BareHandler`` serves."""
    webhook = BareHandler()
    paths = webhook_paths()

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = webhook if environ.get("PATH_INFO") in paths else application
        return handler(environ, start_response)

    return route
