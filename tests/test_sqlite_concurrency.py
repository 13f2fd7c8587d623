"""The embedded default under ordinary concurrency: `make demo` (runserver on a SQLite file, tasks on its background
thread, the GitHub emulator sending webhooks) answers dozens of sign-ups, Track / Untrack / Import now clicks and
webhook deliveries arriving at once without a single 500, and every write it accepted is there afterwards.

Before WAL, a busy timeout and immediate transactions (config/settings.py), 40 sign-ups at once all failed with
"database is locked", and a Track clicked meanwhile answered 500 while the row kept saying "Not tracked".
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sqlite_load import (
    TRACKED,
    Demo,
    Outcome,
    admin_session,
    deliveries_in_db,
    deliveries_log,
    one_round,
    repository_ids,
    tracked_in_db,
    users_in_db,
)

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e  # a real demo in a subprocess, like test_demo_ctrl_c


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """`make demo` as it runs (its own SQLite file under ``tmp_path``), with no live activity of its own."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the embedded default's SQLite file is what this measures; this run uses PostgreSQL")
    port, github_port = _free_port(), _free_port()
    args = [sys.executable, "manage.py", "demo", "--port", str(port), "--github-port", str(github_port)]
    args += ["--data-dir", str(tmp_path), "--live-interval", "0"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {"DEBUG": "1", "ACCOUNT_SIGNUPS_PER_CLIENT": "1000"}  # measures the load, not the sign-up throttle
    process = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = ""
    try:
        deadline = time.monotonic() + 180
        assert process.stdout is not None
        while "Ctrl-C stops" not in output and time.monotonic() < deadline and process.poll() is None:
            output += process.stdout.readline()
        assert "Ctrl-C stops" in output, output
        found = Demo(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{github_port}", tmp_path)
        found.repositories = repository_ids(found)
        yield found
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def _imports_settled(demo: Demo, seconds: float = 180) -> list[tuple[str, str, str]]:
    """Wait until no import is queued or running (Import now runs on the server's background thread)."""
    deadline = time.monotonic() + seconds
    while True:
        with demo.db() as db:
            rows = db.execute(
                "SELECT full_name, import_status, import_error FROM integrations_trackedrepository ORDER BY full_name"
            ).fetchall()
        if all(status not in ("queued", "running") for _, status, _ in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def _assert_every_answer_is_kept(demo: Demo, outcomes: list[Outcome], emails: list[str], change: str) -> None:
    assert [o for o in outcomes if o.status >= 500 or o.status == 0] == []  # no 500, no dropped connection
    signed_up = [o.subject for o in outcomes if o.kind == "signup" and o.status == 302]
    assert len(signed_up) == len(emails)  # every sign-up went through, to "check your email"
    assert users_in_db(demo, signed_up) == set(signed_up)
    for answer in (o for o in outcomes if o.kind == change):
        # The row the page swaps in says what the database holds: never "Tracked" for a Track that did not happen.
        assert answer.status == 200, answer
        assert bool(TRACKED.search(answer.text)) == tracked_in_db(demo, answer.subject) == (change == "track")
    assert all(o.status == 200 for o in outcomes if o.kind in ("import", "activity", "first track", "first untrack"))


def test_sign_ups_page_writes_and_webhooks_at_once_never_answer_500(demo: Demo) -> None:
    admin = admin_session(demo)
    before = {d["guid"] for d in deliveries_log(demo)}

    tracking = one_round(demo, admin, change="track", signups=20, activity=16, imports=2)  # 40 requests at once
    _assert_every_answer_is_kept(demo, tracking.outcomes, tracking.signups, "track")
    untracking = one_round(demo, admin, change="untrack", signups=20, activity=16, imports=2)
    _assert_every_answer_is_kept(demo, untracking.outcomes, untracking.signups, "untrack")

    sent = [d for d in deliveries_log(demo) if d["guid"] not in before]
    events = sum(int(o.text) for o in tracking.outcomes + untracking.outcomes if o.kind == "activity")
    assert len(sent) == events > 0  # every event of the emulator's actions was delivered
    assert [d for d in sent if (d["status_code"] or 0) >= 300] == []  # 202 (or a late answer), never an error
    stored = deliveries_in_db(demo)
    assert [d["guid"] for d in sent if d["status_code"] and d["guid"] not in stored] == []

    imported = sorted(demo.repositories)[2]
    assert (imported, "idle", "") in _imports_settled(demo)  # Import now's import finished, nothing failed
    log = (demo.data_dir / "server.log").read_text()
    assert re.findall(r"Internal Server Error.*|.*database is locked.*", log) == []  # requests and background alike
