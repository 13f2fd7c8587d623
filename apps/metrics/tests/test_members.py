"""People: identity by GitHub id, renames, and the admins' hide and bot decisions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.metrics.models import MetricsRecompute, PullRequest, TeamMember
from apps.metrics.services import (
    review_upsert,
    team_member_mark_bot,
    team_member_set_visibility,
)
from apps.metrics.services.members import team_members_bulk_upsert
from apps.metrics.tasks import run_member_recompute
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def _upsert(team, person):
    return team_members_bulk_upsert(team=team, people=[person])[person.github_id]


def test_people_follow_renames_and_keep_their_identity(team):
    _upsert(team, PersonFactory(github_id=42, login="old-name"))
    member = _upsert(team, PersonFactory(github_id=42, login="new-name", avatar_url=""))
    assert TeamMember.objects.count() == 1
    assert member.github_username == "new-name" and member.avatar_url.endswith("/u/42")


def test_marking_a_reviewer_as_bot_recomputes_the_prs_they_reviewed(team, django_capture_on_commit_callbacks):
    snap = SnapshotFactory()
    review = ReviewFactory(submitted_at=at(2))
    review_upsert(team=team, pull_request=snap, review=review)
    member = TeamMember.objects.get(github_id=review.reviewer.github_id)
    with django_capture_on_commit_callbacks(execute=True):  # the embedded default runs the queued task in-process
        team_member_mark_bot(team=team, member_id=member.pk, is_bot=True)
    assert PullRequest.objects.get().first_review_at is None
    with django_capture_on_commit_callbacks(execute=True):
        team_member_mark_bot(team=team, member_id=member.pk, is_bot=False)
    assert PullRequest.objects.get().first_review_at == at(2)
    assert list(MetricsRecompute.objects.values_list("status", "total", "done")) == [("done", 1, 1)] * 2


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
    url = reverse("metrics:member_bot", kwargs={"team_slug": team.slug, "member_id": member.pk})

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"is_bot": "1"})

    job = MetricsRecompute.objects.get()
    assert job.status == "queued"
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 0  # not recomputed in the request
    people = admin_client.get(reverse("metrics:people", kwargs={"team_slug": team.slug})).content.decode()
    assert "Recomputing the pull requests of ci-helper: queued" in people

    run_member_recompute(job.pk)  # what the worker does

    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 3, 3)
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 3
    assert (
        "Recomputing"
        not in admin_client.get(reverse("metrics:people", kwargs={"team_slug": team.slug})).content.decode()
    )


def test_a_later_payload_does_not_undo_an_admins_bot_decision(team):
    person = PersonFactory(login="ci-helper")
    member = _upsert(team, person)
    team_member_mark_bot(team=team, member_id=member.pk, is_bot=True)
    _upsert(team, person)
    assert TeamMember.objects.get(pk=member.pk).is_bot


def test_hiding_a_member_of_another_team_is_impossible(team, other_team):
    member = _upsert(other_team, PersonFactory())
    with pytest.raises(TeamMember.DoesNotExist):
        team_member_set_visibility(team=team, member_id=member.pk, is_active=False)
