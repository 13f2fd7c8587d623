"""GitHub delivers events in any order and sometimes twice; the stored result must not depend on that.

Each history below is one PR's life as the changes webhook handlers return. Hypothesis replays it shuffled and
with duplicates, one change at a time or cut into batches as a worker's drain writes them (``pull_requests_write``),
and the rows and metrics must equal those of an in-order replay, and what a recompute from scratch gives.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.metrics.models import PREvent, PRReview, PullRequest, TeamMember
from apps.metrics.rules import EventFact, PullRequestFacts, ReviewFact, pull_request_metrics
from apps.metrics.services import PullRequestChange, pull_requests_write, team_metrics_recompute
from apps.metrics.services.recompute import METRIC_FIELDS
from apps.metrics.tests.factories import PersonFactory, ReviewFactory, SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind as K
from apps.teams.models import Team

AUTHOR = PersonFactory(github_id=1, login="ada")
ALICE = PersonFactory(github_id=2, login="alice")
BOB = PersonFactory(github_id=3, login="bob")
BOT = PersonFactory(github_id=4, login="review-bot[bot]", is_bot=True)
Call = Callable[[Team], PullRequestChange]
H = 3600  # seconds in an hour


def snap(hours: float, **kwargs) -> Any:
    """The PR as GitHub describes it ``hours`` after T0; ``action`` names the webhook action that sent it."""
    return SnapshotFactory(github_pr_id=42, number=7, author=AUTHOR, updated_at=at(hours), **kwargs)


def upsert(snapshot, *timeline) -> Call:
    return lambda team: PullRequestChange(team, snapshot, timeline=tuple(timeline))


def review(snapshot, review_id: int, reviewer, state: str, hours: float | None) -> Call:
    submitted = at(hours) if hours is not None else None
    r = ReviewFactory(github_review_id=review_id, reviewer=reviewer, state=state, submitted_at=submitted)
    return lambda team: PullRequestChange(team, snapshot, reviews=(r,))


def merged_after_draft_history() -> list[Call]:
    """Opened as draft, readied, reviewed by a bot, the author and two humans, one approval dismissed, merged."""
    draft, ready, merged = (
        snap(0, is_draft=True),
        snap(2, is_draft=False),
        snap(9, state="closed", merged=True, closed_at=at(9), merged_at=at(9)),
    )
    return [
        upsert(draft, entry(K.OPENED, 0, actor=AUTHOR)),
        upsert(ready, entry(K.READY, 2, actor=AUTHOR)),
        upsert(ready, entry(K.REVIEW_REQUESTED, 2, actor=AUTHOR, subject=ALICE)),
        review(ready, 1, BOT, "commented", 2.5),
        review(ready, 2, AUTHOR, "commented", 3),
        review(ready, 3, ALICE, "APPROVED", 4),
        review(ready, 3, ALICE, "dismissed", 4),
        review(ready, 4, BOB, "approved", 6),
        upsert(merged, entry(K.MERGED, 9, actor=BOB), entry(K.CLOSED, 9, actor=BOB)),
    ]


def closed_and_reopened_history() -> list[Call]:
    """Opened ready, closed unmerged, reopened, converted to draft, then merged without any review."""
    opened, closed = snap(0), snap(3, state="closed", closed_at=at(3))
    reopened, drafted = snap(5), snap(6, is_draft=True)
    merged = snap(8, state="closed", merged=True, closed_at=at(8), merged_at=at(8))
    return [
        upsert(opened, entry(K.OPENED, 0, actor=AUTHOR)),
        upsert(closed, entry(K.CLOSED, 3, actor=AUTHOR)),
        upsert(reopened, entry(K.REOPENED, 5, actor=AUTHOR)),
        upsert(drafted, entry(K.DRAFT, 6, actor=AUTHOR)),
        upsert(snap(7), entry(K.READY, 7, actor=AUTHOR)),
        review(drafted, 9, AUTHOR, "commented", 6.5),
        upsert(merged),
    ]


def reviewed_before_ready_history() -> list[Call]:
    """A draft reviewed while still a draft, then readied, approved and left open; a review request to Bob."""
    draft, ready = snap(0, is_draft=True), snap(4)
    return [
        upsert(draft),
        review(draft, 11, ALICE, "COMMENTED", 1),
        upsert(ready, entry(K.READY, 4), entry(K.REVIEW_REQUESTED, 4, subject=BOB)),
        review(ready, 12, BOB, "pending", None),
        review(ready, 12, BOB, "APPROVED", 5),
    ]


def auto_merged_history() -> list[Call]:
    """Auto-merge: the approval, a hotfix label and the merge all carry the merge's ``updated_at`` second."""
    opened = snap(0, action="opened")
    approved = snap(9)  # the PR as the review payload describes it: still open, in the merge's second
    labeled = snap(9, labels=("hotfix",), action="labeled")
    merged = snap(9, state="closed", merged=True, closed_at=at(9), merged_at=at(9), labels=("hotfix",), action="closed")
    return [
        upsert(opened, entry(K.REVIEW_REQUESTED, 0, actor=AUTHOR, subject=ALICE)),
        review(approved, 21, ALICE, "approved", 9),
        upsert(labeled),
        upsert(merged),
    ]


