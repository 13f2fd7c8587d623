"""Fixtures: a running emulator on an ephemeral port, app JWTs, and a tiny webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import requests

from .. import EmulatorConfig, EmulatorServer
from ..crypto import generate_private_key_pem

WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture(scope="session")
def private_key() -> str:
    """One RSA key for the session: generating 2048-bit keys per test would dominate the run time."""
    return generate_private_key_pem()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records webhook POSTs; answers with queued statuses first, then 200."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")

    def events(self, event: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.headers.get("x-github-event") == event]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/github/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_emulator(private_key: str) -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def make(**overrides: Any) -> EmulatorServer:
        options: dict[str, Any] = {"private_key_pem": private_key, "webhook_secret": WEBHOOK_SECRET, "port": 0}
        options.update(overrides)
        server = EmulatorServer(EmulatorConfig(**options)).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., EmulatorServer], receiver: Receiver) -> EmulatorServer:
    """The demo world with webhooks going to ``receiver``."""
    return make_emulator(scenario="demo", webhook_url=receiver.url)


def app_jwt(private_key: str, iss: str | int = "1", iat_offset: int = -60, lifetime: int = 600) -> str:
    now = int(time.time())
    claims = {"iat": now + iat_offset, "exp": now + iat_offset + lifetime, "iss": iss}
    # PyJWS directly: GitHub accepts an integer ``iss``, which ``jwt.encode`` refuses to produce.
    return jwt.api_jws.encode(json.dumps(claims).encode(), private_key, algorithm="RS256")


@pytest.fixture
def app_headers(private_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {app_jwt(private_key)}", "Accept": "application/vnd.github+json"}


def install(emulator: EmulatorServer, account: str = "acme", repositories: Any = "all") -> int:
    response = requests.post(
        f"{emulator.url}/_emulator/installations",
        json={"account": account, "repositories": repositories, "sender": "octo-admin"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def installation_token(emulator: EmulatorServer, headers: dict[str, str], installation_id: int) -> str:
    response = requests.post(f"{emulator.url}/app/installations/{installation_id}/access_tokens", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def fixture_json(relative: str) -> Any:
    """One of the project's own fixtures (GitHub's real ones are compared in ``tests/conformance``)."""
    from github_app.tests.fixtures import load_json

    return load_json(relative)
