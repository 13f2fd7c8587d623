"""What the delivery log context and the metrics add to each ``POST /webhooks/github/`` (a few microseconds).

Run: ``.venv/bin/python benchmarks/bench_observability.py`` (also part of ``make bench``). Times, per request, what the
webhook view does for observability on top of receiving: binding the delivery's context (``log_context`` with the
two headers, ``log_context_bind`` after parsing, the block's exit) and counting the answer (``webhook_answered``), the
latter both in one process and in prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, gunicorn's
several workers), where each ``inc()`` writes to a memory-mapped file. Prints microseconds per request; the best of
five runs, so another process's burst on a shared machine does not count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N = 200_000

CONTEXT = """
with log_context(delivery_id="72d3162e-cc78-11e3-81ab-4c9367dc0958", event="pull_request"):
    log_context_bind(action="opened", installation_id=957387)
"""


def best_us(statement: str, setup: str) -> float:
    runs = timeit.repeat(statement, setup=setup, number=N, repeat=5)
    return min(runs) / N * 1e6


def counter_us() -> float:
    return best_us("webhook_answered(202)", "from apps.integrations.prometheus import webhook_answered")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--counter":
        print(f"{counter_us():.2f}")
        return
    context = best_us(CONTEXT, "from config.log_context import log_context, log_context_bind")
    single = counter_us()
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory}
        out = subprocess.run(
            [sys.executable, __file__, "--counter"], env=env, capture_output=True, text=True, check=True, cwd=ROOT
        )
        multi = float(out.stdout.strip())
    print("observability cost per webhook request (best of 5 x 200,000):")
    print(f"  delivery log context (bind, bind after parsing, exit): {context:.2f} us")
    print(f"  answer counter, one process:                           {single:.2f} us")
    print(f"  answer counter, multiprocess mode (mmap file):         {multi:.2f} us")
    print(f"  total: {context + single:.2f} us (one process), {context + multi:.2f} us (multiprocess)")


if __name__ == "__main__":
    main()
