"""Fair background work: one team's long import never holds another team's Import now, with a broker or without."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from apps.integrations.models import ImportStatus, TrackedRepository
from apps.integrations.services.tracking import repository_track
from apps.integrations.tests.factories import InstallationFactory, InstallationRepositoryFactory
from apps.integrations.tests.test_import_emulator import control, emulator  # noqa: F401  (the emulator fixture)
from apps.metrics.models import PullRequest
from config.celery import app
from config.queues import BackgroundTasks


def _install(gh, team, account: str, repositories: dict[str, int]) -> dict[str, int]:
    """The team's installation on ``account`` with these repositories (name: PR count); returns their ids."""
    ids = {}
    for name, count in repositories.items():
        ids[name] = control(gh, "/_emulator/repositories", {"owner": account, "name": name, "pull_requests": count})[
            "id"
        ]
    inst = control(gh, "/_emulator/installations", {"account": account, "repositories": "all"})
    row = InstallationFactory(installation_id=inst["id"], team=team, account_login=account)
    for name, repo_id in ids.items():
        InstallationRepositoryFactory(installation=row, github_repo_id=repo_id, full_name=f"{account}/{name}")
    requests.delete(f"{gh.url}/_emulator/requests", timeout=10)
    return ids


@pytest.mark.django_db(transaction=True)
def test_another_teams_import_now_runs_between_two_pages_of_a_long_import(
    emulator,  # noqa: F811
    team,
    other_team,
    client,
    use_broker,
    worker_turns,
):
    use_broker("memory://")  # queued; ``worker_turns`` runs the messages as an import worker does
    small = _install(emulator, other_team, "beta", {"small": 5})["small"]
    theirs = repository_track(team=other_team, github_repo_id=small)
    worker_turns()
    first_import = TrackedRepository.objects.get(pk=theirs.pk).last_imported_at
    big = _install(emulator, team, "acme", {"big": 300, "big2": 300})  # two imports of 6 pages each
    for repo_id in big.values():
        repository_track(team=team, github_repo_id=repo_id)
    worker_turns(2)  # the first page of each

    client.force_login(other_team.memberships.get().user)
    client.post(f"/a/{other_team.slug}/integrations/github/repos/{small}/import/")
    worker_turns(1)

    theirs.refresh_from_db()
    assert theirs.import_status == ImportStatus.IDLE and theirs.last_imported_at > first_import  # Import now is done …
    ours = TrackedRepository.objects.filter(team=team)
    assert [(row.import_status, row.import_count) for row in ours] == [(ImportStatus.RUNNING, 50)] * 2  # … before these
    worker_turns()
    assert {row.import_status for row in ours.all()} == {ImportStatus.IDLE}
    assert PullRequest.objects.filter(team=team).count() == 600


@app.task(name="tests.record_turn")
def _record_turn(label: str, ran: list[str], started: threading.Event, gate: threading.Event) -> None:
    started.set()
    gate.wait(5)
    ran.append(label)


def test_without_a_broker_import_now_runs_at_once_and_the_background_thread_takes_one_turn_per_team():
    ran: list[str] = []
    started, gate, free = threading.Event(), threading.Event(), threading.Event()
    free.set()
    tasks = BackgroundTasks()
    tasks.submit(_record_turn, "held", ran, started, gate, what="a turn the thread is in", lane="team z")
    assert started.wait(5)
    for page in (1, 2, 3):
        tasks.submit(_record_turn, f"A page {page}", ran, started, free, what="import", lane="team a")
    tasks.submit(_record_turn, "B page 1", ran, started, free, what="import", lane="team b")
    tasks.submit(_record_turn, "C Import now", ran, started, free, what="catch-up", lane="team c", interactive=True)
    deadline = time.monotonic() + 5
    while "C Import now" not in ran and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.set()
    tasks.join()

    assert ran == ["C Import now", "held", "A page 1", "B page 1", "A page 2", "A page 3"]  # not behind the held turn
