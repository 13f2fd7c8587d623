"""Reviewer load counts reviews by their PR's scope, read from the copies each review carries of its PR's author,
bot flag and repository: those copies follow the PR on every write path (webhook, import, mark as bot)."""

from __future__ import annotations

from datetime import date

import pytest

from apps.metrics.models import PRReview, PullRequest, TeamMember
from apps.metrics.selectors import DashboardFilters, team_reviewer_load
from apps.metrics.services import pull_requests_import, review_upsert, team_member_mark_bot
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at

pytestmark = pytest.mark.django_db
PERIOD = DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))


def reviews_counted(team, filters: DashboardFilters = PERIOD) -> dict[str, int]:
    return {row.member.github_username: row.reviews for row in team_reviewer_load(team=team, filters=filters)}


def copies_match_their_pull_requests() -> bool:
    pairs = PRReview.objects.values_list(
        "pr_author_id", "pr_is_bot_author", "pr_github_repo_id",
        "pull_request__author_id", "pull_request__is_bot_author", "pull_request__github_repo_id",
    )  # fmt: skip
    return all(copy[:3] == copy[3:] for copy in pairs)


def test_reviews_of_a_pr_by_an_account_marked_bot_leave_reviewer_load(team, django_capture_on_commit_callbacks):
    author = PersonFactory(login="renovate-ish")
    ada = PersonFactory(login="ada")
    snap = SnapshotFactory(author=author)
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=ada, submitted_at=at(2)))
    assert reviews_counted(team) == {"ada": 1}

    with django_capture_on_commit_callbacks(execute=True):
        team_member_mark_bot(
            team=team, member_id=TeamMember.objects.get(github_username="renovate-ish").pk, is_bot=True
        )

    assert PullRequest.objects.get().is_bot_author and copies_match_their_pull_requests()
    assert reviews_counted(team) == {}
    with_bots = DashboardFilters(start=PERIOD.start, end=PERIOD.end, include_bots=True)
    assert reviews_counted(team, with_bots) == {"ada": 1}


def test_marking_a_bot_reaches_reviews_that_decide_no_metric(team, django_capture_on_commit_callbacks):
    """A reviewer's second comment decides no metric, so the metrics read never loads it: its copy of the PR's bot
    flag must follow all the same, or reviewer load would keep counting it."""
    author, ada = PersonFactory(login="renovate-ish"), PersonFactory(login="ada")
    snap = SnapshotFactory(author=author)
    for hour, state in ((2, "commented"), (3, "commented"), (4, "commented")):
        review_upsert(
            team=team, pull_request=snap, review=ReviewFactory(reviewer=ada, state=state, submitted_at=at(hour))
        )
    assert reviews_counted(team) == {"ada": 3}

    with django_capture_on_commit_callbacks(execute=True):
        team_member_mark_bot(
            team=team, member_id=TeamMember.objects.get(github_username="renovate-ish").pk, is_bot=True
        )

    assert copies_match_their_pull_requests()
    assert reviews_counted(team) == {}


def test_imported_reviews_follow_the_repository_and_author_filters(team):
    ada, grace, linus = PersonFactory(login="ada"), PersonFactory(login="grace"), PersonFactory(login="linus")
    items = [
        (SnapshotFactory(author=linus, github_repo_id=77), [ReviewFactory(reviewer=ada, submitted_at=at(2))], []),
        (SnapshotFactory(author=ada, github_repo_id=88), [ReviewFactory(reviewer=grace, submitted_at=at(3))], []),
        # The author's own review never counts.
        (SnapshotFactory(author=grace, github_repo_id=88), [ReviewFactory(reviewer=grace, submitted_at=at(4))], []),
    ]
    pull_requests_import(team=team, items=items)

    assert copies_match_their_pull_requests()
    assert reviews_counted(team) == {"ada": 1, "grace": 1}
    only_88 = DashboardFilters(start=PERIOD.start, end=PERIOD.end, repo_id=88)
    assert reviews_counted(team, only_88) == {"grace": 1}
    by_linus = DashboardFilters(
        start=PERIOD.start, end=PERIOD.end, author_id=TeamMember.objects.get(github_username="linus").pk
    )
    assert reviews_counted(team, by_linus) == {"ada": 1}


def test_a_review_that_arrives_before_its_pr_is_known_still_carries_the_pr(team):
    """GitHub may deliver ``pull_request_review`` before ``pull_request.opened``: the review's PR snapshot makes
    the PR, and the review's copies are that PR's."""
    snap = SnapshotFactory(author=PersonFactory(login="linus"), github_repo_id=99)
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=PersonFactory(login="ada")))
    assert copies_match_their_pull_requests()
    assert PRReview.objects.get().pr_github_repo_id == 99
