"""Where the shared GitHub fixtures live: `shared/fixtures/github`, a sibling of the repository root.

Tests that need them are skipped with a clear message when the folder is absent (e.g. a checkout
without the shared directory), instead of failing with FileNotFoundError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "github"


def fixtures_dir() -> Path:
    if not FIXTURES_DIR.is_dir():
        pytest.skip(f"GitHub fixtures not found at {FIXTURES_DIR} (expected shared/fixtures/github beside the repo)")
    return FIXTURES_DIR


def load_json(relative: str) -> Any:
    """A fixture file decoded, e.g. `load_json("api/apps-list-installations.json")`."""
    return json.loads((fixtures_dir() / relative).read_text())


def api_example(name: str) -> Any:
    return load_json(f"api/{name}")


def webhook_files() -> list[Path]:
    """Every webhook payload file (api.github.com and GHES supplements); empty if fixtures are absent."""
    if not FIXTURES_DIR.is_dir():
        return []
    return sorted(FIXTURES_DIR.glob("webhooks/*/*.json")) + sorted(FIXTURES_DIR.glob("webhooks-ghes-35/*/*.json"))
