"""One truth whatever road the data took: a PR's history told by signed webhooks and by the GraphQL import of the
same history (the GitHub emulator's), alone or interleaved, gives the same figures.

Each story is written once on the emulator's copy of GitHub: every step changes the PR there (its timeline items,
reviews, state) and records the webhook GitHub sends for it, built by the emulator from the PR as it is then. The
webhook road delivers those payloads, signed, to the real endpoint; the import road reads the PR through the real
import from the emulator's GraphQL endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.integrations.models import TrackedRepository
from apps.integrations.services.import_run import tracked_repository_import
from apps.integrations.services.tracking import repository_track, repository_untrack, tracked_repository_import_schedule
from apps.integrations.tests.factories import InstallationFactory, InstallationRepositoryFactory
from apps.integrations.tests.test_import_emulator import control, emulator  # noqa: F401  (fixture)
from apps.metrics.models import PRReview, PullRequest, PullRequestState
from apps.metrics.selectors import DashboardFilters, team_reviewer_load
from github_app.emulator.models import PullRequest as GitHubPullRequest
from github_app.emulator.models import Review, TimelineEvent
from github_app.emulator.payloads import pull_request_event, pull_request_review_event
from github_app.emulator.shapes import user_by_login

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)
T0 = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
PERIOD = DashboardFilters(start=(T0 - timedelta(days=2)).date(), end=(T0 + timedelta(days=3)).date())


@dataclass
class Road:
    """The emulator's ``acme/road``, installed and tracked by the team; ``sent`` holds the webhooks of the story."""

    gh: Any
    team: Any
    tracked: TrackedRepository
    installation_id: int
    sent: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def state(self):
        return self.gh.state

    @property
    def repo(self):
        return self.state.repo_by_full_name("acme/road")

    def _send(self, pr: GitHubPullRequest, action: str, sender: str, **extra: Any) -> None:
        inst = self.state.installations[self.installation_id]
        self.sent.append(("pull_request", pull_request_event(self.state, self.repo, pr, inst, action, sender, **extra)))

    def open(self, at: datetime, *, draft: bool = False, author: str = "alice") -> GitHubPullRequest:
        number = control(self.gh, "/_emulator/pulls", {"repository": "acme/road", "user": author})["number"]
        pr = self.state.pull_request(self.repo, number)
        pr.created_at = pr.updated_at = at
        pr.draft, pr.additions, pr.deletions, pr.changed_files = draft, 120, 30, 4
        self._send(pr, "opened", author)
        return pr

    def request(self, pr: GitHubPullRequest, login: str, at: datetime) -> None:
        pr.updated_at = at
        pr.requested_reviewers.append(login)
        pr.timeline.append(TimelineEvent("REVIEW_REQUESTED", at, actor=pr.user, reviewer=login))
        self._send(pr, "review_requested", pr.user, requested_reviewer=user_by_login(self.state, login))

    def unrequest(self, pr: GitHubPullRequest, login: str, at: datetime) -> None:
        pr.updated_at = at
        pr.requested_reviewers.remove(login)
        pr.timeline.append(TimelineEvent("REVIEW_REQUEST_REMOVED", at, actor=pr.user, reviewer=login))
        self._send(pr, "review_request_removed", pr.user, requested_reviewer=user_by_login(self.state, login))

    def ready(self, pr: GitHubPullRequest, at: datetime) -> None:
        pr.updated_at, pr.draft = at, False
        pr.timeline.append(TimelineEvent("READY_FOR_REVIEW", at, actor=pr.user))
        self._send(pr, "ready_for_review", pr.user)

    def review(self, pr: GitHubPullRequest, login: str, at: datetime, state: str = "APPROVED") -> None:
        review = Review(self.state.next_review_id(), login, state, at, "")
        pr.updated_at = at
        pr.reviews.append(review)
        pr.requested_reviewers = [r for r in pr.requested_reviewers if r != login]
        inst = self.state.installations[self.installation_id]
        payload = pull_request_review_event(self.state, self.repo, pr, review, inst, "submitted", login)
        self.sent.append(("pull_request_review", payload))

    def merge(self, pr: GitHubPullRequest, at: datetime) -> None:
        pr.updated_at, pr.state, pr.closed_at, pr.merged_at = at, "closed", at, at
        pr.requested_reviewers = []
        self._send(pr, "closed", pr.user)

    def deliver(self, signed_webhook, sent: list[tuple[str, dict]] | None = None) -> None:
        for event, payload in self.sent if sent is None else sent:
            assert signed_webhook(event, payload).status_code == 202

    def import_history(self) -> None:
        """The whole history again through GraphQL, as a first import of the repository would read it."""
        TrackedRepository.objects.filter(pk=self.tracked.pk).update(last_imported_at=None, import_cursor="")
        self.state.touch(self.repo)
        assert tracked_repository_import_schedule(tracked_repository=self.tracked)
        assert tracked_repository_import(tracked_repository_id=self.tracked.pk).status == "done"

    def forget(self) -> None:
        """Drop what the webhooks stored, so the import is the PRs' only road."""
        PullRequest.objects.filter(team=self.team).delete()


