"""The health check a load balancer polls."""

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_unavailable_when_the_database_does_not(client):
    def database_down(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(database_down):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"
