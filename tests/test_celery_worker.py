"""The production queue path: a delivery goes through a real Redis broker to a real Celery worker."""

import time

import pytest

from apps.integrations.models import DeliveryStatus, WebhookDelivery


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_webhook_is_processed_by_a_real_worker_through_redis(celery_worker, signed_webhook, github_payload):
    response = signed_webhook("ping", github_payload("ping/with-app_id.payload.json"), delivery_id="via-redis")
    assert response.status_code == 202

    def processed() -> bool:
        return WebhookDelivery.objects.filter(delivery_id="via-redis", status=DeliveryStatus.PROCESSED).exists()

    assert _wait_for(processed), WebhookDelivery.objects.values("status", "reason").first()
