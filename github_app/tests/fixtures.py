"""The suite's GitHub fixtures: the project's own, recorded from the emulator into ``github_app/tests/data/github``.

They keep the layout of GitHub's example corpus (``webhooks/<event>/<file>``, ``api/<operation>.json``,
``signature-test-vector.json``), so ``load_json("webhooks/pull_request/opened.payload.json")`` names the same
document in both. ``github_app/tests/record_fixtures.py`` writes them; nothing here needs anything outside the
repository.

``FIXTURES_DIR`` is GitHub's real corpus, ``shared/fixtures/github`` beside the repository. Only the conformance
pass (``tests/conformance``) reads it, through ``shared_fixtures_dir()``, which skips with one line when it is
absent (a fresh clone) and fails instead where ``TFORMANCE_REQUIRE_SHARED_FIXTURES=1`` (CI).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_FIXTURES_DIR = Path(__file__).resolve().parent / "data" / "github"
FIXTURES_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "github"


def fixtures_dir() -> Path:
    """The project's own fixtures (always present)."""
    return PROJECT_FIXTURES_DIR


def load_json(relative: str) -> Any:
    """A fixture file decoded, e.g. `load_json("api/apps-list-installations.json")`."""
    return json.loads((fixtures_dir() / relative).read_text())


def api_example(name: str) -> Any:
    return load_json(f"api/{name}")


def webhook_files() -> list[Path]:
    """Every webhook payload fixture (github.com events, and the two GHES-only actions)."""
    return sorted(PROJECT_FIXTURES_DIR.glob("webhooks/*/*.json")) + sorted(
        PROJECT_FIXTURES_DIR.glob("webhooks-ghes-35/*/*.json")
    )


# The deployment events the library types, whose fixtures sit under ``deployments/webhooks/`` (as GitHub's do).
DEPLOYMENT_EVENTS = ("deployment", "deployment_status", "workflow_run")


def deployment_webhook_files(root: Path = PROJECT_FIXTURES_DIR) -> list[Path]:
    """Every ``deployment``, ``deployment_status`` and ``workflow_run`` payload under ``root`` (ours by default)."""
    return sorted(p for event in DEPLOYMENT_EVENTS for p in root.glob(f"deployments/webhooks/{event}/*.json"))


def shared_fixtures_required() -> bool:
    return os.environ.get("TFORMANCE_REQUIRE_SHARED_FIXTURES", "") == "1"


def shared_fixtures_dir() -> Path:
    """GitHub's real corpus for the conformance pass: a skip with one line when absent, a failure where required."""
    if not FIXTURES_DIR.is_dir():
        reason = f"GitHub's reference corpus not found at {FIXTURES_DIR}: conformance pass skipped"
        if shared_fixtures_required():
            pytest.fail(f"{reason} (TFORMANCE_REQUIRE_SHARED_FIXTURES=1 forbids skipping)")
        pytest.skip(reason, allow_module_level=True)
    return FIXTURES_DIR
