"""How an emulator instance is set up: the App's credentials, where webhooks go, what data to seed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything ``python -m github_app.emulator`` accepts; tests build one directly.

    ``port=0`` picks a free port (read it back from ``EmulatorServer.url``). Without a private key
    a fresh one is generated in memory; ``generate_key`` writes one to ``private_key_path`` first.
    """

    host: str = "127.0.0.1"
    port: int = 0
    app_id: int = 1
    client_id: str = "Iv1.emulator"
    client_secret: str = "emulator-client-secret"
    webhook_secret: str = "emulator-webhook-secret"
    private_key_pem: str | None = None
    private_key_path: Path | None = None
    generate_key: bool = False
    slug: str = "tformance-dev"
    app_name: str = "tformance (dev)"
    owner: str = "octo-admin"
    webhook_url: str = ""
    setup_url: str = ""
    seed: int = 42
    scenario: str | None = None
    live_interval: float = 0.0
    rest_limit: int = 5000
    graphql_limit: int = 5000
    # GitHub Enterprise Server's layout: REST under /api/v3, GraphQL at /api/graphql, the install page at
    # /github-apps/<slug>/installations/new (github.com: REST and GraphQL at the root, /apps/<slug>/...).
    ghes: bool = False
    # The GHES version's documented rules: up to 3.13 the App JWT's `iss` must be the App id; 3.14 added the client id.
    ghes_version: str = "3.17"
    # A private App can be installed only on the account that owns it (GitHub's rule); the default App is public.
    public: bool = True
    # tformance's manifest turns "request user authorization (OAuth) during installation" on; "Redirect on update"
    # is then unavailable on GitHub, so an update of an existing installation never returns to tformance.
    request_oauth_on_install: bool = True
    setup_on_update: bool = False
