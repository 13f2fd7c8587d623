"""Prometheus metrics of the GitHub pipeline: deliveries, processing, imports and calls to GitHub.

Counters and histograms are ``prometheus_client`` objects, updated where things happen (the webhook view, the
processing service, the import, the ``ObservedSession`` every GitHub call goes through). With several processes
(gunicorn workers, Celery's prefork children) set ``PROMETHEUS_MULTIPROC_DIR`` for every process of a host: each
process then writes its values to files there, and ``prometheus_exposition`` adds them up at scrape time
(prometheus_client's multiprocess mode). The pending-delivery figures are read from the database at scrape time
instead, so they are right whichever process answers the scrape.

The webhook request path pays one dictionary lookup and one ``inc()`` (``benchmarks/bench_observability.py``):
its counter's label values are resolved once, here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from github_app import Exchange

WEBHOOK_ANSWERS = Counter(
    "tformance_webhook_requests",
    "Requests to POST /webhooks/github/ by the HTTP status answered (202 stored, 200 redelivery, 4xx refused, "
    "503 database down).",
    ["status"],
)
_ANSWERED = {status: WEBHOOK_ANSWERS.labels(status=str(status)) for status in (200, 202, 400, 401, 413, 503)}

DELIVERIES_PROCESSED = Counter(
    "tformance_webhook_deliveries_processed",
    "Deliveries through processing by event and outcome: processed, ignored, failed (gave up), retry (a transient "
    "error; tried again later).",
    ["event", "outcome"],
)
PROCESSING_LAG = Histogram(
    "tformance_webhook_processing_lag_seconds",
    "From a delivery's arrival (stored) to its processing committed.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600),
)

IMPORT_PAGES = Counter("tformance_import_pages", "GraphQL pages of pull requests fetched by imports.")
IMPORT_PULL_REQUESTS = Counter(
    "tformance_import_pull_requests", "Pull requests read by imports (pages of the history window)."
)
IMPORT_RUNS = Counter(
    "tformance_import_runs",
    "Import runs by how they ended: done, waiting (rate limit, suspended), failed, stopped, busy, idle.",
    ["outcome"],
)

GITHUB_REQUESTS = Counter(
    "tformance_github_requests",
    "HTTP requests to GitHub by kind (rest, graphql, token) and status class (2xx…5xx, error = no answer).",
    ["kind", "status_class"],
)
GITHUB_REQUEST_SECONDS = Histogram(
    "tformance_github_request_seconds",
    "Time GitHub took to answer, by kind.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
GITHUB_RATE_LIMITED = Counter(
    "tformance_github_rate_limited", "GitHub answers that were a rate limit (403/429 with its headers).", ["kind"]
)
RATE_LIMIT_WAITS = Counter(
    "tformance_github_rate_limit_waits",
    "Times work was put off until GitHub's rate limit resets (import: limit hit or reserve reached; delivery: a "
    "retry scheduled after a rate-limited answer).",
    ["where"],
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "tformance_github_rate_limit_wait_seconds", "Seconds of those waits, added up.", ["where"]
)
TOKEN_MINTS = Counter(
    "tformance_github_token_mints", "Installation access tokens asked of GitHub, by outcome (ok, failed).", ["outcome"]
)


def webhook_answered(status: int) -> None:
    """Count one webhook request by the status it was answered with."""
    child = _ANSWERED.get(status)
    if child is None:
        child = _ANSWERED[status] = WEBHOOK_ANSWERS.labels(status=str(status))
    child.inc()


def delivery_outcome(*, event: str, outcome: str, received_at: datetime | None, count: int = 1) -> None:
    """Count deliveries through processing; a final outcome (not a retry) also records the lag since arrival."""
    DELIVERIES_PROCESSED.labels(event=event, outcome=outcome).inc(count)
    if outcome != "retry" and received_at is not None:
        lag = max(0.0, (timezone.now() - received_at).total_seconds())
        for _ in range(count):
            PROCESSING_LAG.observe(lag)


def import_page(*, pull_requests: int) -> None:
    IMPORT_PAGES.inc()
    IMPORT_PULL_REQUESTS.inc(pull_requests)


def import_finished(*, outcome: str) -> None:
    IMPORT_RUNS.labels(outcome=outcome).inc()


def rate_limit_wait(*, where: str, seconds: float) -> None:
    """Work is put off until GitHub's rate limit resets."""
    RATE_LIMIT_WAITS.labels(where=where).inc()
    RATE_LIMIT_WAIT_SECONDS.labels(where=where).inc(max(0.0, seconds))


def github_exchange_observed(exchange: Exchange) -> None:
    """The ``ObservedSession`` callback: one HTTP exchange with GitHub."""
    kind = exchange.kind
    GITHUB_REQUESTS.labels(kind=kind, status_class=exchange.status_class).inc()
    GITHUB_REQUEST_SECONDS.labels(kind=kind).observe(exchange.seconds)
    if exchange.rate_limited:
        GITHUB_RATE_LIMITED.labels(kind=kind).inc()
    if exchange.is_token_mint:
        ok = exchange.status is not None and 200 <= exchange.status < 300
        TOKEN_MINTS.labels(outcome="ok" if ok else "failed").inc()


PENDING_COUNT_CAP = 100_000  # the count stops here: a scrape never scans an unbounded backlog


class PendingDeliveries(Collector):
    """Pending deliveries and the age of the oldest one, read at scrape time from the pending deliveries' partial
    index: the figures are the database's, right whichever process is scraped."""

    def collect(self) -> Iterator[Metric]:
        from apps.integrations.selectors import deliveries_pending_summary

        count, oldest = deliveries_pending_summary(cap=PENDING_COUNT_CAP)
        yield GaugeMetricFamily(
            "tformance_webhook_deliveries_pending",
            f"Deliveries stored and not yet processed (counted up to {PENDING_COUNT_CAP}).",
            value=count,
        )
        age = max(0.0, time.time() - oldest.timestamp()) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "tformance_webhook_oldest_pending_age_seconds",
            "Age of the oldest pending delivery (0 when none is pending).",
            value=age,
        )


def prometheus_exposition() -> bytes:
    """The text a scrape returns: this process's metrics, or every process's of this host in multiprocess mode,
    plus the pending figures read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    pending = CollectorRegistry()
    pending.register(PendingDeliveries())
    return body + generate_latest(pending)
