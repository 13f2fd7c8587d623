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

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = not request.node.get_closest_marker("broker")
    cache.clear()
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def make_user(db) -> Callable:
    from apps.users.models import User

    counter = iter(range(1, 10_000))

    def _make(email: str | None = None, password: str = "correct-horse-battery"):
        return User.objects.create_user(email=email or f"user{next(counter)}@example.com", password=password)

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
