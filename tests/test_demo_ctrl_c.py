"""`make demo` stops quietly on Ctrl-C, and its embedded default logs no broker warning."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.e2e
def test_ctrl_c_ends_make_demo_without_a_make_error_or_a_broker_warning(tmp_path: Path) -> None:
    ports = [f"PORT={_free_port()}", f"GITHUB_PORT={_free_port()}", f"DEMO_DATA_DIR={tmp_path}"]
    process = subprocess.Popen(
        ["make", "--no-print-directory", "demo", *ports],
        cwd=REPO,
        env={**os.environ, "DEBUG": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a terminal's foreground job: Ctrl-C reaches make and everything under it
    )
    output = ""
    try:
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        while "Ctrl-C stops" not in output and time.monotonic() < deadline and process.poll() is None:
            output += process.stdout.readline()
        assert "Ctrl-C stops" in output, output
    finally:
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        output += rest
    assert "Stopping." in output
    assert "***" not in output and "Traceback" not in output, output  # make's "*** [demo] Interrupt"
    assert process.returncode in (0, -signal.SIGINT), output  # make ends as Ctrl-C ended it, having said nothing
    logs = output + (tmp_path / "server.log").read_text() + (tmp_path / "github.log").read_text()
    assert "No hostname was supplied" not in logs
