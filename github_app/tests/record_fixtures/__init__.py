"""Record the test suite's GitHub fixtures from the built-in emulator: ``python -m github_app.tests.record_fixtures``.

Every document under ``github_app/tests/data/github/`` is produced here, by the emulator's own shape code
(``github_app.emulator.shapes`` and ``payloads``) for what the emulator models, and by the small builders below,
written from GitHub's documented payload schemas, for the events it does not send (``ping``, ``meta``, ``member``,
``organization``, review comments and threads). Nothing is copied from GitHub's files.

The scenario reuses the identities of GitHub's documentation examples (``Codertocat/Hello-World`` and its PR #2,
installation 957387, ``octocat``...) so a test reads the same whichever corpus it is pointed at; the conformance
pass (``tests/conformance``) checks every file here against GitHub's real example of the same name.

``github_app/tests/test_recorded_fixtures.py`` fails when a file differs from what this package records today, so a
change to the emulator's shapes shows up as a fixture to re-record, never as silent drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .deployments import deployment_files
from .installations import account_files
from .other_events import ghes_files, other_files
from .pull_requests import pull_request_files
from .rest import api, signature_vector
from .world import API, AVATARS, WEB, Document, World

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "github"


def webhooks(w: World) -> dict[str, Any]:
    """Relative path under ``webhooks/`` → builder."""
    return {**pull_request_files(w), **account_files(w), **other_files(w)}


def _web_urls(node: Any, key: str = "") -> Any:
    """The emulator serves API and web pages on one origin; GitHub's documents point pages and avatars elsewhere."""
    if isinstance(node, dict):
        return {k: _web_urls(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_web_urls(v, key) for v in node]
    if isinstance(node, str) and key == "avatar_url" and node.startswith(f"{API}/avatars/"):
        return AVATARS + node.removeprefix(f"{API}/avatars")
    if isinstance(node, str) and key in ("html_url", "href") and node.startswith(API) and "/repos/" not in node:
        return WEB + node.removeprefix(API)
    if isinstance(node, str) and key == "href" and node.startswith(f"{API}/repos/") and "/pull/" in node:
        return WEB + node.removeprefix(f"{API}/repos")
    return node


def render(document: Document) -> str:
    return json.dumps(_web_urls(document), indent=2, ensure_ascii=False) + "\n"


def _existing_pem() -> str:
    """The manifest example's private key: generated once, then kept (a new key each run would churn the file)."""
    path = DATA_DIR / "api" / "apps-create-from-manifest.json"
    if path.exists():
        return json.loads(path.read_text())["pem"]
    from github_app.emulator.crypto import generate_private_key_pem

    return generate_private_key_pem()


def recorded() -> dict[str, str]:
    """Relative path under DATA_DIR → file text, for every fixture."""
    texts: dict[str, str] = {}
    for relative, build in webhooks(World()).items():
        texts[f"webhooks/{relative}"] = render(build())
    for relative, build in deployment_files(World()).items():
        texts[f"deployments/webhooks/{relative}"] = render(build())
    for relative, build in ghes_files(World()).items():
        texts[f"webhooks-ghes-35/{relative}"] = render(build())
    for name, build in api(World(), _existing_pem()).items():
        texts[f"api/{name}"] = render(build())
    texts["signature-test-vector.json"] = render(signature_vector())
    return texts


def main() -> None:
    texts = recorded()
    for relative, text in sorted(texts.items()):
        path = DATA_DIR / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    stale = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*.json")} - texts.keys()
    for relative in stale:
        (DATA_DIR / relative).unlink()
    print(f"recorded {len(texts)} fixtures in {DATA_DIR}, removed {len(stale)} stale")