def opened_as_draft_history() -> list[Call]:
    """Opened as a draft and labeled hotfix in one second, readied, then reviewed."""
    opened = snap(0, is_draft=True, action="opened")
    labeled = snap(0, is_draft=True, labels=("hotfix",), action="labeled")
    ready = snap(3, labels=("hotfix",), action="ready_for_review")
    return [
        upsert(opened),
        upsert(labeled),
        upsert(ready, entry(K.READY, 3, actor=AUTHOR)),
        review(snap(6, labels=("hotfix",)), 31, BOB, "commented", 6),
    ]


def busy_reviewers_history() -> list[Call]:
    """Alice and Bob review twice each; Alice approves again after the merge, a bot approves before it."""
    opened = snap(0)
    merged = snap(8, state="closed", merged=True, closed_at=at(8), merged_at=at(8))
    return [
        upsert(opened, entry(K.REVIEW_REQUESTED, 0.5, subject=ALICE), entry(K.REVIEW_REQUESTED, 1, subject=BOB)),
        review(opened, 41, ALICE, "approved", 2),
        review(opened, 42, ALICE, "commented", 3),
        review(opened, 43, BOB, "commented", 4),
        review(opened, 44, BOB, "approved", 5),
        upsert(merged, entry(K.MERGED, 8, actor=BOB)),
        review(merged, 45, ALICE, "approved", 9),
        review(merged, 46, BOT, "approved", 7),
    ]


HISTORIES = [
    merged_after_draft_history(),
    closed_and_reopened_history(),
    reviewed_before_ready_history(),
    auto_merged_history(),
    opened_as_draft_history(),
    busy_reviewers_history(),
]
SAME_SECOND = {"auto_merged": auto_merged_history(), "opened_as_draft": opened_as_draft_history()}


def stored_state(team: Team) -> dict[str, Any]:
    """Everything a user could see of the team's data, without surrogate keys or write times."""
    pr_fields = [f.name for f in PullRequest._meta.fields if f.name not in {"id", "team", "created_at", "updated_at"}]
    pr_fields.remove("author")
    return {
        "prs": list(PullRequest.objects.for_team(team).values(*pr_fields, "author__github_id")),
        "reviews": sorted(
            PRReview.objects.for_team(team).values_list(
                "github_review_id", "reviewer__github_id", "state", "submitted_at", "response_seconds"
            )
        ),
        "events": sorted(
            PREvent.objects.for_team(team).values_list("kind", "occurred_at", "actor__github_id", "subject_github_id")
        ),
        "members": sorted(TeamMember.objects.for_team(team).values_list("github_id", "github_username", "is_bot")),
    }


def replay(calls: list[Call]) -> dict[str, Any]:
    """Replay calls for a fresh team inside a transaction that is rolled back, so examples do not leak."""
    with transaction.atomic():
        team = Team.objects.create(name="Replay", slug="replay")
        for call in calls:
            pull_requests_write(changes=[call(team)])
        state = stored_state(team)
        transaction.set_rollback(True)
    return state


def replay_batched(calls: list[Call], cuts: list[int], *, from_scratch: bool = False) -> dict[str, Any]:
    """Replay calls as a worker's drain does: the batches between ``cuts`` each written together at their end.

    With ``from_scratch``, every derived value is then blanked and recomputed from the stored facts alone.
    """
    bounds = [0, *sorted(cuts), len(calls)]
    with transaction.atomic():
        team = Team.objects.create(name="Replay", slug="replay")
        for start, end in itertools.pairwise(bounds):
            pull_requests_write(changes=[call(team) for call in calls[start:end]])
        assert stored_metrics(team) == by_definition(team)
        if from_scratch:
            blank = {
                name: False if name in {"merged_without_review", "is_bot_author"} else None for name in METRIC_FIELDS
            }
            PullRequest.objects.for_team(team).update(**blank)
            PRReview.objects.for_team(team).update(response_seconds=None)
            team_metrics_recompute(team=team)
        state = stored_state(team)
        transaction.set_rollback(True)
    return state


def by_definition(team: Team) -> dict[str, Any]:
    """The PR's metrics and response times computed by the rules from every stored review and event, the way the
    metric definitions read, independently of which rows the services choose to read."""
    pr = PullRequest.objects.for_team(team).select_related("author").get()
    facts = PullRequestFacts(
        pr.pr_created_at, pr.merged_at, pr.is_draft, pr.author_id, bool(pr.author and pr.author.is_bot)
    )
    rows = PRReview.objects.for_team(team).select_related("reviewer")
    reviews = [
        ReviewFact(r.pk, r.reviewer_id, bool(r.reviewer and r.reviewer.is_bot), r.state, r.submitted_at) for r in rows
    ]
    events = [EventFact(e.kind, e.occurred_at, e.subject_id) for e in PREvent.objects.for_team(team)]
    metrics = pull_request_metrics(facts, reviews, events)
    return {
        "metrics": {name: getattr(metrics, name) for name in METRIC_FIELDS},
        "responses": sorted((r.github_review_id, metrics.response_seconds.get(r.pk)) for r in rows),
    }


