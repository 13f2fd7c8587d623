"""Webhook processing throughput in one worker process on PostgreSQL: stored deliveries to metrics.

Run: ``.venv/bin/python benchmarks/bench_processing.py [--profile]`` (part of ``make bench``). Uses
``BENCH_PROCESSING_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/tformance_bench_processing``),
created and migrated here. The GitHub emulator (in this process) makes a repository of ``acme`` with PRs and
reviews; its ``pull_request`` and ``pull_request_review`` payloads (an ``opened`` event per PR, a ``submitted``
event per review, ``closed`` for the closed ones) are stored as pending deliveries of a tracked repository, exactly
as the webhook stores them, then ``drain_deliveries`` — what a woken worker runs — processes them all.

Prints events per second and SQL statements per event; ``--profile`` adds where the time goes (cProfile, by
layer: integrations, metrics, the ORM and the driver). No timing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("GITHUB_APP_WEBHOOK_SECRET", "bench-webhook-secret")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_PROCESSING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tformance_bench_processing"
)
os.environ.pop("CELERY_BROKER_URL", None)  # memory://: wake-ups go nowhere, this process is the worker
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

from benchmarks.bench_metrics import ensure_database  # noqa: E402

ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from apps.integrations.models import GitHubAppInstallation, TrackedRepository, WebhookDelivery  # noqa: E402
from apps.integrations.services.deliveries import delivery_parse, delivery_record  # noqa: E402
from apps.integrations.services.processing import deliveries_drain  # noqa: E402
from apps.metrics.models import PullRequest  # noqa: E402
from apps.teams.models import Team  # noqa: E402
from benchmarks.loadtest import build_payloads, control  # noqa: E402
from config.celery import app  # noqa: E402
from github_app.emulator import EmulatorConfig, EmulatorServer  # noqa: E402


def store_deliveries(count: int) -> tuple[list[int], int]:
    """A tracked repository with ``count`` events' worth of history, stored as pending deliveries.
    Returns (the deliveries' row ids, team id)."""
    gh = EmulatorServer(EmulatorConfig(port=0, scenario="demo", webhook_url="http://127.0.0.1:9/"))
    gh.start()
    try:
        name = f"proc{int(time.time())}"
        control(gh, "/_emulator/repositories", {"owner": "acme", "name": name, "pull_requests": count // 3 + 50})
        installed = control(gh, "/_emulator/installations", {"account": "acme", "repositories": [f"acme/{name}"]})
        payloads = build_payloads(gh, f"acme/{name}", installed["id"], count)
        repo = gh.state.repo_by_full_name(f"acme/{name}")
    finally:
        gh.stop()
    team = Team.objects.create(name=f"Bench {name}", slug=f"bench-{name}")
    installation, _ = GitHubAppInstallation.objects.update_or_create(
        installation_id=installed["id"], defaults={"team": team, "account_login": "acme"}
    )
    TrackedRepository.objects.create(
        team=team, installation=installation, github_repo_id=repo.id, full_name=f"acme/{name}"
    )
    pks = []
    app.conf.task_always_eager = False  # stored as the webhook stores them, not processed on commit
    with transaction.atomic():
        for event, payload in payloads:
            headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4())}
            pks.append(delivery_record(incoming=delivery_parse(headers=headers, body=json.dumps(payload).encode())))
    return pks, team.pk


def layer(filename: str) -> str:
    for marker, name in (
        ("apps/integrations", "integrations (claim, dispatch, handlers, mapping)"),
        ("apps/metrics", "metrics (upserts, recompute)"),
        ("github_app", "github_app (typed event parsing)"),
        ("django/db", "Django ORM"),
        ("psycopg", "psycopg (driver, waiting on PostgreSQL)"),
        ("orjson", "orjson"),
    ):
        if marker in filename:
            return name
    return "other (Django outside the ORM, stdlib)"


def print_profile(profile: cProfile.Profile) -> None:
    stats = pstats.Stats(profile)
    by_layer: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_layer[layer(filename)] = by_layer.get(layer(filename), 0.0) + tottime
    total = sum(by_layer.values())
    print("where the time goes (own time by layer):")
    for name, seconds in sorted(by_layer.items(), key=lambda item: -item[1]):
        print(f"  {name:48} {seconds:6.2f} s  {seconds / total:5.1%}")
    stats.sort_stats("cumulative").print_stats(r"apps/(integrations|metrics)", 25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    pks, team_id = store_deliveries(args.events)
    profile = cProfile.Profile() if args.profile else None
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        if profile:
            profile.enable()
        done, _ = deliveries_drain(limit=len(pks))
        if profile:
            profile.disable()
        elapsed = time.perf_counter() - started
    rows = WebhookDelivery.objects.filter(pk__in=pks).values("status").annotate(n=Count("pk"))
    statuses = {row["status"]: row["n"] for row in rows}
    print(
        f"processing: {done} pull_request/pull_request_review deliveries in {elapsed:.1f} s = "
        f"{done / elapsed:,.0f} events/s in one process ({len(statements) / max(done, 1):.1f} SQL statements per event)"
    )
    print(f"  team {team_id}: {PullRequest.objects.filter(team_id=team_id).count()} PRs; delivery statuses {statuses}")
    if profile:
        print_profile(profile)


if __name__ == "__main__":
    main()
