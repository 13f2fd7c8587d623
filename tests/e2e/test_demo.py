"""``make demo`` keeps working: the command sets everything up on ports of its own, twice in a row."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_demo(data_dir: Path) -> subprocess.CompletedProcess:
    args = [sys.executable, str(MANAGE_PY), "demo", "--exit-after-setup", "--live-interval", "0"]
    args += ["--port", str(free_port()), "--github-port", str(free_port()), "--data-dir", str(data_dir)]
    # The test's own environment (test settings; in CI a PostgreSQL and Redis) must not leak into the demo.
    env = {**os.environ, "DEBUG": "1"}
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)


def test_the_demo_sets_up_twice_with_acmes_history_imported(tmp_path) -> None:
    """acme/infra is transferred to acme-labs, the demo team's second organization, during the set-up."""
    first, second = run_demo(tmp_path), run_demo(tmp_path)

    for run in (first, second):
        assert run.returncode == 0, run.stdout + run.stderr
        assert "tformance demo is ready" in run.stdout
        assert "log in    demo@tformance.local / tformance-demo" in run.stdout
        assert "Connected acme to Demo Team: octo-admin is an owner of acme" in run.stdout
        assert "Refused bob-martin (a plain member of acme) for Side Project" in run.stdout
        # The banner's paths, followed in the browser by test_first_hour.py's second test.
        assert "Connect GitHub as mona (owner of globex, not connected yet: it connects)" in run.stdout
        assert (
            "Connect an existing installation signed in to GitHub as bob-martin (a plain member of acme, connected "
            "to Demo Team: refused, with why)" in run.stdout
        )
        assert "Transferred acme/infra to acme-labs on GitHub: still tracked, all 60 pull requests kept" in run.stdout
    assert "Created the App's private key" in first.stdout and "Using the App's private key" in second.stdout
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        tracked = dict(db.execute("SELECT full_name, import_count FROM integrations_trackedrepository").fetchall())
        merged = db.execute("SELECT count(*) FROM metrics_pullrequest WHERE merged_at IS NOT NULL").fetchone()[0]
    assert tracked.keys() == {"acme/api", "acme/web", "acme-labs/infra"} and all(tracked.values())
    assert merged > 0


def test_the_demo_shows_its_emails_on_the_page_whatever_the_shell_exports(tmp_path, monkeypatch) -> None:
    """A newcomer's verification email must need no terminal or log file (test_first_hour.py follows the page's
    link): the demo's server runs with the console backend even when the shell exports another one."""
    from apps.web.management.commands._demo_processes import DemoApp
    from apps.web.management.commands.demo import demo_environment

    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    env = demo_environment(data_dir=tmp_path, port=free_port(), github_port=free_port(), app=DemoApp())
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_SHOWN_ON_PAGE)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert shown.stdout.strip() == "True", shown.stdout + shown.stderr
