"""A close and a reopen in the same second: the snapshots cannot say which came last, so GitHub is asked.

GitHub's timestamps are whole seconds and a ``closed`` and a ``reopened`` payload of one second carry the same
``updated_at``; webhooks arrive in any order. Whichever order they are processed in, the PR is flagged for a
refresh (a signal the integrations app turns into a catch-up import), and the PR state GitHub's API then reports
for that second is taken as the truth.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from apps.metrics.models import PullRequest, PullRequestState
from apps.metrics.services import pull_request_upsert
from apps.metrics.services.pull_requests import pull_requests_import
from apps.metrics.signals import pull_request_state_unsure
from apps.metrics.tests.factories import SnapshotFactory, at, entry
from apps.metrics.types import TimelineKind

pytestmark = pytest.mark.django_db(transaction=True)  # the signal is sent once the write commits


@pytest.fixture
def unsure():
    received: list[dict] = []

    def receiver(sender, signal, **kwargs):
        received.append(kwargs)

    pull_request_state_unsure.connect(receiver)
    yield received
    pull_request_state_unsure.disconnect(receiver)


def _history():
    opened = SnapshotFactory(action="opened")
    closed = replace(opened, state="closed", updated_at=at(5), closed_at=at(5), action="closed")
    reopened = replace(opened, updated_at=at(5), closed_at=None, action="reopened")
    return opened, closed, reopened


@pytest.mark.parametrize("order", ["closed, reopened", "reopened, closed"])
def test_a_close_and_a_reopen_of_one_second_ask_github_whatever_their_order(team, unsure, order):
    opened, closed, reopened = _history()
    pull_request_upsert(team=team, snapshot=opened, timeline=[entry(TimelineKind.OPENED, 0)])
    first, second = (closed, reopened) if order == "closed, reopened" else (reopened, closed)
    pull_request_upsert(team=team, snapshot=first)
    assert unsure == []  # one event of that second: nothing to doubt yet
    pull_request_upsert(team=team, snapshot=second)
    assert unsure == [{"team_id": team.pk, "github_repo_id": opened.github_repo_id, "updated_at": at(5)}]


@pytest.mark.parametrize("github_says", ["open", "closed"])
def test_what_github_reports_for_that_second_is_the_state_kept(team, unsure, github_says):
    opened, closed, reopened = _history()
    for snapshot in (opened, reopened, closed):  # processed in the wrong order: the close looks last
        pull_request_upsert(team=team, snapshot=snapshot)
    fetched = replace(closed if github_says == "closed" else reopened, action="", fetched=True)
    pull_requests_import(team=team, items=[(fetched, (), ())])
    pr = PullRequest.objects.get()
    assert pr.state == (PullRequestState.CLOSED if github_says == "closed" else PullRequestState.OPEN)
    assert pr.closed_at == (at(5) if github_says == "closed" else None)


def test_a_close_after_a_reopen_of_an_earlier_second_is_not_doubted(team, unsure):
    opened, closed, _ = _history()
    reopened_earlier = replace(opened, updated_at=at(4), action="reopened")
    for snapshot in (opened, reopened_earlier, closed):
        pull_request_upsert(team=team, snapshot=snapshot)
    assert unsure == []
    assert PullRequest.objects.get().state == PullRequestState.CLOSED
