"""github_app is a library: importing any of its modules must not pull in Django or Celery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib, pkgutil, sys
import github_app
names = ["github_app"]
for info in pkgutil.walk_packages(github_app.__path__, "github_app."):
    names.append(info.name)
for name in names:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("django", "celery"))
print(len(names))
if leaked:
    raise SystemExit("imported: " + ", ".join(leaked[:10]))
"""


def test_importing_every_github_app_module_loads_neither_django_nor_celery() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert int(result.stdout.strip().splitlines()[-1]) > 15  # the walk really found the modules
