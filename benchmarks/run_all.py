"""``make bench``: every benchmark in turn, then ``docs/benchmarks.md`` written from the run just made.

Each script prints its own figures and none asserts on timing. Their output is shown as it comes and also kept, so
the page records exactly what this run printed, with what a reader needs to weigh it: the date, the commit, the
machine (cores, CPU, Python, load average), the settings, and which benchmarks ran. Figures in prose elsewhere go
stale; this page is replaced by the next run.

``BENCH_ONLY`` picks some of them (comma-separated script names, or ``peer``), e.g.
``BENCH_ONLY=bench_github_app.py,bench_observability.py`` for a quick run; the page then lists the others as not run.
``BENCH_NOTE`` adds a line of context to the page (for example that the machine was shared with other work).
``BENCH_OUTPUT`` writes the page elsewhere (an empty value writes none).

When ``../shared/peer-bench`` is beside the checkout, its ``ours.sh`` runs last, once with 2 sync workers and once
with 2 gthread workers x 4 threads: tformance's webhook paired with the minimal reference endpoint and
django-github-app in the same passes (3 passes of 15 s each; ``BENCH_PEER_ARGS`` adds options, e.g.
``--repeats 1 --duration 3 --warmup 1`` for a quick check).
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
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
    "bench_import.py",
    "bench_fairness.py",
    "bench_reconcile_requests.py",
]
# The metrics bench measures the 1M-PR team too (seeded once, then reused by later runs).
BENCH_ARGS = {"bench_metrics.py": ["--big"]}
PEER_BENCH = ROOT.parent / "shared" / "peer-bench" / "ours.sh"
PEER_RUNS = [["--worker-class", "import"], ["--worker-class", "gthread", "--worker-threads", "4"]]
# Settings that change what the benchmarks measure; the page names those that are set (never their values'
# passwords: URLs are shown without their user information).
# Every other BENCH_* variable is a benchmark's own setting and is shown too.
SETTINGS_SHOWN = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "PARALLEL_READ_CONNECTIONS")
OWN = ("BENCH_ONLY", "BENCH_NOTE", "BENCH_OUTPUT")


@dataclass
class Run:
    title: str
    command: list[str]
    output: str = ""
    returncode: int | None = None


def run_teed(run: Run) -> None:
    """Run one benchmark, printing its stdout as it comes (long runs show progress) and keeping it for the page."""
    print(f"\n=== {run.title} ===", flush=True)
    with subprocess.Popen(run.command, cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1) as process:
        lines = []
        for line in process.stdout or ():
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
    run.output = "".join(lines)
    run.returncode = process.returncode


def selected(only: set[str]) -> tuple[list[Run], list[str]]:
    """The runs ``BENCH_ONLY`` asks for (all when empty), and the names of those left out."""
    runs, skipped = [], []
    for name in BENCHES:
        if not (HERE / name).exists():
            continue
        if only and name not in only:
            skipped.append(name)
            continue
        runs.append(Run(name, [sys.executable, str(HERE / name), *BENCH_ARGS.get(name, [])]))
    peer = f"peer-bench ({PEER_BENCH.relative_to(ROOT.parent)})"
    if only and "peer" not in only:
        skipped.append(peer)
    elif not PEER_BENCH.exists():
        skipped.append(f"{peer}: not beside this checkout")
    else:
        extra = shlex.split(os.environ.get("BENCH_PEER_ARGS", ""))
        for args in PEER_RUNS:
            runs.append(Run(f"peer-bench ours.sh {' '.join(args + extra)}", ["bash", str(PEER_BENCH), *args, *extra]))
    return runs, skipped


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


def commit_described() -> str:
    """The commit measured, read before the run so that edits made while it runs are not blamed on it."""
    dirty = ", with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    subject = git("log", "-1", "--format=%s")
    subject = subject if len(subject) <= 80 else subject[:79] + "…"
    return f"`{git('rev-parse', '--short', 'HEAD')}` “{subject}”{dirty}"


def load_average() -> str:
    try:
        return " / ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def page(runs: list[Run], skipped: list[str], started: datetime, load_before: str, commit: str) -> str:
    """The Markdown of docs/benchmarks.md: the context first, then each benchmark's output as it printed it."""
    shown = [*SETTINGS_SHOWN, *sorted(key for key in os.environ if key.startswith("BENCH_") and key not in OWN)]
    settings = [f"`{key}={without_password(os.environ[key])}`" for key in shown if os.environ.get(key)]
    only = os.environ.get("BENCH_ONLY", "")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run_all.py`) from the run it just made; the next run replaces it. "
        "Each benchmark's own docstring says what it measures and its target. Figures depend on the machine and on "
        "whatever else it runs: compare figures of the same run, or runs on the same machine.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC",
        f"- commit: {commit}",
        f"- machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}",
        f"- load average (1 / 5 / 15 min) before the run: {load_before}; after: {load_average()}",
        f"- settings: {', '.join(settings) if settings else 'none set: each benchmark its defaults'}",
        f"- selection: `BENCH_ONLY={only}`" if only else "- selection: every benchmark",
    ]
    if note := os.environ.get("BENCH_NOTE"):
        lines.append(f"- note: {note}")
    lines += ["", "| benchmark | result |", "|---|---|"]
    for run in runs:
        lines.append(f"| {run.title} | {'ran' if run.returncode == 0 else f'failed (exit {run.returncode})'} |")
    lines += [f"| {name} | not run |" for name in skipped]
    for run in runs:
        lines += ["", f"## {run.title}", "", "```text", run.output.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    started, load_before, commit = datetime.now(UTC), load_average(), commit_described()
    runs, skipped = selected(only)
    for run in runs:
        run_teed(run)
    output = os.environ.get("BENCH_OUTPUT", str(ROOT / "docs" / "benchmarks.md"))
    if output:
        Path(output).write_text(page(runs, skipped, started, load_before, commit))
        print(f"\nwritten: {output}")
    failed = [run.title for run in runs if run.returncode != 0]
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
