"""The people page's Mark as bot and Undo: the request answers before the recompute, and a flood of clicks is one
recompute of the final state."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.metrics.models import MetricsRecompute, PullRequest, TeamMember
from apps.metrics.services import review_upsert
from apps.metrics.tasks import run_team_recompute
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at
from apps.metrics.tests.test_members import _reviewed_by
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_marking_a_bot_queues_the_recompute_instead_of_running_it_in_the_request(
    admin_client, team, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)  # a broker (in memory): nothing runs here
    helper = PersonFactory(login="ci-helper")
    for _ in range(3):
        review_upsert(
            team=team, pull_request=SnapshotFactory(), review=ReviewFactory(reviewer=helper, submitted_at=at(2))
        )
    member = TeamMember.objects.get(github_id=helper.github_id)
    url = reverse("dashboard:member_bot", kwargs={"team_slug": team.slug, "member_id": member.pk})

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"is_bot": "1"})

    job = MetricsRecompute.objects.get()
    assert job.status == "queued"
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 0  # not recomputed in the request
    people = admin_client.get(reverse("dashboard:people", kwargs={"team_slug": team.slug})).content.decode()
    assert "Recomputing the pull requests of ci-helper: queued" in people

    run_team_recompute(team.pk)  # what the worker does

    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 3, 3)
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 3
    assert (
        "Recomputing"
        not in admin_client.get(reverse("dashboard:people", kwargs={"team_slug": team.slug})).content.decode()
    )


def _people_page(client, team) -> str:
    return client.get(reverse("dashboard:people", kwargs={"team_slug": team.slug})).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_flood_of_mark_as_bot_and_undo_is_one_recompute_of_the_final_state(
    admin_client, team, use_broker, worker_turns
):
    use_broker("memory://")  # queued, not run: a worker runs it below
    helper = PersonFactory(login="ci-helper")
    _reviewed_by(team, helper, 3)
    member = TeamMember.objects.get(github_id=helper.github_id)
    url = reverse("dashboard:member_bot", kwargs={"team_slug": team.slug, "member_id": member.pk})

    for n in range(41):  # Mark as bot, Undo, … and Mark as bot last
        admin_client.post(url, {"is_bot": "1" if n % 2 == 0 else "0"})

    assert MetricsRecompute.objects.count() == 1  # one pending recompute, not 41
    assert "Recomputing the pull requests of ci-helper: queued" in _people_page(admin_client, team)
    ran = worker_turns()
    assert [task for task, _ in ran] == ["apps.metrics.tasks.run_team_recompute"]  # one message was queued
    assert list(MetricsRecompute.objects.values_list("status", "total", "done")) == [("done", 3, 3)]
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 3  # the final state: a bot


@pytest.mark.django_db(transaction=True)
def test_a_change_during_a_running_recompute_queues_one_more_and_the_latest_wins(
    admin_client, team, use_broker, worker_turns, monkeypatch
):
    from apps.metrics.services import members

    monkeypatch.setattr(members, "RECOMPUTE_BATCH", 2)  # a recompute of several turns without thousands of PRs
    use_broker("memory://")
    helper = PersonFactory(login="ci-helper")
    _reviewed_by(team, helper, 3)
    member = TeamMember.objects.get(github_id=helper.github_id)
    url = reverse("dashboard:member_bot", kwargs={"team_slug": team.slug, "member_id": member.pk})
    admin_client.post(url, {"is_bot": "1"})
    worker_turns(1)
    assert "Recomputing the pull requests of ci-helper: 2 of 3 (67%)" in _people_page(admin_client, team)

    for n in range(11):  # Undo, Mark as bot, … and Undo last, while the first recompute runs
        admin_client.post(url, {"is_bot": "0" if n % 2 == 0 else "1"})

    assert MetricsRecompute.objects.exclude(status="done").count() == 2  # the running one and one pending
    worker_turns()
    assert MetricsRecompute.objects.exclude(status="done").count() == 0
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 0  # a person again: Undo was last


@pytest.mark.background_imports
@pytest.mark.django_db(transaction=True)
def test_without_a_broker_mark_as_bot_answers_before_the_recompute_which_runs_in_the_background(admin_client, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.queues import background

    helper = PersonFactory(login="ci-helper")
    _reviewed_by(team, helper, 3)
    member = TeamMember.objects.get(github_id=helper.github_id)
    url = reverse("dashboard:member_bot", kwargs={"team_slug": team.slug, "member_id": member.pk})

    with CaptureQueriesContext(connection) as request_queries:
        assert admin_client.post(url, {"is_bot": "1"}).status_code == 302

    assert not [q for q in request_queries if "metrics_pullrequest" in q["sql"] and "UPDATE" in q["sql"].upper()]
    background.join()
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 3
    assert MetricsRecompute.objects.get().status == "done"
