"""Shared fixtures: users, teams and memberships, and the services marker policy.

Tests that need a real PostgreSQL or Redis are marked ``services``; they skip when the service is not
reachable, unless ``TFORMANCE_REQUIRE_SERVICES=1`` (set by ``.ci/run``) turns that skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

# Django models are imported inside the fixtures: github_app's tests run without Django at all.


def services_required() -> bool:
    return os.environ.get("TFORMANCE_REQUIRE_SERVICES", "") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip a test whose service is missing, or fail it where services are required (CI)."""
    if services_required():
        pytest.fail(f"{reason} (TFORMANCE_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _eager_tasks_and_empty_cache(request):
    """Tasks run in-process and the cache starts empty, unless a test drives the real broker itself."""
    from django.conf import settings

    if not settings.configured:  # github_app's own tests, run with -p no:django
        yield
        return
    from django.core.cache import cache

    from config.celery import app

    previous = app.conf.task_always_eager, settings.IMPORT_IN_BACKGROUND
    app.conf.task_always_eager = not request.node.get_closest_marker("broker")
    # imports run inside the request that starts them, unless a test asks for the embedded default's thread
    settings.IMPORT_IN_BACKGROUND = bool(request.node.get_closest_marker("background_imports"))
    cache.clear()
    yield
    if settings.IMPORT_IN_BACKGROUND:
        from apps.integrations.services.queueing import background

        background.join()
    app.conf.task_always_eager, settings.IMPORT_IN_BACKGROUND = previous


@pytest.fixture
def make_user(db) -> Callable:
    from apps.users.models import User

    counter = iter(range(1, 10_000))

    def _make(email: str | None = None, password: str = "correct-horse-battery", *, verified: bool = True):
        """A user whose address is verified unless ``verified=False`` (as after following the emailed link)."""
        from django.utils import timezone

        return User.objects.create_user(
            email=email or f"user{next(counter)}@example.com",
            password=password,
            email_verified_at=timezone.now() if verified else None,
        )

    return _make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin@example.com")


@pytest.fixture
def team(admin_user):
    from apps.teams.services import team_create

    return team_create(name="Acme Engineering", owner=admin_user)


@pytest.fixture
def member_user(make_user, team):
    from apps.teams.models import Membership, Role

    user = make_user("member@example.com")
    Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def other_team(make_user):
    from apps.teams.services import team_create

    return team_create(name="Other Co", owner=make_user("other-admin@example.com"))


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def member_client(client, member_user):
    client.force_login(member_user)
    return client


@pytest.fixture(scope="session")
def rsa_private_key_pem() -> str:
    """One RSA key per test session for the App (generating one costs tens of milliseconds)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def github_app_settings(settings, rsa_private_key_pem):
    """A configured GitHub App pointing at api.github.com (mocked with `responses` in tests)."""
    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_CLIENT_ID = "Iv1.testclient"
    settings.GITHUB_APP_CLIENT_SECRET = "test-client-secret"
    settings.GITHUB_APP_SLUG = "tformance-test"
    settings.GITHUB_APP_PRIVATE_KEY = rsa_private_key_pem
    settings.GITHUB_API_URL = "https://api.github.com"
    settings.GITHUB_WEB_URL = "https://github.com"
    return settings


@pytest.fixture
def signed_webhook(client, django_capture_on_commit_callbacks, settings):
    """Post a delivery to the webhook as GitHub would, signed with the configured secret.

    Work queued on commit runs (eagerly) before it returns, as in the embedded default.
    """
    import json
    import uuid

    from github_app import sign_payload

    def _send(event: str, payload, *, delivery_id: str | None = None, secret: str | None = None, **headers):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        secret = secret or settings.GITHUB_APP_WEBHOOK_SECRET.split(",")[0]
        meta = {
            "HTTP_X_GITHUB_EVENT": event,
            "HTTP_X_GITHUB_DELIVERY": delivery_id or str(uuid.uuid4()),
            "HTTP_X_HUB_SIGNATURE_256": sign_payload(body, secret),
            "HTTP_X_GITHUB_HOOK_ID": "9001",
            **headers,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/webhooks/github/", data=body, content_type="application/json", **meta)

    return _send


@pytest.fixture
def github_payload():
    """A webhook payload fixture of the project's own, e.g. ``github_payload("ping/payload.json")``."""
    from github_app.tests.fixtures import load_json

    return lambda relative: load_json(f"webhooks/{relative}")


@pytest.fixture
def use_broker(monkeypatch):
    """Point the Celery app at another broker for one test: ``memory://`` queues without running anything,
    a closed port is a broker that is down, a real URL is a real broker. Celery reads ``CELERY_BROKER_URL`` from the
    environment before its configuration, so a run with a broker set (CI's PostgreSQL pass) has it changed too."""
    from apps.integrations.services.queueing import wakeups
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def _use(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url = url
        app.conf.task_always_eager = False

    yield _use
    wakeups.flush()  # a wake-up this test still owes goes to this test's broker, not the next test's
    app.conf.broker_url, app.conf.task_always_eager = saved


@pytest.fixture
def worker_turns():
    """Run what is queued on the broker (``use_broker("memory://")``) as an import worker started with
    ``-Q interactive,default,imports`` does: one message at a time, from the first of those queues that has one.
    ``worker_turns(n)`` runs at most ``n`` messages (all when None); returns each message's task name and args."""
    from config.celery import app

    names = ("interactive", "default", "imports")
    with app.connection_for_write("memory://") as conn:
        for name in names:  # an in-memory broker lives as long as the process: earlier tests' messages are dropped
            conn.default_channel.queue_purge(name)

    def _run(limit: int | None = None) -> list[tuple[str, list]]:
        ran: list[tuple[str, list]] = []
        with app.connection_for_write() as conn:
            queues = [conn.SimpleQueue(name, no_ack=True) for name in names]
            while limit is None or len(ran) < limit:
                for queue in queues:
                    try:
                        message = queue.get(block=False)
                    except queue.Empty:
                        continue
                    args, kwargs, _ = message.decode()
                    ran.append((message.headers["task"], args))
                    app.tasks[message.headers["task"]](*args, **kwargs)
                    break
                else:
                    break
            for queue in queues:
                queue.close()
        return ran

    return _run


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test database, and at the end the dashboard's parallel-read connections closed before it
    is dropped (PostgreSQL refuses to drop a database that sessions are still connected to)."""
    yield
    from apps.web.parallel_reads import close_connections

    close_connections()
