"""The webhook endpoint as GitHub meets it: every answer of the contract in docs/architecture.md."""

import json
import uuid

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from apps.integrations.models import DeliveryStatus, WebhookDelivery, WebhookPayload
from github_app import sign_payload

pytestmark = pytest.mark.django_db

URL = "/webhooks/github/"


def _post(client, body: bytes, **meta):
    return client.post(URL, data=body, content_type="application/json", **meta)


def test_a_signed_ping_is_stored_processed_and_answered_202(signed_webhook, github_payload):
    response = signed_webhook("ping", github_payload("ping/with-app_id.payload.json"), delivery_id="d-1")
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get(delivery_id="d-1")
    assert delivery.event == "ping"
    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.hook_id == github_payload("ping/with-app_id.payload.json")["hook_id"]


def test_a_redelivery_with_the_same_id_is_answered_200_and_changes_nothing(signed_webhook, github_payload):
    payload = github_payload("pull_request/opened.payload.json")
    assert signed_webhook("pull_request", payload, delivery_id="same").status_code == 202
    first = WebhookDelivery.objects.get(delivery_id="same")
    assert signed_webhook("pull_request", payload, delivery_id="same").status_code == 200
    again = WebhookDelivery.objects.get(delivery_id="same")
    assert WebhookDelivery.objects.count() == 1
    assert (again.attempts, again.processed_at) == (first.attempts, first.processed_at) == (1, first.processed_at)


def test_event_action_and_installation_are_recorded(signed_webhook, github_payload):
    payload = github_payload("installation/created.payload.json")
    signed_webhook(
        "installation",
        payload,
        delivery_id="inst",
        HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_ID="77",
        HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_TYPE="integration",
    )
    delivery = WebhookDelivery.objects.get(delivery_id="inst")
    assert (delivery.event, delivery.action, delivery.installation_id) == (
        "installation",
        "created",
        payload["installation"]["id"],
    )
    assert (delivery.target_id, delivery.target_type, delivery.hook_id) == (77, "integration", 9001)


def test_an_event_without_a_handler_is_kept_as_ignored_with_the_reason(signed_webhook, github_payload):
    signed_webhook("meta", github_payload("meta/deleted.payload.json"), delivery_id="meta")
    delivery = WebhookDelivery.objects.get(delivery_id="meta")
    assert delivery.status == DeliveryStatus.IGNORED
    assert "no handler" in delivery.reason


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha1=abc", "sha256=" + "0" * 64, "sha256=zz" + "0" * 62, "sha256=" + "a" * 63],
)
def test_missing_or_wrong_signatures_are_refused_with_401_and_nothing_stored(client, signature):
    body = b'{"zen": "x"}'
    meta = {"HTTP_X_GITHUB_EVENT": "ping", "HTTP_X_GITHUB_DELIVERY": "x"}
    if signature is not None:
        meta["HTTP_X_HUB_SIGNATURE_256"] = signature
    assert _post(client, body, **meta).status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_a_signature_made_with_another_secret_is_refused(signed_webhook):
    assert signed_webhook("ping", {"zen": "x"}, secret="not-our-secret").status_code == 401


def test_a_rotated_secret_is_accepted_during_rotation(signed_webhook, settings):
    settings.GITHUB_APP_WEBHOOK_SECRET = "new-secret,old-secret"
    assert signed_webhook("ping", {"zen": "x", "hook_id": 1}, secret="old-secret").status_code == 202
    assert signed_webhook("ping", {"zen": "x", "hook_id": 1}, secret="new-secret").status_code == 202


@pytest.mark.parametrize("missing", ["HTTP_X_GITHUB_EVENT", "HTTP_X_GITHUB_DELIVERY"])
def test_a_missing_event_or_delivery_header_is_a_400_that_names_it(client, settings, missing):
    body = b'{"zen": "x"}'
    meta = {
        "HTTP_X_GITHUB_EVENT": "ping",
        "HTTP_X_GITHUB_DELIVERY": "abc",
        "HTTP_X_HUB_SIGNATURE_256": sign_payload(body, settings.GITHUB_APP_WEBHOOK_SECRET),
    }
    del meta[missing]
    response = _post(client, body, **meta)
    assert response.status_code == 400
    header = "X-GitHub-Event" if missing == "HTTP_X_GITHUB_EVENT" else "X-GitHub-Delivery"
    assert header in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", b""])
def test_malformed_json_is_a_400(signed_webhook, body):
    response = signed_webhook("ping", body)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("opening, closing", [(b"[", b"]"), (b'{"a":', b"}")])
