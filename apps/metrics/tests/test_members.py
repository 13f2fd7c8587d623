"""People: identity by GitHub id, renames, and the admins' hide and bot decisions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.urls import reverse

from apps.metrics.models import MetricsRecompute, PRReview, PullRequest, TeamMember
from apps.metrics.services import (
    pull_request_upsert,
    pull_requests_import,
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


# A deleted account: the author ada (id 1) commented on her own PR an hour after opening it; bob reviewed at 5 h.
ADA = PersonFactory(github_id=1, login="ada")
BOB = PersonFactory(github_id=2, login="bob")


def _history(author, commenter):
    """The PR and ada's comment as GitHub describes them: ``author``/``commenter`` are None once ada's account is
    deleted (the webhook mapping turns ``ghost`` into no one; GraphQL answers ``author: null``)."""
    snapshot = SnapshotFactory(github_pr_id=77, author=author, updated_at=at(6))
    comment = ReviewFactory(github_review_id=1, reviewer=commenter, state="COMMENTED", submitted_at=at(1))
    review = ReviewFactory(github_review_id=2, reviewer=BOB, state="APPROVED", submitted_at=at(5))
    return snapshot, [comment, review]


@pytest.mark.parametrize("road", ["webhooks, then an import after the deletion", "an import after the deletion"])
def test_a_deleted_authors_own_comment_never_becomes_the_first_review(team, road):
    if road.startswith("webhooks"):
        snapshot, reviews = _history(ADA, ADA)
        for review in reviews:
            review_upsert(team=team, pull_request=replace(snapshot, updated_at=at(1)), review=review)
    snapshot, reviews = _history(None, None)
    pull_requests_import(team=team, items=[(replace(snapshot, fetched=True), reviews, ())])

    pr = PullRequest.objects.get()
    assert pr.first_review_at == at(5) and pr.review_time_seconds == 5 * 3600
    if road.startswith("webhooks"):  # the people stored before the deletion stay
        assert pr.author.github_username == "ada"
        assert PRReview.objects.get(github_review_id=1).reviewer.github_username == "ada"


def test_the_newest_login_by_githubs_time_wins_over_an_older_delivery_redelivered(team):
    renamed = PersonFactory(github_id=42, login="new-name")
    review_upsert(team=team, pull_request=SnapshotFactory(author=renamed, updated_at=at(5)), review=ReviewFactory())
    older = SnapshotFactory(author=replace(renamed, login="old-name"), updated_at=at(1))

    pull_request_upsert(team=team, snapshot=older)  # a delivery from before the rename, redelivered now

    assert TeamMember.objects.get(github_id=42).github_username == "new-name"
    newer = SnapshotFactory(author=replace(renamed, login="newest-name"), updated_at=at(9))
    pull_request_upsert(team=team, snapshot=newer)
    assert TeamMember.objects.get(github_id=42).github_username == "newest-name"
