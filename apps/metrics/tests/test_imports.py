"""The import's batch path and recomputation reach the same numbers as the webhook path."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.metrics.models import PREvent, PullRequest
from apps.metrics.services import (
    pull_request_metrics_recompute,
    pull_request_upsert,
    pull_requests_import,
    review_upsert,
    team_metrics_recompute,
)
from apps.metrics.tests.factories import ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind as K

pytestmark = pytest.mark.django_db


def kinds(pr: PullRequest) -> list[str]:
    return list(PREvent.objects.filter(pull_request=pr).order_by("occurred_at", "kind").values_list("kind", flat=True))


def test_the_batch_import_reaches_the_same_rows_as_the_event_path(team, other_team):
    snap = SnapshotFactory(is_draft=True)
    stale = SnapshotFactory(github_pr_id=snap.github_pr_id, author=snap.author, title="stale", updated_at=at(-1))
    merged = SnapshotFactory(
        github_pr_id=snap.github_pr_id,
        author=snap.author,
        state="closed",
        merged=True,
        updated_at=at(9),
        closed_at=at(9),
        merged_at=at(9),
    )
    reviews = [ReviewFactory(submitted_at=at(4)), ReviewFactory(reviewer=snap.author, submitted_at=at(5))]
    timeline = [entry(K.READY, 2)]
    items = [(merged, reviews, timeline), (stale, [], []), (snap, reviews[:1], [])]
    assert pull_requests_import(team=team, items=iter(items), batch_size=2) == 3
    for snapshot, revs, entries in items:
        pull_request_upsert(team=other_team, snapshot=snapshot, timeline=entries)
        for review in revs:
            review_upsert(team=other_team, pull_request=snapshot, review=review)

    fields = [
        "title",
        "state",
        "ready_at",
        "first_review_at",
        "cycle_time_seconds",
        "pickup_seconds",
        "merge_wait_seconds",
    ]
    assert list(PullRequest.objects.for_team(team).values(*fields)) == list(
        PullRequest.objects.for_team(other_team).values(*fields)
    )
    assert kinds(PullRequest.objects.for_team(team).get()) == kinds(PullRequest.objects.for_team(other_team).get())
    assert PullRequest.objects.for_team(team).get().cycle_time_seconds == 9 * 3600


def test_recompute_command_restores_metrics(team):
    pr = pull_request_upsert(
        team=team,
        snapshot=SnapshotFactory(state="closed", merged=True, updated_at=at(3), closed_at=at(3), merged_at=at(3)),
    )
    PullRequest.objects.filter(pk=pr.pk).update(cycle_time_seconds=None, pickup_seconds=None)
    call_command("recompute_metrics", "--team", team.slug)
    assert PullRequest.objects.get(pk=pr.pk).cycle_time_seconds == 3 * 3600
    PullRequest.objects.filter(pk=pr.pk).update(cycle_time_seconds=None)
    assert team_metrics_recompute() == 1
    PullRequest.objects.filter(pk=pr.pk).update(cycle_time_seconds=None)
    pull_request_metrics_recompute(pull_request=pr)
    assert pr.cycle_time_seconds == 3 * 3600
