"""`.env.example` documents every variable the settings and the Procfile read."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_variable_read_by_the_settings_or_the_procfile_is_in_env_example() -> None:
    settings = (REPO / "config" / "settings.py").read_text()
    read = set(re.findall(r'(?:environ\.get|env_bool|env_list|github_app_setting)\(\s*"([A-Z][A-Z0-9_]+)"', settings))
    read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (REPO / "Procfile").read_text()))
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    assert {"SECRET_KEY", "DATABASE_URL", "GITHUB_APP_WEBHOOK_SECRET", "PORT"} <= read  # the scan finds them
    assert read - documented == set()
