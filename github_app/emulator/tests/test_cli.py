"""The command line the demo and the browser tests start."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]


def test_help_documents_the_options_and_control_api():
    out = subprocess.run([sys.executable, "-m", "github_app.emulator", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=30, check=True).stdout  # fmt: skip
    for option in ("--port", "--app-id", "--client-id", "--client-secret", "--webhook-secret", "--private-key-path",
                   "--generate-key", "--slug", "--webhook-url", "--seed", "--scenario", "--live-interval",
                   "/_emulator/faults", "/_emulator/activity", "GITHUB_API_URL"):  # fmt: skip
        assert option in out


def test_generate_key_writes_a_private_key_and_serves(tmp_path):
    key = tmp_path / "keys" / "app.pem"
    process = subprocess.Popen(
        [sys.executable, "-m", "github_app.emulator", "--port", "0", "--private-key-path", str(key), "--generate-key",
         "--scenario", "demo", "--app-id", "7"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        url = re.search(r"http://\S+", line).group(0)
        assert key.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        state = requests.get(f"{url}/_emulator/state", timeout=10).json()
        assert state["apps"][0]["id"] == 7
        assert {"acme/api", "acme/web", "acme/infra"} <= {r["full_name"] for r in state["repositories"]}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_missing_key_without_generate_key_is_an_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "github_app.emulator", "--port", "0", "--private-key-path", str(tmp_path / "no.pem")],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2 and "--generate-key" in result.stderr
