"""People: identity by GitHub id, renames, org import, and the admins' hide and bot decisions."""

from __future__ import annotations

import pytest

from apps.metrics.models import PullRequest, TeamMember
from apps.metrics.services import (
    review_upsert,
    team_member_mark_bot,
    team_member_set_visibility,
    team_member_upsert,
    team_members_sync,
)
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at

pytestmark = pytest.mark.django_db


def test_people_follow_renames_and_keep_their_identity(team):
    team_member_upsert(team=team, person=PersonFactory(github_id=42, login="old-name"))
    member = team_member_upsert(team=team, person=PersonFactory(github_id=42, login="new-name", avatar_url=""))
    assert TeamMember.objects.count() == 1
    assert member.github_username == "new-name" and member.avatar_url.endswith("/u/42")


def test_org_members_are_imported_in_batches(team):
    assert team_members_sync(team=team, people=(PersonFactory() for _ in range(1203))) == 1203
    assert TeamMember.objects.for_team(team).count() == 1203


def test_marking_a_reviewer_as_bot_recomputes_the_prs_they_reviewed(team):
    snap = SnapshotFactory()
    review = ReviewFactory(submitted_at=at(2))
    review_upsert(team=team, pull_request=snap, review=review)
    member = TeamMember.objects.get(github_id=review.reviewer.github_id)
    team_member_mark_bot(team=team, member_id=member.pk, is_bot=True)
    assert PullRequest.objects.get().first_review_at is None
    team_member_mark_bot(team=team, member_id=member.pk, is_bot=False)
    assert PullRequest.objects.get().first_review_at == at(2)


def test_a_later_payload_does_not_undo_an_admins_bot_decision(team):
    person = PersonFactory(login="ci-helper")
    member = team_member_upsert(team=team, person=person)
    team_member_mark_bot(team=team, member_id=member.pk, is_bot=True)
    team_member_upsert(team=team, person=person)
    assert TeamMember.objects.get(pk=member.pk).is_bot


def test_hiding_a_member_of_another_team_is_impossible(team, other_team):
    member = team_member_upsert(team=other_team, person=PersonFactory())
    with pytest.raises(TeamMember.DoesNotExist):
        team_member_set_visibility(team=team, member_id=member.pk, is_active=False)
