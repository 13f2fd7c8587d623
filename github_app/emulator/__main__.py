"""Command line: ``python -m github_app.emulator --port 8765 ...`` (see ``--help`` and README.md)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from pathlib import Path

from .config import EmulatorConfig
from .scenario import SCENARIOS
from .server import EmulatorServer

EPILOG = """\
tformance settings against the emulator (API and web share one origin):
  GITHUB_API_URL=GITHUB_WEB_URL=http://127.0.0.1:<port>  GITHUB_APP_ID=<app-id>
  GITHUB_APP_CLIENT_ID / _CLIENT_SECRET / _WEBHOOK_SECRET / _SLUG / _PRIVATE_KEY_PATH = the values given here

Control API (JSON, no auth):
  GET  /_emulator/state                         summary of apps, accounts, repositories, installations
  POST /_emulator/scenario      {"name": "demo", "seed": 42}
  POST /_emulator/accounts      {"login": "acme", "type": "Organization", "members": ["alice"]}
  POST /_emulator/repositories  {"owner": "acme", "name": "x", "pull_requests": 10000, "reviews_per_pr": 3}
  POST /_emulator/pulls         {"repository": "acme/x", "reviews": 150}      one PR now, N reviews
  POST /_emulator/installations {"account": "acme", "repositories": "all" | ["acme/api"]}  sends installation.created
  POST /_emulator/installations/<id>/suspend|unsuspend|delete|accept_permissions   sends the installation event
  POST /_emulator/app           {"permissions": {"deployments": "read"}, "events": ["deployment"]}  the App asks
  POST /_emulator/deployments   {"repository": "acme/api", "environment": "production", "statuses": ["success"]}
  POST /_emulator/deployments/<id>/statuses  {"repository": "acme/api", "state": "failure"}
  POST /_emulator/workflow-runs {"repository": "acme/api", "environment": "production", "conclusion": "success"}
  POST /_emulator/workflow-runs/<id>/rerun|complete  {"repository": "acme/api", "conclusion": "success"}
  POST /_emulator/commits       {"repository": "acme/api", "branch": "main", "messages": ["Fix"]}
  POST /_emulator/transfers     {"repository": "acme/api", "new_owner": "beta"}  repository.transferred and
                                installation_repositories removed/added, as GitHub sends them
  POST /_emulator/activity      {"repository": "acme/api", "count": 5} or {"actions": ["open", "approve", "merge"]}
  POST /_emulator/webhook-url   {"url": "http://127.0.0.1:8000/webhooks/github/"}
  POST /_emulator/faults        {"status": 502, "count": 3, "path_prefix": "/graphql"} | {"secondary": true,
                                "retry_after": 30} | {"clear": true}
  POST /_emulator/rate-limit    {"rest": 5000, "graphql": 5000}              per installation, new window
  POST /_emulator/tokens        {"expire": true}                              expire every issued token
  POST /_emulator/accounts/{org}/leave  {"login": "dev-lead"}                a member leaves the organization
  POST /_emulator/authorizations/revoke {"login": "dev-lead"}               revoke a user's authorization (webhook)
  POST /_emulator/send          {"event": "pull_request", "payload": {...}}  sign and deliver a raw payload
  GET  /_emulator/requests      API requests served, by path (DELETE resets)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m github_app.emulator",
        description="Local GitHub emulator: REST + GraphQL API, App install/manifest pages, signed webhooks.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; the control API has no auth)")
    add("--port", type=int, default=8765, help="port (0 = any free port)")
    add("--app-id", type=int, default=1, help="the App's numeric id (JWT iss)")
    add("--client-id", default="Iv1.emulator", help="the App's client id (also accepted as JWT iss)")
    add("--client-secret", default="emulator-client-secret", help="OAuth client secret")
    add("--webhook-secret", default="emulator-webhook-secret", help="secret for X-Hub-Signature-256")
    add("--private-key-path", type=Path, help="the App's private key (PEM); JWTs are verified with its public half")
    add("--generate-key", action="store_true", help="create an RSA 2048 key at --private-key-path (0600) if missing")
    add("--slug", default="tformance-dev", help="the App's slug (install page: /apps/<slug>/installations/new)")
    add("--app-name", default="tformance (dev)", help="the App's display name")
    add("--webhook-url", default="", help="where deliveries are POSTed, e.g. http://127.0.0.1:8000/webhooks/github/")
    add("--setup-url", default="", help="install callback (default: <webhook origin>/integrations/github/callback/)")
    add("--seed", type=int, default=42, help="seed for generated histories and activity")
    add("--scenario", choices=SCENARIOS, help="data to load at start (demo: org acme, 3 repos, octo-admin)")
    add("--live-interval", type=float, default=0.0, help="seconds between live PR actions (0 = off)")
    add("--rest-limit", type=int, default=5000, help="REST requests per hour per installation")
    add("--graphql-limit", type=int, default=5000, help="GraphQL points per hour per installation")
    add("--ghes", action="store_true", help="GitHub Enterprise Server layout: REST under /api/v3, /api/graphql")
    add("--ghes-version", default="3.17", help="GHES version whose documented rules apply (JWT iss before 3.14)")
    add("--private", action="store_true", help="the App is private: installable only on its owner's account")
    add("--verbose", action="store_true", help="log every request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    config = EmulatorConfig(
        host=args.host,
        port=args.port,
        app_id=args.app_id,
        client_id=args.client_id,
        client_secret=args.client_secret,
        webhook_secret=args.webhook_secret,
        private_key_path=args.private_key_path,
        generate_key=args.generate_key,
        slug=args.slug,
        app_name=args.app_name,
        webhook_url=args.webhook_url,
        setup_url=args.setup_url,
        seed=args.seed,
        scenario=args.scenario,
        live_interval=args.live_interval,
        rest_limit=args.rest_limit,
        graphql_limit=args.graphql_limit,
        ghes=args.ghes,
        ghes_version=args.ghes_version,
        public=not args.private,
    )
    try:
        server = EmulatorServer(config).start()
    except (FileNotFoundError, OSError) as exc:
        print(f"github emulator: {exc}", file=sys.stderr)
        return 2
    print(f"GitHub emulator on {server.url} (app {server.app.id}, slug {server.app.slug})", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