def figures(team) -> dict[str, Any]:
    """What the dashboard shows of the story's PR: open requests and median response per reviewer (reviewer load),
    the PR's ready time and pickup, state and size."""
    pr = PullRequest.objects.filter(team=team).order_by("-number").first()
    load = team_reviewer_load(team=team, filters=PERIOD)
    return {
        "open requests": {r.member.github_username: r.open_requests for r in load if r.open_requests},
        "response h": {r.member.github_username: r.response_p50 / 3600 for r in load if r.response_p50 is not None},
        "ready_at": pr.ready_at,
        "pickup h": None if pr.review_time_seconds is None else pr.review_time_seconds / 3600,
        "state": pr.state,
        "additions": pr.additions,
    }


@pytest.fixture
def road(emulator, team, settings) -> Road:  # noqa: F811
    repo = control(emulator, "/_emulator/repositories", {"owner": "acme", "name": "road", "pull_requests": 0})
    inst = control(emulator, "/_emulator/installations", {"account": "acme", "repositories": "all"})
    installation = InstallationFactory(installation_id=inst["id"], team=team, account_login="acme")
    InstallationRepositoryFactory(installation=installation, github_repo_id=repo["id"], full_name="acme/road")
    tracked = repository_track(team=team, github_repo_id=repo["id"])
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"
    # Tracked well before the story begins, so a catch-up import reads the story's PRs.
    TrackedRepository.objects.filter(pk=tracked.pk).update(last_imported_at=T0 - timedelta(days=1))
    tracked.refresh_from_db()
    settings.GITHUB_APP_WEBHOOK_SECRET = "s3cret"
    return Road(emulator, team, tracked, inst["id"])


def test_the_first_import_of_an_open_pr_shows_its_two_open_review_requests_as_webhooks_do(road, signed_webhook):
    pr = road.open(T0)
    road.request(pr, "bob", T0)
    road.request(pr, "carol", T0 + timedelta(seconds=1))

    road.deliver(signed_webhook)
    by_webhooks = figures(road.team)
    road.forget()
    road.import_history()
    by_import = figures(road.team)

    assert by_import["open requests"] == {"bob": 1, "carol": 1}
    assert by_import == by_webhooks


def test_a_reviewers_response_is_measured_from_the_request_on_both_roads(road, signed_webhook):
    """Ready at 0 h, bob asked at 4 h, bob reviews at 6 h: bob took 2 h, whichever road brought the history."""
    pr = road.open(T0)
    road.request(pr, "bob", T0 + 4 * HOUR)
    road.review(pr, "bob", T0 + 6 * HOUR)

    road.deliver(signed_webhook)
    by_webhooks = figures(road.team)
    road.forget()
    road.import_history()
    by_import = figures(road.team)

    assert by_import["response h"] == {"bob": 2.0} == by_webhooks["response h"]
    assert by_import == by_webhooks


