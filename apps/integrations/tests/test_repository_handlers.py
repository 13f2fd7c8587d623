"""``repository`` events: names and flags follow GitHub by ``github_repo_id`` everywhere they are shown
(mirror, tracked repositories, pull requests), applying an event twice changes nothing, and a deleted
repository keeps its data."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from django.db import connection

from apps.integrations.models import (
    DeliveryStatus,
    GitHubAppInstallation,
    InactiveReason,
    InstallationRepository,
    TrackedRepository,
    WebhookDelivery,
)
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db

REPO_ID = 186853261  # the repository of the api.github.com repository/* examples


@pytest.fixture
def known_repository(team, other_team):
    """The repository mirrored under installation 1, tracked by two teams, with a pull request in each."""
    installation = InstallationFactory(installation_id=1, account_login="Octocoders", team=team)
    InstallationRepositoryFactory(installation=installation, github_repo_id=REPO_ID, full_name="old/name")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    for t in (team, other_team):
        TrackedRepositoryFactory(team=t, installation=installation, github_repo_id=REPO_ID, full_name="old/name")
        PullRequest.objects.create(
            team=t, github_pr_id=1000 + t.pk, number=1, github_repo_id=REPO_ID, github_repo="old/name",
            pr_created_at=when, pr_updated_at=when,
        )  # fmt: skip
    return installation


def names() -> set[str]:
    return (
        set(InstallationRepository.objects.filter(github_repo_id=REPO_ID).values_list("full_name", flat=True))
        | set(TrackedRepository.objects.filter(github_repo_id=REPO_ID).values_list("full_name", flat=True))
        | set(PullRequest.objects.filter(github_repo_id=REPO_ID).values_list("github_repo", flat=True))
    )


def with_installation(payload: dict, installation_id: int = 1) -> dict:
    payload = copy.deepcopy(payload)
    payload.setdefault("installation", {"id": installation_id, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="})
    return payload


def send_twice(signed_webhook, payload: dict) -> None:
    for _ in range(2):
        assert signed_webhook("repository", payload).status_code == 202
    statuses = set(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses == {DeliveryStatus.PROCESSED}, WebhookDelivery.objects.values_list("reason", flat=True)


@pytest.mark.parametrize(
    "fixture",
    ["renamed.payload.json", "transferred.with-installation.payload.json", "edited.payload.json"],
)
def test_the_new_name_shows_everywhere(signed_webhook, github_payload, known_repository, fixture):
    payload = with_installation(github_payload(f"repository/{fixture}"))
    send_twice(signed_webhook, payload)
    assert names() == {payload["repository"]["full_name"]}


def test_renamed_twice_in_a_row_ends_on_the_last_name(signed_webhook, github_payload, known_repository):
    first = with_installation(github_payload("repository/renamed.payload.json"))
    second = copy.deepcopy(first)
    second["repository"]["full_name"], second["repository"]["name"] = "Octocoders/Hello-Again", "Hello-Again"
    second["changes"] = {"repository": {"name": {"from": "Hello-World"}}}
    send_twice(signed_webhook, first)
    send_twice(signed_webhook, second)
    assert names() == {"Octocoders/Hello-Again"}


def test_privatized_and_publicized(signed_webhook, github_payload):
    payloads = [with_installation(github_payload(f"repository/{a}.payload.json")) for a in ("privatized", "publicized")]
    repo_id = payloads[0]["repository"]["id"]
    installation = InstallationFactory(installation_id=1)
    InstallationRepositoryFactory(installation=installation, github_repo_id=repo_id, full_name="x/y")
    send_twice(signed_webhook, payloads[0])
    assert InstallationRepository.objects.get(github_repo_id=repo_id).private is True
    send_twice(signed_webhook, payloads[1])
    assert InstallationRepository.objects.get(github_repo_id=repo_id).private is False


@pytest.mark.parametrize("action,archived", [("archived", True), ("unarchived", False)])
def test_archived_and_unarchived(signed_webhook, github_payload, known_repository, action, archived):
    """No public example exists for these actions; they carry the same repository object as ``edited``."""
    InstallationRepository.objects.update(archived=not archived)
    payload = with_installation(github_payload("repository/edited.payload.json"))
    payload["action"], payload["repository"]["archived"] = action, archived
    payload.pop("changes", None)
    send_twice(signed_webhook, payload)
    assert InstallationRepository.objects.get(github_repo_id=REPO_ID).archived is archived


def test_deleted_repository_keeps_its_data_and_tracking_becomes_inactive(
    signed_webhook, github_payload, known_repository
):
    payload = with_installation(load_ghes_deleted(github_payload))
    payload["repository"]["id"] = REPO_ID
    send_twice(signed_webhook, payload)

    assert InstallationRepository.objects.get(github_repo_id=REPO_ID).removed_at is not None
    assert set(TrackedRepository.objects.values_list("is_active", "inactive_reason")) == {
        (False, InactiveReason.REPOSITORY_DELETED)
    }
    assert PullRequest.objects.filter(github_repo_id=REPO_ID).count() == 2


def load_ghes_deleted(github_payload) -> dict:
    from github_app.tests.fixtures import load_json

    return load_json("webhooks-ghes-35/repository/deleted.json")


def test_events_for_an_unknown_installation_create_its_row(signed_webhook, github_payload):
    send_twice(signed_webhook, github_payload("repository/transferred.with-installation.payload.json"))
    assert GitHubAppInstallation.objects.filter(installation_id=1).exists()


def test_created_repository_joins_an_all_repositories_installation(signed_webhook, github_payload):
    InstallationFactory(installation_id=1, account_login="Octocoders", repository_selection="all")
    payload = github_payload("repository/created.with-installation.payload.json")
    send_twice(signed_webhook, payload)
    assert InstallationRepository.objects.filter(
        installation__installation_id=1, github_repo_id=payload["repository"]["id"]
    ).exists()


@pytest.mark.parametrize("selection, status", [("selected", "active"), ("all", "deleted")])
def test_created_repository_waits_for_its_own_event_on_a_selected_or_deleted_installation(
    signed_webhook, github_payload, selection, status
):
    InstallationFactory(installation_id=1, account_login="Octocoders", repository_selection=selection, status=status)
    send_twice(signed_webhook, github_payload("repository/created.with-installation.payload.json"))
    assert not InstallationRepository.objects.filter(installation__installation_id=1).exists()


def _plans(sql_list: list[str]) -> list[str]:
    """PostgreSQL's plan of each statement, with sequential scans priced out so a table of a few rows is planned
    as a large one would be."""
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in sql_list:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plans


def test_a_rename_by_repository_id_reads_only_that_repositorys_rows(known_repository):
    """Every statement of a rename finds its rows through an index keyed by the repository id (within each team
    that tracks it), never a read of a whole index across teams."""
    from django.test.utils import CaptureQueriesContext

    from apps.integrations.services.repositories import repository_rename

    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's; CI runs this on PostgreSQL")
    with CaptureQueriesContext(connection) as ctx:
        repository_rename(github_repo_id=REPO_ID, full_name="new/name")
    assert names() == {"new/name"}
    statements = [q["sql"] for q in ctx.captured_queries if "github_repo_id" in q["sql"]]
    assert len(statements) >= 3
    for sql, plan in zip(statements, _plans(statements), strict=True):
        assert "Seq Scan" not in plan, plan
        assert "Index Cond" in plan and "github_repo_id" in plan.split("Index Cond", 1)[1].split("\n", 1)[0], plan
        if "metrics_pullrequest" in sql:
            assert "team_id" in plan.split("Index Cond", 1)[1].split("\n", 1)[0], plan  # one probe per team
