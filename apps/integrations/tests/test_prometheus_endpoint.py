"""``GET /metrics``: what an operator's Prometheus reads after a webhook and an import, and who may read it.

The counters are process-wide (as Prometheus expects), so each test compares a scrape after with a scrape before.
"""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services.import_run import tracked_repository_import
from apps.integrations.services.tracking import repository_track
from apps.integrations.tests.test_import_emulator import acme_big, control, emulator  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def _scrape() -> dict[tuple[str, frozenset], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return samples

    return _scrape


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_a_webhook_and_its_processing_move_the_delivery_counters(scrape, signed_webhook, github_payload):
    before = scrape()

    assert signed_webhook("ping", github_payload("ping/payload.json"), delivery_id="d-1").status_code == 202
    assert signed_webhook("ping", github_payload("ping/payload.json"), delivery_id="d-1").status_code == 200
    assert signed_webhook("ping", github_payload("ping/payload.json"), secret="wrong").status_code == 401
    after = scrape()

    assert moved(before, after, "tformance_webhook_requests_total", status="202") == 1
    assert moved(before, after, "tformance_webhook_requests_total", status="200") == 1
    assert moved(before, after, "tformance_webhook_requests_total", status="401") == 1
    assert moved(before, after, "tformance_webhook_deliveries_processed_total", event="ping", outcome="processed") == 1
    assert moved(before, after, "tformance_webhook_processing_lag_seconds_count") == 1
    assert after[("tformance_webhook_deliveries_pending", frozenset())] == 0


def test_pending_deliveries_are_read_from_the_database_at_scrape_time(
    scrape, client, settings, github_payload, django_capture_on_commit_callbacks
):
    from apps.integrations.tests.test_log_context import deferred_webhook

    with django_capture_on_commit_callbacks(execute=False):  # stored, no worker has run yet
        for n in range(3):
            deferred_webhook(client, settings, "ping", github_payload("ping/payload.json"), f"p-{n}")
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 3

    samples = scrape()

    assert samples[("tformance_webhook_deliveries_pending", frozenset())] == 3
    assert samples[("tformance_webhook_oldest_pending_age_seconds", frozenset())] >= 0


def test_an_import_counts_its_pages_its_github_requests_and_its_token_mint(scrape, emulator, acme_big, team):  # noqa: F811
    before = scrape()

    tracked = repository_track(team=team, github_repo_id=acme_big)
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"
    after = scrape()

    assert moved(before, after, "tformance_import_pages_total") == 7  # 300 PRs, 50 a page, and one of what changed
    assert moved(before, after, "tformance_import_pull_requests_total") == 350  # the last page read again
    assert moved(before, after, "tformance_import_runs_total", outcome="done") == 1
    assert moved(before, after, "tformance_github_requests_total", kind="graphql", status_class="2xx") == 7
    assert moved(before, after, "tformance_github_token_mints_total", outcome="ok") == 1
    assert moved(before, after, "tformance_github_request_seconds_count", kind="graphql") == 7


def test_a_rate_limited_import_counts_the_answer_and_the_wait(scrape, emulator, acme_big, team):  # noqa: F811
    control(
        emulator, "/_emulator/faults", {"secondary": True, "retry_after": 30, "count": 1, "path_prefix": "/graphql"}
    )
    before = scrape()

    tracked = repository_track(team=team, github_repo_id=acme_big)
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "waiting"
    after = scrape()

    assert moved(before, after, "tformance_github_rate_limited_total", kind="graphql") == 1
    assert moved(before, after, "tformance_github_requests_total", kind="graphql", status_class="4xx") == 1
    assert moved(before, after, "tformance_github_rate_limit_waits_total", where="import") == 1
    assert moved(before, after, "tformance_github_rate_limit_wait_seconds_total", where="import") >= 1


def test_a_failed_token_mint_is_counted(scrape, emulator, acme_big, team):  # noqa: F811
    """GitHub answers 500 to the first four mints: the import's page shrinks and retries until a mint succeeds."""
    control(emulator, "/_emulator/faults", {"status": 500, "count": 4, "path_prefix": "/app/installations"})
    before = scrape()

    tracked = repository_track(team=team, github_repo_id=acme_big)
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"
    after = scrape()

    assert moved(before, after, "tformance_github_token_mints_total", outcome="failed") == 4
    assert moved(before, after, "tformance_github_token_mints_total", outcome="ok") == 1
    assert moved(before, after, "tformance_github_requests_total", kind="token", status_class="5xx") == 4


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
    ids=["none", "wrong", "other-scheme", "longer", "empty"],
)
def test_a_scrape_without_the_token_is_refused(client, settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"tformance_" not in response.content


def test_without_a_token_configured_there_is_no_metrics_endpoint(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics").status_code == 404