def test_tracking_again_after_requests_changed_on_github_shows_the_requests_open_now(road, signed_webhook):
    pr = road.open(T0)
    road.request(pr, "bob", T0 + HOUR)
    road.deliver(signed_webhook)
    assert figures(road.team)["open requests"] == {"bob": 1}

    repository_untrack(team=road.team, github_repo_id=road.tracked.github_repo_id)
    road.sent.clear()
    road.unrequest(pr, "bob", T0 + 2 * HOUR)  # on GitHub while untracked: these deliveries are filtered out
    road.request(pr, "carol", T0 + 3 * HOUR)
    road.deliver(signed_webhook)
    tracked = repository_track(team=road.team, github_repo_id=road.tracked.github_repo_id)
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"  # the catch-up

    assert figures(road.team)["open requests"] == {"carol": 1}


def test_an_import_page_read_in_the_second_of_an_approval_and_its_auto_merge_keeps_the_pr_merged(road, signed_webhook):
    pr = road.open(T0)
    road.request(pr, "bob", T0)
    second = T0 + 2 * HOUR
    road.review(pr, "bob", second)  # the approval, and the auto-merge it sets off in the same second
    road.merge(pr, second)
    road.deliver(signed_webhook)
    assert figures(road.team)["state"] == PullRequestState.MERGED

    # The page was read between the two, within that second, and is written after the merge's webhook.
    pr.state, pr.closed_at, pr.merged_at = "open", None, None
    road.import_history()

    stored = PullRequest.objects.get(team=road.team, number=pr.number)
    assert stored.state == PullRequestState.MERGED and stored.merged_at == second


def test_an_older_import_page_written_after_a_review_webhook_still_gives_the_pr_its_size(road, signed_webhook):
    """The review's payload creates the PR without a size (GitHub leaves it out there); the page read before that
    review carries the size and adds it."""
    pr = road.open(T0)
    road.sent.clear()
    road.review(pr, "bob", T0 + 3 * HOUR, state="COMMENTED")
    road.deliver(signed_webhook)
    assert PullRequest.objects.get(team=road.team).additions is None

    pr.reviews.clear()  # the page was read before the review, as the PR was at T0, and is written after it
    pr.updated_at = T0
    road.import_history()

    stored = PullRequest.objects.get(team=road.team)
    assert (stored.additions, stored.deletions, stored.changed_files) == (120, 30, 4)
    assert stored.pr_updated_at == T0 + 3 * HOUR  # the newer snapshot stays the one stored
    assert PRReview.objects.filter(team=road.team).count() == 1


def test_opened_as_draft_and_marked_ready_in_the_same_second_is_ready_from_then_on_both_roads(road, signed_webhook):
    pr = road.open(T0, draft=True)
    road.ready(pr, T0)
    road.review(pr, "bob", T0 + 2 * HOUR)

    road.deliver(signed_webhook)
    by_webhooks = figures(road.team)
    road.forget()
    road.import_history()
    by_import = figures(road.team)

    assert by_webhooks["ready_at"] == T0 and by_webhooks["pickup h"] == 2.0
    assert by_import == by_webhooks


def test_opened_as_draft_by_webhook_and_ready_in_that_second_by_import_is_ready_from_then(road, signed_webhook):
    """Interleaved: the ``opened`` webhook (a draft), then an import page read after the ``ready`` of that same
    second, whose own webhook has not arrived yet."""
    pr = road.open(T0, draft=True)
    opened = list(road.sent)
    road.ready(pr, T0)
    road.review(pr, "bob", T0 + 2 * HOUR)

    road.deliver(signed_webhook, opened)
    road.import_history()
    interleaved = figures(road.team)
    road.deliver(signed_webhook, road.sent[len(opened) :])  # the rest arrives late

    assert interleaved["ready_at"] == T0 and interleaved["pickup h"] == 2.0
    assert figures(road.team) == interleaved