def test_a_signed_body_nested_100000_levels_deep_is_a_400_not_a_500(signed_webhook, opening, closing):
    depth = 100_000
    body = b'{"a":' + opening * depth + b"1" + closing * depth + b"}"
    response = signed_webhook("ping", body)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_a_body_over_25_mib_is_a_413(signed_webhook):
    body = b'{"a": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    assert signed_webhook("ping", body).status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_a_body_just_under_the_limit_is_accepted(signed_webhook):
    body = b'{"a": "' + b"x" * (25 * 1024 * 1024 - 20) + b'"}'
    assert signed_webhook("ping", body).status_code == 202


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_are_a_405(client, method):
    assert getattr(client, method)(URL).status_code == 405


def test_the_url_without_trailing_slash_works_too(client, settings):
    body = b'{"zen": "x"}'
    response = client.post(
        "/webhooks/github",
        data=body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="ping",
        HTTP_X_GITHUB_DELIVERY="noslash",
        HTTP_X_HUB_SIGNATURE_256=sign_payload(body, settings.GITHUB_APP_WEBHOOK_SECRET),
    )
    assert response.status_code == 202


def test_a_database_outage_is_a_503_so_github_records_the_failure(signed_webhook):
    def database_down(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(database_down):
        response = signed_webhook("ping", {"zen": "x"}, delivery_id="lost")
    assert response.status_code == 503
    assert not WebhookDelivery.objects.filter(delivery_id="lost").exists()


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    """The statements run, without the transaction's own BEGIN and COMMIT (SQLite's two INSERTs commit together)."""
    return [q["sql"] for q in ctx.captured_queries if q["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")]


@pytest.mark.django_db(transaction=True)
def test_the_endpoint_itself_takes_at_most_3_queries(client, settings, github_payload, use_broker):
    use_broker("memory://")  # processing is queued, not run inline
    body = json.dumps(github_payload("pull_request/opened.payload.json")).encode()
    meta = {
        "HTTP_X_GITHUB_EVENT": "pull_request",
        "HTTP_X_GITHUB_DELIVERY": str(uuid.uuid4()),
        "HTTP_X_HUB_SIGNATURE_256": sign_payload(body, settings.GITHUB_APP_WEBHOOK_SECRET),
    }
    with CaptureQueriesContext(connection) as ctx:
        assert _post(client, body, **meta).status_code == 202
    assert len(_statements(ctx)) <= 3
    with CaptureQueriesContext(connection) as ctx:
        assert _post(client, body, **meta).status_code == 200
    assert len(_statements(ctx)) <= 3


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_delivery_and_its_payload_are_stored_in_one_statement(signed_webhook):
    if connection.vendor != "postgresql":
        pytest.skip("a data-modifying WITH is PostgreSQL's (SQLite runs two INSERTs in one transaction)")
    with CaptureQueriesContext(connection) as ctx:
        assert signed_webhook("ping", {"zen": "one trip"}, delivery_id="one-trip").status_code == 202
    stored = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(("INSERT", "WITH"))]
    assert len(stored) == 1 and "integrations_webhookdelivery" in stored[0]
    delivery = WebhookDelivery.objects.get(delivery_id="one-trip")
    assert json.loads(delivery.payload_stored() or "") == {"zen": "one trip"}


def test_a_redelivery_stores_no_second_payload_and_keeps_the_first(signed_webhook):
    assert signed_webhook("ping", {"zen": "first"}, delivery_id="twice").status_code == 202
    assert signed_webhook("ping", {"zen": "second"}, delivery_id="twice").status_code == 200
    delivery = WebhookDelivery.objects.get(delivery_id="twice")
    assert WebhookPayload.objects.filter(delivery=delivery).count() == 1
    assert json.loads(delivery.payload_stored() or "") == {"zen": "first"}


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_between_requests_still_stores_the_next_delivery(signed_webhook):
    if connection.vendor != "postgresql":
        pytest.skip("a persistent connection the server dropped is PostgreSQL's case; CI runs this on PostgreSQL")
    assert signed_webhook("ping", {"zen": "x"}, delivery_id="before").status_code == 202
    connection.ensure_connection()
    connection.connection.close()  # as a database restart leaves a persistent connection: dead, not yet noticed
    assert signed_webhook("ping", {"zen": "x"}, delivery_id="after").status_code == 202
    assert WebhookDelivery.objects.filter(delivery_id="after").exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_still_down_on_a_fresh_connection_is_a_503(signed_webhook):
    calls = []

    def database_down(execute, sql, params, many, context):
        calls.append(sql)
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(database_down):
        response = signed_webhook("ping", {"zen": "x"}, delivery_id="lost")
    assert response.status_code == 503
    assert len(calls) == 2  # the INSERT, then once more on a new connection
    assert not WebhookDelivery.objects.filter(delivery_id="lost").exists()
