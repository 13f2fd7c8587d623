"""Factories: input snapshots as GitHub would describe them, and stored rows for read-side tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from apps.metrics.models import PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.types import GitHubPerson, PullRequestSnapshot, ReviewSnapshot, TimelineEntry, TimelineKind

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning


def at(hours: float) -> datetime:
    """A moment ``hours`` after T0, so scenarios read as a timeline."""
    return T0 + timedelta(hours=hours)


class PersonFactory(factory.Factory):
    class Meta:
        model = GitHubPerson

    github_id = factory.Sequence(lambda n: 1000 + n)
    login = factory.LazyAttribute(lambda p: f"dev{p.github_id}")
    avatar_url = factory.LazyAttribute(lambda p: f"https://avatars.example.com/u/{p.github_id}")
    # Decided by github_app's one rule (``is_bot_account``) when the mapping builds a person: a ``[bot]`` login is one.
    is_bot = factory.LazyAttribute(lambda p: p.login.lower().endswith("[bot]"))
    name = ""


class SnapshotFactory(factory.Factory):
    """An open, ready PR created at T0; override what the scenario needs."""

    class Meta:
        model = PullRequestSnapshot

    github_pr_id = factory.Sequence(lambda n: 500_000 + n)
    number = factory.Sequence(lambda n: n + 1)
    github_repo_id = 77
    github_repo = "acme/api"
    title = "Add rate limiting"
    body = ""
    author = factory.SubFactory(PersonFactory)
    state = "open"
    merged = False
    is_draft = False
    head_ref = "feature/rate-limit"
    base_ref = "main"
    created_at = T0
    updated_at = T0
    closed_at = None
    merged_at = None
    additions = 120
    deletions = 30
    changed_files = 4
    labels = ()


class ReviewFactory(factory.Factory):
    class Meta:
        model = ReviewSnapshot

    github_review_id = factory.Sequence(lambda n: 900_000 + n)
    reviewer = factory.SubFactory(PersonFactory)
    state = "APPROVED"
    submitted_at = factory.LazyFunction(lambda: at(2))


def entry(kind: TimelineKind, hours: float, **kwargs) -> TimelineEntry:
    return TimelineEntry(kind=kind, occurred_at=at(hours), **kwargs)


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    github_id = factory.Sequence(lambda n: 10_000 + n)
    github_username = factory.LazyAttribute(lambda m: f"member{m.github_id}")


class PullRequestFactory(factory.django.DjangoModelFactory):
    """A stored, merged PR with its metrics already filled in (read-side tests do not go through services)."""

    class Meta:
        model = PullRequest

    github_pr_id = factory.Sequence(lambda n: 700_000 + n)
    number = factory.Sequence(lambda n: n + 1)
    github_repo_id = 77
    github_repo = "acme/api"
    title = factory.Sequence(lambda n: f"Change {n}")
    author = factory.SubFactory(TeamMemberFactory, team=factory.SelfAttribute("..team"))
    state = PullRequestState.MERGED
    pr_created_at = factory.LazyFunction(lambda: at(0))
    pr_updated_at = factory.LazyAttribute(lambda pr: pr.merged_at or pr.pr_created_at)
    ready_at = factory.LazyAttribute(lambda pr: pr.pr_created_at)
    merged_at = factory.LazyAttribute(lambda pr: pr.pr_created_at + timedelta(hours=10))
    closed_at = factory.LazyAttribute(lambda pr: pr.merged_at)
    additions = 100
    deletions = 20


class PRReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PRReview

    github_review_id = factory.Sequence(lambda n: 800_000 + n)
    pull_request = factory.SubFactory(PullRequestFactory, team=factory.SelfAttribute("..team"))
    reviewer = factory.SubFactory(TeamMemberFactory, team=factory.SelfAttribute("..team"))
    state = "approved"
    submitted_at = factory.LazyFunction(lambda: at(2))
