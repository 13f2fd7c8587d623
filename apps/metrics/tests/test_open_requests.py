"""Open review requests are read from a flag each request carries (``PREvent.is_open_request``), kept by every write
path. After every step of an adversarial history (same-second ties, out-of-order reviews, withdrawals, a close and
a reopen, an import, an account marked as a bot, a repository untracked) the dashboard's figure must equal the
exact answer derived from every stored request, review and withdrawal."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Count, Exists, OuterRef

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.selectors import DashboardFilters, team_reviewer_load
from apps.metrics.selectors.scope import pull_request_scope
from apps.metrics.services import pull_request_upsert, pull_requests_import, review_upsert, team_member_mark_bot
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind

pytestmark = pytest.mark.django_db
PERIOD = DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))
REQUESTED, REMOVED = TimelineKind.REVIEW_REQUESTED, TimelineKind.REVIEW_REQUEST_REMOVED


def exact_open_requests(team, filters: DashboardFilters) -> dict[str, int]:
    """Open PRs in scope per requested (visible, human) reviewer, from every stored fact: no review of theirs at or
    after a request, and no withdrawal strictly after it."""
    answered = PRReview.objects.filter(
        pull_request=OuterRef("pull_request"), reviewer=OuterRef("subject"), submitted_at__gte=OuterRef("occurred_at")
    )
    withdrawn = PREvent.objects.filter(
        pull_request=OuterRef("pull_request"),
        subject=OuterRef("subject"),
        kind=REMOVED,
        occurred_at__gt=OuterRef("occurred_at"),
    )
    open_prs = PullRequest.objects.filter(pull_request_scope(team=team, filters=filters), state=PullRequestState.OPEN)
    rows = (
        PREvent.objects.filter(team=team, kind=REQUESTED, pull_request__in=open_prs.values("pk"))
        .filter(subject__isnull=False, subject__is_active=True, subject__is_bot=False)
        .exclude(Exists(answered))
        .exclude(Exists(withdrawn))
        .values("subject__github_username")
        .annotate(n=Count("pull_request", distinct=True))
        .order_by()
    )
    return {row["subject__github_username"]: row["n"] for row in rows}


def shown(team, filters: DashboardFilters) -> dict[str, int]:
    return {
        r.member.github_username: r.open_requests
        for r in team_reviewer_load(team=team, filters=filters)
        if r.open_requests
    }


def check(team, expected: dict[str, int]) -> None:
    untracked = DashboardFilters(start=PERIOD.start, end=PERIOD.end, untracked_repo_ids=frozenset({88}))
    with_bots = DashboardFilters(start=PERIOD.start, end=PERIOD.end, include_bots=True)
    for filters in (PERIOD, untracked, with_bots):
        assert shown(team, filters) == exact_open_requests(team, filters)
    assert shown(team, PERIOD) == expected


def test_open_requests_equal_the_exact_answer_after_every_event(team, django_capture_on_commit_callbacks):
    grace, linus, ada = PersonFactory(login="grace"), PersonFactory(login="linus"), PersonFactory(login="ada")
    author = PersonFactory(login="author")
    a = SnapshotFactory(author=author, github_repo_id=77, updated_at=at(1))
    b = SnapshotFactory(author=author, github_repo_id=88, updated_at=at(1))

    # Two reviewers asked in one second on A, one on B.
    pull_request_upsert(
        team=team, snapshot=a, timeline=[entry(REQUESTED, 1, subject=grace), entry(REQUESTED, 1, subject=linus)]
    )
    pull_request_upsert(team=team, snapshot=b, timeline=[entry(REQUESTED, 1, subject=grace)])
    check(team, {"grace": 2, "linus": 1})

    # Grace reviews A in the second she was asked: answered. A review of B from before the request answers nothing.
    review_upsert(
        team=team, pull_request=a, review=ReviewFactory(reviewer=grace, state="COMMENTED", submitted_at=at(1))
    )
    review_upsert(team=team, pull_request=b, review=ReviewFactory(reviewer=grace, submitted_at=at(0.5)))
    check(team, {"grace": 1, "linus": 1})

    # Asked again on A later: open again. Linus's request removed and made again in one second: still open.
    pull_request_upsert(team=team, snapshot=a, timeline=[entry(REQUESTED, 2, subject=grace)])
    pull_request_upsert(team=team, snapshot=a, timeline=[entry(REMOVED, 2, subject=linus)])
    pull_request_upsert(team=team, snapshot=a, timeline=[entry(REQUESTED, 2, subject=linus)])
    check(team, {"grace": 2, "linus": 1})

    # Linus's request withdrawn later: gone. A second comment from grace on A, after the re-request: answered.
    pull_request_upsert(team=team, snapshot=a, timeline=[entry(REMOVED, 3, subject=linus)])
    review_upsert(
        team=team, pull_request=a, review=ReviewFactory(reviewer=grace, state="COMMENTED", submitted_at=at(3))
    )
    check(team, {"grace": 1})

    # B closed without merging, then reopened.
    closed = SnapshotFactory(
        github_pr_id=b.github_pr_id, author=author, github_repo_id=88, state="closed", updated_at=at(4), closed_at=at(4)
    )
    pull_request_upsert(team=team, snapshot=closed, timeline=[entry(TimelineKind.CLOSED, 4)])
    check(team, {})
    reopened = SnapshotFactory(github_pr_id=b.github_pr_id, author=author, github_repo_id=88, updated_at=at(5))
    pull_request_upsert(team=team, snapshot=reopened, timeline=[entry(TimelineKind.REOPENED, 5)])
    check(team, {"grace": 1})

    # The import's path: a PR imported with a request and a review answering another reviewer's request.
    c = SnapshotFactory(author=author, github_repo_id=77, updated_at=at(6))
    pull_requests_import(
        team=team,
        items=[
            (
                c,
                [ReviewFactory(reviewer=linus, submitted_at=at(6))],
                [entry(REQUESTED, 5, subject=ada), entry(REQUESTED, 5, subject=linus)],
            )
        ],
    )
    check(team, {"grace": 1, "ada": 1})

    # The author is marked as a bot: their PRs leave the scope (and come back with bots included).
    with django_capture_on_commit_callbacks(execute=True):
        team_member_mark_bot(team=team, member_id=TeamMember.objects.get(github_username="author").pk, is_bot=True)
    check(team, {})


def test_every_stored_flag_equals_the_exact_rule(team):
    """The flag itself, request by request, after reviews arrive before the requests they answer."""
    grace = PersonFactory(login="grace")
    snap = SnapshotFactory(updated_at=at(3))
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=grace, submitted_at=at(3)))
    pull_request_upsert(
        team=team, snapshot=snap, timeline=[entry(REQUESTED, 1, subject=grace), entry(REQUESTED, 4, subject=grace)]
    )
    flags = dict(PREvent.objects.filter(kind=REQUESTED).values_list("occurred_at", "is_open_request"))
    assert flags == {at(1): False, at(4): True}
