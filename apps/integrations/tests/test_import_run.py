"""The GraphQL import against GitHub mocked at the HTTP layer: paging, resuming, rate limits, 502s, untracking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from apps.integrations.models import (
    GitHubAppInstallation,
    ImportErrorKind,
    ImportStatus,
    InstallationStatus,
    TrackedRepository,
)
from apps.integrations.services.import_run import tracked_repository_import
from apps.integrations.services.tracking import (
    repositories_untrack,
    repository_track,
    tracked_repository_import_schedule,
)
from apps.integrations.tasks import import_repository
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)
from apps.integrations.tests.graphql_fake import (
    BASE,
    FULL_NAME,
    REPO_ID,
    FakeGraphQL,
    actor,
    history,
    pr_id,
    pr_node,
    requested,
)
from apps.metrics.models import PREvent, PRReview, PullRequest
from apps.metrics.selectors.pull_requests import pull_request_explanation
from apps.metrics.services import pull_request_upsert, pull_requests_import
from apps.metrics.types import GitHubPerson, PullRequestSnapshot, TimelineKind

INSTALLATION_ID = 77


def link_installation(team, installation_id: int = INSTALLATION_ID) -> GitHubAppInstallation:
    row = InstallationFactory(installation_id=installation_id, team=team, account_login="acme")
    InstallationRepositoryFactory(installation=row, github_repo_id=REPO_ID, full_name=FULL_NAME)
    return row


@pytest.fixture
def gql(github, settings):
    settings.IMPORT_HISTORY_DAYS = 0
    github.installation_token(INSTALLATION_ID)
    return FakeGraphQL(github.mock, [])


@pytest.fixture
def tracked(team, gql) -> TrackedRepository:
    link_installation(team)
    return repository_track(team=team, github_repo_id=REPO_ID)


def run(tracked: TrackedRepository):
    outcome = tracked_repository_import(tracked_repository_id=tracked.pk)
    tracked.refresh_from_db()
    return outcome


def stored(team) -> tuple[set, set]:
    prs = set(
        PullRequest.objects.filter(team=team).values_list(
            "github_pr_id", "number", "title", "state", "pr_updated_at", "merged_at", "first_review_at"
        )
    )
    reviews = set(PRReview.objects.filter(team=team).values_list("github_review_id", "state", "submitted_at"))
    return prs, reviews


def test_a_tracked_repository_imports_its_whole_history_page_by_page(tracked, gql, team):
    gql.nodes = history(120)

    outcome = run(tracked)

    assert outcome.status == "done" and outcome.imported == 120
    assert PullRequest.objects.filter(team=team).count() == 120
    assert PRReview.objects.filter(team=team).count() == 240
    assert gql.page_sizes() == [50, 50, 50, 50]  # and one page of what changed since it started (nothing)
    assert tracked.import_status == ImportStatus.IDLE and tracked.import_cursor == ""
    assert tracked.last_imported_at is not None and tracked.import_total == 120


def test_paging_stops_at_the_first_pr_older_than_the_history_window(tracked, gql, team, settings):
    settings.IMPORT_HISTORY_DAYS = 10
    now = timezone.now()
    gql.nodes = history(200, newest=now - timedelta(hours=1), step=timedelta(days=1))
    tracked_repository_import_schedule(tracked_repository=tracked)

    run(tracked)

    assert PullRequest.objects.filter(team=team).count() == 10  # updated in the last 10 days
    assert len(gql.page_sizes()) == 1  # the first page already reached older PRs: no second request


def test_an_import_interrupted_after_two_pages_resumes_to_exactly_the_rows_of_an_uninterrupted_one(
    tracked, gql, team, other_team
):
    gql.nodes = history(180)
    calls = {"n": 0}

    def crash_on_third_page(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return pull_requests_import(**kwargs)

    with (
        mock.patch("apps.integrations.services.import_run.pull_requests_import", crash_on_third_page),
        pytest.raises(RuntimeError),
    ):
        run(tracked)
    tracked.refresh_from_db()
    assert tracked.import_status == ImportStatus.FAILED and tracked.import_count == 100 and tracked.import_cursor
    assert PullRequest.objects.filter(team=team).count() == 100

    assert tracked_repository_import_schedule(tracked_repository=tracked)  # Import now resumes at the cursor
    requests_before = len(gql.requests)
    assert run(tracked).status == "done"
    assert gql.requests[requests_before]["variables"]["after"] == gql.requests[2]["variables"]["after"]
    assert len(gql.requests) - requests_before == 3  # pages 3 and 4 only, then one of what changed meanwhile

    other = TrackedRepositoryFactory(
        team=other_team, installation=tracked.installation, github_repo_id=REPO_ID, full_name=FULL_NAME
    )
    tracked_repository_import_schedule(tracked_repository=other)
    assert run(other).status == "done"
    assert stored(team) == stored(other_team)
    assert len(stored(team)[0]) == 180


def test_a_low_rate_budget_reschedules_the_task_for_the_reset(tracked, gql, team):
    gql.nodes = history(120)
    gql.remaining = 40
    gql.reset_at = datetime.now(UTC) + timedelta(minutes=20)

    with mock.patch.object(import_repository, "apply_async") as reschedule:
        assert import_repository(tracked.pk) == "waiting"

    expected = (gql.reset_at - datetime.now(UTC)).total_seconds()
    countdown = reschedule.call_args.kwargs["countdown"]
    assert abs(countdown - expected) <= 5
    assert reschedule.call_args.kwargs["args"] == (tracked.pk,)
    tracked.refresh_from_db()
    assert tracked.import_status == ImportStatus.WAITING and tracked.import_count == 50  # one page, then it paused
    assert abs((tracked.import_resume_at - gql.reset_at).total_seconds()) <= 5
    assert len(gql.page_sizes()) == 1

    gql.remaining = 4999
    assert import_repository(tracked.pk) == "done"
    assert PullRequest.objects.filter(team=team).count() == 120


def test_rate_limited_answers_reschedule_at_the_reported_reset(tracked, gql, github):
    reset = int((datetime.now(UTC) + timedelta(minutes=7)).timestamp())
    github.mock.replace(
        "POST",
        "https://api.github.com/graphql",
        json={"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )

    outcome = run(tracked)

    assert outcome.status == "waiting"
    assert abs(outcome.countdown - (reset - datetime.now(UTC).timestamp())) <= 5
    assert tracked.import_status == ImportStatus.WAITING and tracked.import_error_kind == ImportErrorKind.RATE_LIMITED


SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


@pytest.mark.parametrize(
    ("status", "headers", "body", "wait"),
    [
        (200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "RESET"}, {"errors": [{"message": "limit"}]}, 420),
        (200, {"Retry-After": "90"}, {"errors": [{"message": SECONDARY}]}, 90),
        (403, {"Retry-After": "120"}, {"message": SECONDARY}, 120),
        (200, {}, {"errors": [{"message": SECONDARY}]}, 60),
    ],
    ids=["primary-200", "secondary-200", "secondary-403", "untyped-200"],
)
def test_every_graphql_rate_limit_shape_waits_until_reset_instead_of_failing(
    tracked, gql, github, status, headers, body, wait
):
    """A rate-limited import is WAITING and resumes by itself; FAILED would wait for someone to press Import now."""
    reset = str(int((datetime.now(UTC) + timedelta(minutes=7)).timestamp()))
    headers = {k: reset if v == "RESET" else v for k, v in headers.items()}
    github.mock.replace("POST", "https://api.github.com/graphql", json=body, status=status, headers=headers)

    outcome = run(tracked)

    assert outcome.status == "waiting" and tracked.import_status == ImportStatus.WAITING
    assert abs(outcome.countdown - wait) <= 5
    assert tracked.import_error_kind == ImportErrorKind.RATE_LIMITED


def test_a_newer_webhook_snapshot_wins_over_an_older_imported_node(tracked, gql, team):
    newer = BASE + timedelta(days=3)
    pull_request_upsert(
        team=team,
        snapshot=PullRequestSnapshot(
            github_pr_id=pr_id(1),
            number=1,
            github_repo_id=REPO_ID,
            github_repo=FULL_NAME,
            title="Renamed after the import's page was read",
            body="",
            author=GitHubPerson(github_id=1, login="alice"),
            state="open",
            merged=False,
            is_draft=False,
            head_ref="feature/1",
            base_ref="main",
            created_at=BASE - timedelta(days=2),
            updated_at=newer,
            closed_at=None,
            merged_at=None,
            additions=1,
            deletions=1,
            changed_files=1,
        ),
    )
    gql.nodes = [pr_node(1, updated=BASE)]  # older: merged, old title

    run(tracked)

    pr = PullRequest.objects.get(team=team, github_pr_id=pr_id(1))
    assert pr.title == "Renamed after the import's page was read"
    assert pr.pr_updated_at == newer and pr.state == "open"
    assert pr.reviews.count() == 2  # the older node still contributes its reviews


def test_a_pull_request_with_150_reviews_is_imported_whole(tracked, gql, team):
    gql.nodes = [pr_node(1, updated=BASE, reviews=150)]

    run(tracked)

    assert PRReview.objects.filter(team=team, pull_request__github_pr_id=pr_id(1)).count() == 150
    assert sum("PullRequestReviews" in r["query"] for r in gql.requests) == 1


def test_a_review_request_withdrawn_past_the_first_100_timeline_items_is_read_and_not_left_open(tracked, gql, team):
    """An open PR whose reviewers were asked and withdrawn over and over: the import reads every timeline item,
    so only the request still standing on GitHub is open (carol's), not bob's withdrawn one."""
    start = BASE - timedelta(days=1)
    timeline = []
    for k in range(60):  # 120 items: asked and withdrawn again, one minute apart
        timeline.append(requested("bob", 2, start + timedelta(minutes=2 * k)))
        timeline.append(requested("bob", 2, start + timedelta(minutes=2 * k + 1), removed=True))
    timeline.append(requested("carol", 3, start + timedelta(hours=3)))
    gql.nodes = [pr_node(1, updated=BASE, reviews=0, state="OPEN", mergedAt=None, closedAt=None, all_timeline=timeline)]

    run(tracked)

    open_requests = PREvent.objects.filter(team=team, is_open_request=True)
    assert list(open_requests.values_list("subject__github_username", flat=True)) == ["carol"]
    assert PREvent.objects.filter(team=team, kind=TimelineKind.REVIEW_REQUEST_REMOVED).count() == 60
    assert sum("PullRequestTimeline" in r["query"] for r in gql.requests) == 1


def test_untracking_stops_a_running_import_and_tracking_again_resumes_it(tracked, gql, team):
    gql.nodes = history(200)
    gql.before_page = lambda index: index == 2 and repositories_untrack(team=team, github_repo_ids=[REPO_ID])

    outcome = run(tracked)

    assert outcome.status == "stopped"
    assert PullRequest.objects.filter(team=team).count() == 100  # pages 1-2; page 3 was not written
    assert not tracked.is_active and tracked.import_status == ImportStatus.IDLE and tracked.import_cursor
    gql.before_page = None

    repository_track(team=team, github_repo_id=REPO_ID)
    assert run(tracked).status == "done"
    assert PullRequest.objects.filter(team=team).count() == 200
    assert len(gql.page_sizes()) == 3 + 2 + 1  # resumed after page 2, never restarted; one of what changed


def test_a_502_halves_the_page_size_and_the_import_completes(tracked, gql, team):
    gql.nodes = history(150)
    gql.faults = [502]

    assert run(tracked).status == "done"

    assert PullRequest.objects.filter(team=team).count() == 150
    assert gql.page_sizes()[:5] == [50, 25, 25, 25, 50]  # halved, then grown back after three good pages


def test_github_failing_at_the_smallest_page_size_pauses_without_losing_the_place(tracked, gql, team):
    gql.nodes = history(60)
    gql.faults = [502] * 20

    outcome = run(tracked)

    assert outcome.status == "waiting" and outcome.countdown
    assert tracked.import_status == ImportStatus.WAITING and tracked.import_page_size == 5
    assert tracked.import_error_kind == ImportErrorKind.GITHUB_FAILING


def test_one_import_per_repository_and_a_stale_claim_is_taken_over(tracked, gql, team):
    gql.nodes = history(10)
    TrackedRepository.objects.filter(pk=tracked.pk).update(
        import_status=ImportStatus.RUNNING, import_claim="other-worker", import_heartbeat_at=timezone.now()
    )
    assert run(tracked).status == "busy"
    assert gql.requests == []

    TrackedRepository.objects.filter(pk=tracked.pk).update(import_heartbeat_at=timezone.now() - timedelta(hours=1))
    assert run(tracked).status == "done"
    assert PullRequest.objects.filter(team=team).count() == 10


def test_a_suspended_installation_is_not_called(tracked, gql):
    GitHubAppInstallation.objects.filter(installation_id=INSTALLATION_ID).update(status=InstallationStatus.SUSPENDED)

    assert run(tracked).status == "waiting"
    assert gql.requests == []
    assert tracked.import_error_kind == ImportErrorKind.INSTALLATION_INACTIVE


def test_a_catch_up_imports_only_what_changed_since_the_last_sync(tracked, gql, team):
    gql.nodes = history(30, newest=timezone.now() - timedelta(days=1))
    run(tracked)
    assert tracked.last_imported_at is not None

    fresh = pr_node(31, updated=timezone.now())
    gql.nodes = [fresh, *gql.nodes]
    gql.requests.clear()
    assert tracked_repository_import_schedule(tracked_repository=tracked)
    tracked.refresh_from_db()
    assert tracked.import_kind == "catch_up" and tracked.import_since < tracked.last_imported_at

    run(tracked)

    assert PullRequest.objects.filter(team=team).count() == 31
    assert len(gql.page_sizes()) == 1


def test_tracking_from_the_page_in_the_embedded_default_imports_in_process(
    admin_client, team, gql, django_capture_on_commit_callbacks
):
    link_installation(team)
    gql.nodes = history(60)
    url = f"/a/{team.slug}/integrations/github/repos/{REPO_ID}/"

    with django_capture_on_commit_callbacks(execute=True):  # no broker: the task runs eagerly after commit
        response = admin_client.post(url + "track/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert PullRequest.objects.filter(team=team).count() == 60
    row = admin_client.get(url).content.decode()
    assert "Last imported" in row and "every 2s" not in row


def test_paused_and_abandoned_imports_are_queued_again_by_the_periodic_job(team, gql):
    from apps.integrations.services.tracking import tracked_repositories_resume

    installation = link_installation(team)
    now = timezone.now()
    make = TrackedRepository.objects.create
    due = make(
        team=team,
        installation=installation,
        github_repo_id=1,
        full_name="a/1",
        import_status=ImportStatus.WAITING,
        import_resume_at=now - timedelta(minutes=5),
    )
    later = make(
        team=team,
        installation=installation,
        github_repo_id=2,
        full_name="a/2",
        import_status=ImportStatus.WAITING,
        import_resume_at=now + timedelta(minutes=5),
    )
    dead = make(
        team=team,
        installation=installation,
        github_repo_id=3,
        full_name="a/3",
        import_status=ImportStatus.RUNNING,
        import_heartbeat_at=now - timedelta(hours=2),
    )
    alive = make(
        team=team,
        installation=installation,
        github_repo_id=4,
        full_name="a/4",
        import_status=ImportStatus.RUNNING,
        import_heartbeat_at=now,
    )

    with mock.patch.object(import_repository, "apply_async") as enqueue:
        assert tracked_repositories_resume() == 2

    assert {c.kwargs["args"][0] for c in enqueue.call_args_list} == {due.pk, dead.pk}
    assert later.pk and alive.pk


def test_import_runs_on_its_own_queue_apart_from_webhooks():
    from config.celery import app

    assert app.amqp.router.route({}, import_repository.name)["queue"].name == "imports"
    assert app.amqp.router.route({}, "apps.integrations.tasks.process_delivery")["queue"].name == "webhooks"


def test_a_webhook_arriving_while_a_page_is_read_wins_over_the_older_page(
    team, github, settings, signed_webhook, github_payload
):
    """GitHub's example delivery (PR 279147437, updated 15:20:33) lands between reading and writing a page whose
    node for the same PR is older (15:00): the stored PR stays the webhook's."""
    settings.IMPORT_HISTORY_DAYS = 0
    github.installation_token(1)
    older = pr_node(
        2,
        updated=datetime(2019, 5, 15, 15, 0, tzinfo=UTC),
        fullDatabaseId="279147437",
        title="Imported older title",
        state="OPEN",
        closedAt=None,
        mergedAt=None,
    )
    gql = FakeGraphQL(github.mock, [older])
    installation = InstallationFactory(installation_id=1, team=team, account_login="Codertocat")
    InstallationRepositoryFactory(
        installation=installation, github_repo_id=186853002, full_name="Codertocat/Hello-World"
    )
    tracked = repository_track(team=team, github_repo_id=186853002)
    gql.before_page = lambda index: signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"))

    assert run(tracked).status == "done"

    pr = PullRequest.objects.get(team=team, github_pr_id=279147437)
    assert pr.title == "Update the README with new information."
    assert pr.pr_updated_at == datetime(2019, 5, 15, 15, 20, 33, tzinfo=UTC)
    assert pr.reviews.count() == 2  # the older page still adds what the webhook did not know


def _timeline_texts(team) -> list[str]:
    pr = PullRequest.objects.get(team=team)
    return [item.text for item in pull_request_explanation(team=team, pull_request_id=pr.pk).timeline]


def test_a_pr_opened_as_a_draft_and_readied_in_the_same_second_is_imported_as_opened_as_a_draft(tracked, gql, team):
    """GitHub records no timeline item for opening as a draft: a first ``ReadyForReviewEvent`` tells it. The panel
    says it once ("Opened as a draft by alice"), as it does for the webhooks' ``opened`` of a draft."""
    node = pr_node(1, updated=BASE, reviews=0)
    created = datetime.fromisoformat(node["createdAt"])
    ready = {"__typename": "ReadyForReviewEvent", "createdAt": node["createdAt"], "actor": actor("alice", 1)}
    gql.nodes = [{**node, "all_timeline": [ready]}]

    run(tracked)

    texts = _timeline_texts(team)
    assert texts[:2] == ["Opened as a draft by alice", "Ready for review by alice"]
    assert "Opened by alice" not in texts
    assert PullRequest.objects.get(team=team).ready_at == created


def test_a_pr_closed_and_reopened_before_the_import_shows_its_close_and_reopen(tracked, gql, team):
    """An open PR's state says nothing of an earlier close: its ``ClosedEvent`` and ``ReopenedEvent`` do, as the
    webhooks' ``closed`` and ``reopened`` would have."""
    closed, reopened = BASE - timedelta(hours=5), BASE - timedelta(hours=1)
    items = [
        {"__typename": "ClosedEvent", "createdAt": closed.isoformat(), "actor": actor("alice", 1)},
        {"__typename": "ReopenedEvent", "createdAt": reopened.isoformat(), "actor": actor("alice", 1)},
    ]
    gql.nodes = [pr_node(1, updated=BASE, reviews=0, state="OPEN", mergedAt=None, closedAt=None, all_timeline=items)]

    run(tracked)

    texts = _timeline_texts(team)
    assert [t for t in texts if t in {"Closed", "Reopened by alice"}] == ["Closed", "Reopened by alice"]


def test_a_pr_updated_while_the_import_pages_is_read_by_a_pass_over_what_changed_since(tracked, gql, team, settings):
    """Pages come newest first: #1, updated on GitHub while page 2 is on its way, moves ahead of the cursor and
    page 2 shows #2 again. A second pass over the PRs updated since the import started reads #1 and its reviews."""
    settings.IMPORT_PAGE_SIZE = settings.IMPORT_MIN_PAGE_SIZE = 1
    gql.nodes = [pr_node(2, updated=BASE, reviews=0), pr_node(1, updated=BASE - timedelta(days=1), reviews=2)]

    def pr_1_updated(index: int) -> None:
        if index == 1:
            moved = {**gql.nodes[1], "updatedAt": (timezone.now() + timedelta(minutes=1)).isoformat()}
            gql.nodes = [moved, gql.nodes[0]]

    gql.before_page = pr_1_updated

    assert run(tracked).status == "done"

    assert PRReview.objects.filter(team=team, pull_request__number=1).count() == 2
