"""Where the browser tests keep their screenshots: pytest-playwright's ``--output`` folder (``test-results/``
unless given), the one it empties when a session starts and puts failed tests' screenshots in. CI runs the suite
twice and gives each pass its own folder (``.ci/run``), so both passes' screenshots are kept."""

from __future__ import annotations

from pathlib import Path

OUTPUT = {"folder": Path("test-results")}  # set from ``--output`` by tests/e2e/conftest.py's pytest_configure


def results(*parts: str) -> Path:
    """The folder ``parts`` inside this session's output folder, created."""
    folder = OUTPUT["folder"].joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