def stored_metrics(team: Team) -> dict[str, Any]:
    return {
        "metrics": PullRequest.objects.for_team(team).values(*METRIC_FIELDS).get(),
        "responses": sorted(PRReview.objects.for_team(team).values_list("github_review_id", "response_seconds")),
    }


def shuffled_with_duplicates(data: st.DataObject, history: list[Call]) -> list[Call]:
    shuffled = data.draw(st.permutations(history), label="order")
    duplicates = data.draw(st.lists(st.sampled_from(history), max_size=4), label="duplicates")
    positions = [data.draw(st.integers(0, len(shuffled) + i)) for i in range(len(duplicates))]
    calls = list(shuffled)
    for call, position in zip(duplicates, positions, strict=True):
        calls.insert(position, call)
    return calls


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_order_with_duplicates_reaches_the_same_rows_and_metrics(data):
    history = data.draw(st.sampled_from(HISTORIES), label="history")
    calls = shuffled_with_duplicates(data, history)

    assert replay(calls) == replay(history)


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_batched_writes_in_any_order_reach_what_one_call_at_a_time_reaches(data):
    history = data.draw(st.sampled_from(HISTORIES), label="history")
    calls = shuffled_with_duplicates(data, history)
    cuts = data.draw(st.lists(st.integers(0, len(calls)), max_size=3), label="batch cuts")

    assert replay_batched(calls, cuts) == replay(history)


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_metrics_after_any_replay_equal_a_recompute_from_scratch(data):
    history = data.draw(st.sampled_from(HISTORIES), label="history")
    calls = shuffled_with_duplicates(data, history)
    cuts = data.draw(st.lists(st.integers(0, len(calls)), max_size=3), label="batch cuts")
    recomputed = replay_batched(calls, cuts, from_scratch=True)

    assert replay_batched(calls, cuts) == recomputed
    assert recomputed["prs"][0]["cycle_time_seconds"] == replay(history)["prs"][0]["cycle_time_seconds"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", SAME_SECOND)
def test_same_second_events_in_every_order_reach_the_in_order_result(name):
    history = SAME_SECOND[name]
    expected = replay(history)
    for order in itertools.permutations(history):
        assert replay(list(order)) == expected, [history.index(call) for call in order]
        assert replay_batched(list(order), []) == expected, [history.index(call) for call in order]


@pytest.mark.django_db
def test_same_second_replays_keep_every_fact_that_only_moves_forward():
    merged = replay(auto_merged_history())["prs"][0]
    assert merged["state"] == "merged" and merged["merged_at"] == at(9) and merged["cycle_time_seconds"] == 9 * H
    assert merged["is_hotfix"] and merged["labels"] == ["hotfix"] and not merged["merged_without_review"]

    drafted = replay(opened_as_draft_history())["prs"][0]
    assert drafted["is_hotfix"] and drafted["ready_at"] == at(3) and drafted["review_time_seconds"] == 3 * H


@pytest.mark.django_db
def test_the_in_order_replays_give_the_numbers_a_person_would_compute():
    merged = replay(HISTORIES[0])["prs"][0]
    assert (merged["ready_at"], merged["first_review_at"], merged["last_approval_at"]) == (at(2), at(4), at(6))
    assert (merged["review_time_seconds"], merged["cycle_time_seconds"]) == (2 * H, 9 * H)
    parts = ("draft_seconds", "pickup_seconds", "review_phase_seconds", "merge_wait_seconds")
    assert [merged[name] for name in parts] == [2 * H, 2 * H, 2 * H, 3 * H]

    reopened = replay(HISTORIES[1])["prs"][0]
    assert (
        reopened["merged_without_review"] and reopened["ready_at"] == at(7) and reopened["cycle_time_seconds"] == 8 * H
    )

    early = replay(HISTORIES[2])
    assert early["prs"][0]["first_review_at"] == at(1) and early["prs"][0]["ready_at"] == at(4)
    assert early["prs"][0]["review_time_seconds"] == 0
    assert (12, 3, "approved", at(5), 1 * H) in early["reviews"]


@pytest.mark.django_db
def test_only_a_reviewers_first_review_has_a_response_time_and_approvals_after_the_merge_do_not_count():
    busy = replay(HISTORIES[5])
    pr = busy["prs"][0]
    assert (pr["first_review_at"], pr["last_approval_at"]) == (at(2), at(5))
    assert [(review[0], review[4]) for review in busy["reviews"]] == [
        (41, 1.5 * H), (42, None), (43, 3 * H), (44, None), (45, None), (46, None)
    ]  # fmt: skip
