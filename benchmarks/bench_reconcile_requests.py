"""GitHub requests a day of reconciliation costs, before and after conditional requests (ETag / ``If-None-Match``).

Run: ``.venv/bin/python benchmarks/bench_reconcile_requests.py [--installations 200] [--repositories 5]`` (part of
``make bench``). GitHub is the emulator, in this process; the database is a temporary SQLite file. The emulator holds
``--installations`` organizations, each with the App installed on ``--repositories`` repositories. A first day of
reconciliation fills the mirror; then one unchanged day runs twice through the production path (the 24 hourly slots,
one task per installation): once without the ETags of the day before (what every day cost before conditional
requests) and once with them. Between days the token cache is emptied (a day apart, every installation token has
expired) and the ETags are kept. Counts are the emulator's: requests served, and primary rate-limit points spent
(a 304 to a conditional request gives its point back, as on GitHub). The figures for 2,000 installations are the
per-installation counts times 2,000, plus GitHub's list of installations read once a day (100 a page), which does not
grow per installation. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from github_app.emulator import EmulatorConfig, EmulatorServer  # noqa: E402

GH = EmulatorServer(EmulatorConfig(port=0, webhook_url="http://127.0.0.1:9/")).start()
WORK = Path(tempfile.mkdtemp(prefix="tformance-bench-reconcile-"))
os.environ.update(
    DEBUG="1",
    GITHUB_APP_WEBHOOK_SECRET="bench-webhook-secret",
    DATABASE_URL=f"sqlite:///{WORK / 'db.sqlite3'}",
    DJANGO_SETTINGS_MODULE="config.settings",
    LOG_LEVEL="ERROR",
    GITHUB_API_URL=GH.url,
    GITHUB_WEB_URL=GH.url,
    GITHUB_APP_ID=str(GH.app.id),
    GITHUB_APP_PRIVATE_KEY=GH.app.private_key_pem,
)
for name in ("CELERY_BROKER_URL", "REDIS_URL"):
    os.environ.pop(name, None)

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402

from apps.integrations.services import reconcile  # noqa: E402
from apps.integrations.services.refresh import _etag_key  # noqa: E402
from benchmarks.emulated_orgs import emulated_installations  # noqa: E402
from config.celery import app as celery_app  # noqa: E402

TARGET = 2000


def a_day(ids: list[int], *, keep_etags: bool) -> tuple[int, int, dict[str, int]]:
    """Run the 24 hourly slots once: (requests, primary rate-limit points, requests and points by kind)."""
    etags = {key: cache.get(key) for key in (_etag_key(i) for i in ids)} if keep_etags else {}
    cache.clear()  # a day later: every installation token has expired
    for key, value in etags.items():
        if value is not None:
            cache.set(key, value, 2 * 24 * 3600)
    with GH.state.lock:
        GH.state.request_counts.clear()
        GH.state.budgets.clear()
    for hour in range(24):
        reconcile.installations_reconcile_due(hour=hour)
    with GH.state.lock:
        counts = dict(GH.state.request_counts)
        spent = {subject: b.used for (resource, subject), b in GH.state.budgets.items() if resource == "core"}
    points = sum(spent.values())
    kinds = {
        "GET /app/installations (list)": counts.get("/app/installations", 0),
        "GET /app/installations/{id}": sum(
            n for p, n in counts.items() if p.startswith("/app/installations/") and p.count("/") == 3
        ),
        "POST .../access_tokens": sum(n for p, n in counts.items() if p.endswith("/access_tokens")),
        "GET /installation/repositories": counts.get("/installation/repositories", 0),
        "points on the App's limit (JWT)": sum(n for s, n in spent.items() if s.startswith("app:")),
        "points on the installations' limits": sum(n for s, n in spent.items() if s.startswith("installation:")),
    }
    return sum(counts.values()), points, kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installations", type=int, default=200)
    parser.add_argument("--repositories", type=int, default=5, help="repositories per installation")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    celery_app.conf.task_always_eager = True
    # Production keeps tokens and ETags in Redis; the embedded local-memory cache holds 300 entries by default and
    # would cull ETags here, which would only make the "after" figures look worse than production's.
    cache._max_entries = 10 * args.installations + 1000  # type: ignore[attr-defined]
    ids = emulated_installations(GH, args.installations, args.repositories)
    first = reconcile.installations_reconcile()  # day one: the mirror is filled, the ETags are kept
    print(
        f"reconciliation, {args.installations:,} installations x {args.repositories} repositories "
        f"(emulator, hourly slots, one task each); day one saw {first.installations_seen:,}"
    )
    list_pages = math.ceil(args.installations / 100)
    target_pages = math.ceil(TARGET / 100)
    for label, keep in (("before (no ETag)", False), ("after (If-None-Match)", True)):
        requests_made, points, kinds = a_day(ids, keep_etags=keep)
        per_requests = (requests_made - list_pages) / args.installations
        per_points = (points - list_pages) / args.installations
        print(
            f"  {label}: {requests_made:,} requests, {points:,} primary rate-limit points a day; "
            f"for {TARGET:,} installations: {round(per_requests * TARGET) + target_pages:,} requests, "
            f"{round(per_points * TARGET) + target_pages:,} points"
        )
        print("    " + ", ".join(f"{kind}: {n:,}" for kind, n in kinds.items()))
    GH.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
