"""``make bench``: every benchmark in turn. Each prints its own figures; none asserts on timing.

When ``../shared/peer-bench`` is beside the checkout, its ``ours.sh`` runs last, once with 2 sync workers and once
with 2 gthread workers x 4 threads: tformance's webhook paired with the minimal reference endpoint and
django-github-app in the same passes (3 passes of 15 s each; ``BENCH_PEER_ARGS`` adds options, e.g.
``--repeats 1 --duration 3 --warmup 1`` for a quick check). The README's ingest figures come from it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHES = [
    "bench_github_app.py",
    "bench_observability.py",
    "bench_webhook.py",
    "bench_webhook_cpu.py",
    "bench_processing.py",
    "bench_metrics.py",
    "bench_backfill.py",
    "bench_fairness.py",
    "bench_reconcile_requests.py",
]
# The metrics bench measures the 1M-PR team too (seeded once, about 3-9 minutes, then reused by later runs).
BENCH_ARGS = {"bench_metrics.py": ["--big"]}
PEER_BENCH = ROOT.parent / "shared" / "peer-bench" / "ours.sh"
PEER_RUNS = [["--worker-class", "sync"], ["--worker-class", "gthread", "--worker-threads", "4"]]


def main() -> int:
    failed = []
    only = os.environ.get("BENCH_ONLY", "")  # e.g. BENCH_ONLY=peer, or bench_processing.py
    for name in BENCHES:
        script = HERE / name
        if not script.exists() or (only and only != name):
            continue
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, str(script), *BENCH_ARGS.get(name, [])], cwd=ROOT).returncode != 0:
            failed.append(name)
    if PEER_BENCH.exists() and only in ("", "peer"):
        extra = shlex.split(os.environ.get("BENCH_PEER_ARGS", ""))
        for run in PEER_RUNS:
            print(f"\n=== peer-bench ours.sh {' '.join(run + extra)} ===", flush=True)
            if subprocess.run(["bash", str(PEER_BENCH), *run, *extra], cwd=ROOT).returncode != 0:
                failed.append(f"ours.sh {' '.join(run)}")
    elif only in ("", "peer"):
        print(f"\n(no {PEER_BENCH}: the side-by-side run with the reference endpoint and django-github-app is skipped)")
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
