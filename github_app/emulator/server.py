"""The HTTP server: one origin for GitHub's API, its web pages and the emulator's control API.

``EmulatorServer(config).start()`` runs it in a background thread (tests, benchmarks);
``python -m github_app.emulator`` runs it in the foreground (demo, browser tests).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import auth
from .config import EmulatorConfig
from .crypto import generate_private_key_pem, public_key_pem, write_private_key
from .httpkit import HttpError, Request, Response, Router, error_response, html_response, json_response
from .models import App, Delivery
from .state import State
from .webhooks import deliver as _deliver

log = logging.getLogger("github_app.emulator")
API_KINDS = ("app", "installation", "user", "public")
GHES_REST_PREFIX, GHES_GRAPHQL = "/api/v3", "/api/graphql"
ON_WEB_HOST = ("/login/oauth/",)  # the OAuth code exchange lives on the web host on github.com and on GHES
SECONDARY_LIMIT = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
DOCS_SECONDARY = (
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
FAULT_MESSAGES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 422: "Validation Failed"}
UNICORN = (
    "<!DOCTYPE html><html><head><title>Unicorn! &middot; GitHub</title></head><body>"
    "<p>No server is currently available to service your request.</p></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        response = self.server.emulator.dispatch(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: EmulatorServer


class EmulatorServer:
    """A running GitHub emulator. ``state`` is the live world; control it over HTTP or directly."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        from .routes import register_all

        self.config = config or EmulatorConfig()
        self.state = State(rest_limit=self.config.rest_limit, graphql_limit=self.config.graphql_limit)
        self.state.seed = self.config.seed
        self.state.api_prefix = GHES_REST_PREFIX if self.config.ghes else ""
        self.state.client_id_issuer = not self.config.ghes or _version(self.config.ghes_version) >= (3, 14)
        self.router = Router()
        register_all(self.router, self)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._create_default_app()

    def _create_default_app(self) -> None:
        cfg = self.config
        pem = cfg.private_key_pem
        if pem is None and cfg.private_key_path is not None:
            if cfg.private_key_path.exists():
                pem = cfg.private_key_path.read_text()
            elif cfg.generate_key:
                pem = write_private_key(cfg.private_key_path)
            else:
                raise FileNotFoundError(f"{cfg.private_key_path} does not exist (pass --generate-key to create it)")
        pem = pem or generate_private_key_pem()
        self.state.add_account(cfg.owner)
        self.state.add_app(
            App(
                id=cfg.app_id,
                slug=cfg.slug,
                name=cfg.app_name,
                client_id=cfg.client_id,
                client_secret=cfg.client_secret,
                webhook_secret=cfg.webhook_secret,
                private_key_pem=pem,
                public_key_pem=public_key_pem(pem),
                owner_login=cfg.owner,
                webhook_url=cfg.webhook_url,
                setup_url=cfg.setup_url,
                public=cfg.public,
                request_oauth_on_install=cfg.request_oauth_on_install,
                setup_on_update=cfg.setup_on_update,
            )
        )

    @property
    def app(self) -> App:
        app = self.state.app()
        if app is None:
            raise RuntimeError("the emulator's state is inconsistent")
        return app

    @property
    def url(self) -> str:
        return self.state.base_url

    def start(self) -> EmulatorServer:
        """Bind and serve in a daemon thread; seeds the configured scenario first."""
        self._httpd = _Server((self.config.host, self.config.port), _Handler)
        self._httpd.emulator = self
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        self.state.base_url = f"http://{host}:{port}"
        if self.config.scenario:
            from .scenario import load_scenario

            load_scenario(self.state, self.config.scenario, self.config.seed)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="github-emulator", daemon=True
        )
        self._thread.start()
        if self.config.live_interval > 0:
            from .activity import run_live

            threading.Thread(target=run_live, args=(self, self._stop), name="emulator-live", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> EmulatorServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def deliver(self, event: str, payload: dict[str, Any], app: App | None = None) -> Delivery | None:
        """Sign and send an arbitrary payload to the App's webhook URL (load tests use this)."""
        return _deliver(self.state, app or self.app, event, payload)

    # dispatch -----------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        control = request.path.startswith("/_emulator/")
        if not control:
            self._ghes_layout(request)
            self.state.count_request(request.path)
            fault = self.state.take_fault(request.path)
            if fault is not None:
                return self._fault_response(fault)
        matched = self.router.match(request.method, request.path)
        if matched is not None and not control and self._wrong_host(matched[0].kind, request):
            matched = None
        if matched is None:
            headers = {} if control else self._rate_headers("core", "anonymous", consume=False)
            return error_response(404, "Not Found", headers)
        route, request.params = matched
        extra: dict[str, str] = {}
        charged: str | None = None
        try:
            if route.kind == "app":
                request.app = auth.authenticate_app(self.state, request)
                charged = f"app:{request.app.id}"
                extra = self._rate_headers("core", charged, consume=True)
            elif route.kind == "installation":
                request.token, request.installation = auth.authenticate_installation(self.state, request)
                request.app = self.state.app(request.token.app_id)
                if request.path not in ("/graphql", "/rate_limit"):
                    charged = f"installation:{request.installation.id}"
                    extra = self._installation_rest_budget(request.installation.id)
            elif route.kind == "user":
                request.token = auth.authenticate_user(self.state, request)
                request.app = self.state.app(request.token.app_id)
                charged = f"user:{request.token.user_login}"
                extra = self._rate_headers("core", charged, consume=True)
            response = route.handler(request)
            if request.method == "GET" and response.status == 200 and charged is not None:
                response, extra = self._conditional(request, response, charged, extra)
        except HttpError as exc:
            response = error_response(exc.status, exc.message, exc.headers)
        except Exception:  # a bug in the emulator must show as a 500, not kill the connection
            log.exception("emulator handler failed: %s %s", request.method, request.path)
            response = error_response(500, "Emulator error")
        if route.kind in API_KINDS and not any(k.lower() == "x-ratelimit-limit" for k in response.headers):
            response.headers.update(extra or self._rate_headers("core", "anonymous", consume=False))
        return response

    def _conditional(
        self, request: Request, response: Response, charged: str, extra: dict[str, str]
    ) -> tuple[Response, dict[str, str]]:
        """GitHub's conditional requests ("Best practices for using the REST API"): every authenticated 200 GET
        carries an ``ETag``; a request whose ``If-None-Match`` names the current one is answered 304 with no body,
        and that answer does not count against the primary rate limit (the point just taken is given back)."""
        digest = hashlib.sha256(response.body + response.headers.get("Link", "").encode()).hexdigest()[:40]
        etag = f'W/"{digest}"'
        response.headers["ETag"] = etag
        wanted = {tag.strip() for tag in request.header("if-none-match").split(",") if tag.strip()}
        if etag not in wanted and etag.removeprefix("W/") not in wanted:
            return response, extra
        budget = self.state.budget("core", charged)
        with self.state.lock:
            budget.used = max(0, budget.used - 1)
            refunded = rate_headers(budget, "core")
        return Response(304, b"", {"ETag": etag}), refunded

    def _ghes_layout(self, request: Request) -> None:
        """On GHES, API paths arrive under ``/api/v3`` (GraphQL at ``/api/graphql``): strip that and remember it."""
        request.api = not self.config.ghes
        if not self.config.ghes:
            return
        if request.path == GHES_GRAPHQL:
            request.path, request.api = "/graphql", True
        elif request.path.startswith(GHES_REST_PREFIX + "/"):
            request.path, request.api = request.path[len(GHES_REST_PREFIX) :], True

    def _wrong_host(self, kind: str, request: Request) -> bool:
        """An API route asked without GHES's ``/api/v3`` prefix (or a web page with it) does not exist there."""
        if not self.config.ghes:
            return False
        wants_api = kind in API_KINDS and not request.path.startswith(ON_WEB_HOST)
        return wants_api != request.api

    def _rate_headers(self, resource: str, subject: str, *, consume: bool) -> dict[str, str]:
        budget = self.state.budget(resource, subject)
        with self.state.lock:
            if consume and budget.remaining > 0:
                budget.used += 1
            return rate_headers(budget, resource)

    def _installation_rest_budget(self, installation_id: int) -> dict[str, str]:
        """Primary REST limit per installation: exhausted means 403 with remaining 0 and the reset time."""
        budget = self.state.budget("core", f"installation:{installation_id}")
        with self.state.lock:
            if budget.remaining <= 0:
                raise HttpError(
                    403, f"API rate limit exceeded for installation ID {installation_id}.", rate_headers(budget, "core")
                )
            budget.used += 1
            return rate_headers(budget, "core")

    def _fault_response(self, fault: Any) -> Response:
        """The failure shapes GitHub documents: a secondary limit (403, or 200 with a GraphQL error) with
        ``Retry-After``; a 200 carrying an untyped GraphQL error; an HTML 5xx page from the load balancer;
        a JSON error (400/422 on a redelivery attempt, 5xx …)."""
        retry = {"Retry-After": str(fault.retry_after)}
        if fault.secondary and fault.status == 200:
            return json_response({"errors": [{"message": fault.message or SECONDARY_LIMIT}]}, 200, retry)
        if fault.secondary:
            body = {"message": fault.message or SECONDARY_LIMIT, "documentation_url": DOCS_SECONDARY}
            return json_response(body, fault.status, retry)
        if fault.status == 200:
            return json_response({"errors": [{"message": fault.message or "Something went wrong."}]})
        if fault.html:
            return html_response(UNICORN, fault.status)
        default = "Server Error" if fault.status >= 500 else FAULT_MESSAGES.get(fault.status, "Injected fault")
        return error_response(fault.status, fault.message or default)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def rate_headers(budget: Any, resource: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(budget.limit),
        "X-RateLimit-Remaining": str(budget.remaining),
        "X-RateLimit-Used": str(budget.used),
        "X-RateLimit-Reset": str(int(budget.reset_at.timestamp())),
        "X-RateLimit-Resource": resource,
    }
