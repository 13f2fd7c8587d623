"""Drill: an operator's view of real processes — gunicorn (2 workers), a Celery worker, PostgreSQL, Redis.

One delivery is followed with ``grep <delivery id>`` through the web process's log (its access line) and the
worker's log (its processing), and ``GET /metrics`` adds up every process of the host (prometheus_client's
multiprocess mode: gunicorn's workers and the Celery worker share ``PROMETHEUS_MULTIPROC_DIR``).
"""

from __future__ import annotations

import json
import tempfile

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.drill

TOKEN = "drill-metrics-token"


def scrape(tf) -> dict[tuple[str, frozenset], float]:
    response = requests.get(f"{tf.web_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_a_delivery_is_followed_by_its_id_and_every_process_is_counted(stack):
    tf = stack(
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(prefix="tformance-drill-metrics-"),
    )
    installation = tf.install(["acme/drill"], pull_requests={"acme/drill": 60})
    linked = tf.ops("link", installation_id=installation, repositories=["acme/drill"])
    tf.wait_import(linked["tracked"]["acme/drill"])

    logged = len(tf.github_log())
    tf.control("/_emulator/activity", {"repository": "acme/drill", "count": 12, "seed": 3})
    sent = tf.github_log()
    guids = {d.guid for d in sent[logged:]}
    tf.wait_deliveries(guids)

    web_log = next(p for p in tf.processes if p.name == "gunicorn").log_path.read_text(errors="replace")
    worker_records = [
        json.loads(line) for line in tf.worker.log_path.read_text(errors="replace").splitlines() if line.startswith("{")
    ]
    for guid in guids:
        assert any(f"delivery_id={guid}" in line and '" 202 ' in line for line in web_log.splitlines()), guid
        mine = [r for r in worker_records if r.get("delivery_id") == guid]
        assert any(r["message"] == "delivery processed" for r in mine), (guid, mine)
        assert all(r["repository"] == "acme/drill" and r["installation_id"] == installation for r in mine), mine
    imports = [r for r in worker_records if r.get("message", "").startswith("import:")]
    assert imports and all(r["repository"] == "acme/drill" for r in imports), imports

    metrics = scrape(tf)
    answered = sum(1 for d in sent if d.status_code == 202)
    assert metrics[("tformance_webhook_requests_total", frozenset({("status", "202")}))] == answered
    processed = sum(
        value
        for (name, labels), value in metrics.items()
        if name == "tformance_webhook_deliveries_processed_total" and ("outcome", "processed") in labels
    )
    assert processed == answered  # counted by the worker process, read by whichever web worker answered
    assert metrics[("tformance_webhook_processing_lag_seconds_count", frozenset())] == answered
    # 60 PRs, 50 a page, then one page of what was updated while the import paged
    assert metrics[("tformance_import_pages_total", frozenset())] == 3
    assert metrics[("tformance_github_token_mints_total", frozenset({("outcome", "ok")}))] >= 1
    assert metrics[("tformance_webhook_deliveries_pending", frozenset())] == 0
