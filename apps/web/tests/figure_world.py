"""A seeded team for the figure-list tests: one PR of every kind a figure counts or leaves out, through the
metrics services (so every derived column is what production computes), in the period Oct 15 to Nov 20, 2026."""

from __future__ import annotations

from datetime import timedelta

from apps.integrations.models import TrackedRepository
from apps.metrics.models import TeamMember
from apps.metrics.services import pull_request_upsert, review_upsert
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind
from apps.teams.models import Team

PERIOD = {"start": "2026-10-15", "end": "2026-11-20"}
API, WEB, OLD = (77, "acme/api"), (88, "acme/web"), (99, "acme/old")


def _merged(team: Team, author, hours: float, *, repo=API, reviewer=None, review_at: float | None = None, **kw):
    merged_at = at(hours)
    snap = SnapshotFactory(
        author=author, github_repo_id=repo[0], github_repo=repo[1], state="closed", merged=True,
        updated_at=merged_at, closed_at=merged_at, merged_at=merged_at, **kw,
    )  # fmt: skip
    timeline = [entry(TimelineKind.REVIEW_REQUESTED, 0.5, subject=reviewer)] if reviewer else []
    pull_request_upsert(team=team, snapshot=snap, timeline=timeline)
    if reviewer is not None:
        submitted = at(review_at if review_at is not None else hours / 2)
        review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=reviewer, submitted_at=submitted))
    return snap


def seed_figure_world(team: Team) -> dict:
    """Alice's PRs reviewed by Grace, plus one of each thing a figure leaves out; returns the people."""
    alice, grace, bob = PersonFactory(login="alice"), PersonFactory(login="grace"), PersonFactory(login="bob")
    hidden, bot = PersonFactory(login="contractor"), PersonFactory(login="renovate[bot]", is_bot=True)
    for i, hours in enumerate((3, 7, 12, 20, 31, 45, 70, 130)):  # merged, reviewed, spread over two weeks
        snap = _merged(team, alice, hours + i * 24, reviewer=grace, additions=10 * (i + 1), deletions=i)
    review_upsert(team=team, pull_request=snap, review=ReviewFactory(reviewer=bob, submitted_at=at(170)))
    second = _merged(team, bob, 200, reviewer=grace, review_at=10)
    review_upsert(team=team, pull_request=second, review=ReviewFactory(reviewer=grace, submitted_at=at(150)))
    review_upsert(team=team, pull_request=second, review=ReviewFactory(reviewer=bob, submitted_at=at(160)))  # own
    _merged(team, alice, 60, title='Revert "Add rate limiting"', head_ref="revert-12-rate", reviewer=grace)
    _merged(team, bob, 80, head_ref="hotfix/login", reviewer=grace)
    _merged(team, bob, 90)  # merged without review
    _merged(team, bot, 100)  # bot author
    _merged(team, hidden, 110, reviewer=grace)  # hidden person
    _merged(team, alice, 120, repo=OLD, reviewer=grace)  # untracked repository
    _merged(team, alice, 140, repo=WEB, reviewer=grace, additions=None)  # size not reported
    # Opened before the period and first reviewed before it, merged in it: out of pickup, in cycle time.
    early = SnapshotFactory(author=bob, created_at=at(-500), updated_at=at(-500))
    pull_request_upsert(team=team, snapshot=early)
    review_upsert(team=team, pull_request=early, review=ReviewFactory(reviewer=grace, submitted_at=at(-480)))
    merged_early = SnapshotFactory(
        github_pr_id=early.github_pr_id, number=early.number, author=bob, created_at=at(-500), state="closed",
        merged=True, updated_at=at(24), closed_at=at(24), merged_at=at(24),
    )  # fmt: skip
    pull_request_upsert(team=team, snapshot=merged_early)
    # Open and waiting on Grace; closed without merging; a draft reviewed but never ready (no pickup).
    waiting = SnapshotFactory(author=alice, created_at=at(300), updated_at=at(300))
    pull_request_upsert(
        team=team, snapshot=waiting, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 301, subject=grace)]
    )
    hidden_waiting = SnapshotFactory(author=hidden, created_at=at(300), updated_at=at(300))
    pull_request_upsert(
        team=team, snapshot=hidden_waiting, timeline=[entry(TimelineKind.REVIEW_REQUESTED, 301, subject=grace)]
    )
    closed = SnapshotFactory(author=alice, created_at=at(10), state="closed", updated_at=at(40), closed_at=at(40))
    pull_request_upsert(team=team, snapshot=closed)
    draft = SnapshotFactory(author=bob, created_at=at(5), updated_at=at(5), is_draft=True)
    pull_request_upsert(team=team, snapshot=draft, timeline=[entry(TimelineKind.DRAFT, 0)])
    review_upsert(team=team, pull_request=draft, review=ReviewFactory(reviewer=grace, submitted_at=at(8)))
    # Outside the period entirely: never part of any list.
    _merged(team, alice, -2000, created_at=at(-2100), reviewer=grace, review_at=-2050)
    TeamMember.objects.filter(team=team, github_id=hidden.github_id).update(is_active=False)
    TeamMember.objects.filter(team=team, github_id=bot.github_id).update(is_bot=True)
    TrackedRepository.objects.create(team=team, github_repo_id=OLD[0], full_name=OLD[1], is_active=False)
    return {"alice": alice, "grace": grace, "bob": bob, "until": at(0) + timedelta(days=18)}
