"""People: identity by GitHub id, renames, and the admins' hide and bot decisions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from apps.metrics.models import MetricsRecompute, PRReview, PullRequest, TeamMember
from apps.metrics.services import (
    pull_request_upsert,
    pull_requests_import,
    review_upsert,
    team_member_mark_bot,
    team_member_set_visibility,
)
from apps.metrics.services.members import team_members_bulk_upsert
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at

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


def _reviewed_by(team, helper, count: int) -> None:
    for _ in range(count):
        review_upsert(
            team=team, pull_request=SnapshotFactory(), review=ReviewFactory(reviewer=helper, submitted_at=at(2))
        )


@pytest.mark.django_db(transaction=True)
def test_another_teams_recompute_does_not_wait_for_a_long_one(team, other_team, use_broker, worker_turns, monkeypatch):
    from apps.metrics.services import members

    monkeypatch.setattr(members, "RECOMPUTE_BATCH", 2)
    use_broker("memory://")
    busy, small = PersonFactory(login="busy-bot"), PersonFactory(login="small-bot")
    _reviewed_by(team, busy, 10)
    _reviewed_by(other_team, small, 1)
    team_member_mark_bot(team=team, member_id=TeamMember.objects.get(github_id=busy.github_id).pk, is_bot=True)
    other_member = TeamMember.objects.get(team=other_team, github_id=small.github_id)
    team_member_mark_bot(team=other_team, member_id=other_member.pk, is_bot=True)

    worker_turns(2)  # the first turn of the long one, then the other team's

    assert MetricsRecompute.objects.get(team=other_team).status == "done"
    assert MetricsRecompute.objects.get(team=team).status == "running"  # 2 of 10 so far
    worker_turns()
    assert MetricsRecompute.objects.get(team=team).status == "done"
    assert PullRequest.objects.filter(first_review_at__isnull=True).count() == 11


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
