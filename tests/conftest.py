"""Fixtures for tests that need real services: a Redis broker and a Celery worker."""

from __future__ import annotations

import os

import pytest

from conftest import skip_or_fail


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_broker_url() -> str:
    """The real Redis broker: CELERY_BROKER_URL when set to Redis, else the local default."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        url = "redis://127.0.0.1:6379/13"
    if not _redis_reachable(url):
        skip_or_fail(f"Redis broker not reachable at {url}")
    return url


@pytest.fixture
def celery_worker(redis_broker_url, use_broker):
    """A real Celery worker (in a thread) consuming every queue from the Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    use_broker(redis_broker_url)
    queues = ["webhooks", "interactive", "default", "imports"]
    with app.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)
    with start_worker(app, pool="solo", perform_ping_check=False, queues=queues) as w:
        yield w
