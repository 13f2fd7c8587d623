"""The import end to end against the GitHub emulator: real tokens, real GraphQL pages, faults and rate limits."""

from __future__ import annotations

import pytest
import requests

from apps.integrations.models import GitHubAppInstallation, ImportStatus, TrackedRepository
from apps.integrations.services.import_run import installation_import_api, tracked_repository_import
from apps.integrations.services.tracking import repository_track, tracked_repository_import_schedule
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)
from apps.metrics.models import PRReview, PullRequest
from github_app import GraphQLError
from github_app.emulator import EmulatorConfig, EmulatorServer
from github_app.emulator.payloads import pull_request_json, review_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def emulator(settings):
    config = EmulatorConfig(port=0, scenario="demo")
    with EmulatorServer(config) as gh:
        settings.GITHUB_API_URL = settings.GITHUB_WEB_URL = gh.url
        settings.GITHUB_APP_ID, settings.GITHUB_APP_SLUG = str(config.app_id), config.slug
        settings.GITHUB_APP_PRIVATE_KEY = gh.app.private_key_pem
        settings.IMPORT_HISTORY_DAYS = 0
        yield gh


def control(gh, path: str, body: dict | None = None) -> dict:
    response = requests.post(gh.url + path, json=body or {}, timeout=10)
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture
def acme_big(emulator, team) -> int:
    """``acme/big`` with 300 PRs of 3 reviews each, installed and linked to the team; returns its repo id."""
    repo = control(emulator, "/_emulator/repositories", {"owner": "acme", "name": "big", "pull_requests": 300})
    inst = control(emulator, "/_emulator/installations", {"account": "acme", "repositories": "all"})
    row = InstallationFactory(installation_id=inst["id"], team=team, account_login="acme")
    InstallationRepositoryFactory(installation=row, github_repo_id=repo["id"], full_name="acme/big")
    requests.delete(f"{emulator.url}/_emulator/requests", timeout=10)
    return repo["id"]


def graphql_requests(gh) -> int:
    counts = requests.get(f"{gh.url}/_emulator/requests", timeout=10).json()["by_path"]
    return sum(n for path, n in counts.items() if "graphql" in path)


def rows(team) -> tuple[set, int]:
    prs = set(
        PullRequest.objects.filter(team=team).values_list(
            "github_pr_id", "title", "state", "pr_updated_at", "merged_at", "first_review_at", "ready_at"
        )
    )
    return prs, PRReview.objects.filter(team=team).count()


def test_tracking_imports_the_history_through_graphql(emulator, acme_big, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the embedded default: the import runs in-process
        tracked = repository_track(team=team, github_repo_id=acme_big)

    tracked.refresh_from_db()
    assert tracked.import_status == ImportStatus.IDLE and tracked.last_imported_at is not None
    assert PullRequest.objects.filter(team=team).count() == 300 == tracked.import_count
    assert PRReview.objects.filter(team=team).count() >= 300
    assert graphql_requests(emulator) == 7  # 300 PRs, 50 a page, and one page of what changed since the start


def test_imported_ids_past_2_31_equal_the_webhook_ids_of_the_same_pull_requests_and_reviews(emulator, acme_big, team):
    """GitHub's PR and review ids passed 2^31: the import reads them as ``fullDatabaseId`` and stores the same ids
    the webhooks carry, so a PR imported first and then updated by a webhook stays one row."""
    tracked = repository_track(team=team, github_repo_id=acme_big)
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"

    state = emulator.state
    repo = state.repo_by_full_name("acme/big")
    webhook_prs, webhook_reviews = set(), set()
    for number in range(1, 301):
        pr = state.pull_request(repo, number)
        webhook_prs.add(pull_request_json(state, repo, pr)["id"])
        webhook_reviews.update(review_json(state, repo, pr, review)["id"] for review in pr.reviews)
    assert set(PullRequest.objects.filter(team=team).values_list("github_pr_id", flat=True)) == webhook_prs
    assert set(PRReview.objects.filter(team=team).values_list("github_review_id", flat=True)) == webhook_reviews
    assert min(webhook_prs) > 2**31 and min(webhook_reviews) > 2**31


def test_a_502_from_github_halves_the_page_and_the_import_completes(emulator, acme_big, team):
    control(emulator, "/_emulator/faults", {"status": 502, "count": 1, "path_prefix": "/graphql"})
    tracked = repository_track(team=team, github_repo_id=acme_big)

    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"

    assert PullRequest.objects.filter(team=team).count() == 300


def test_pull_requests_of_deleted_users_and_mannequins_and_without_a_body_are_imported(emulator, acme_big, team):
    """GitHub answers a null author for a deleted account and a Mannequin for an imported one: the PRs count, with
    no person behind them; a PR without a description (null in webhooks, "" in GraphQL) imports like any other."""
    pulls = f"{emulator.url}/_emulator/pulls"
    ghost = requests.post(pulls, json={"repository": "acme/big", "user": "ghost", "body": None}, timeout=5).json()
    mannequin = requests.post(
        pulls, json={"repository": "acme/big", "user": "imported-bob", "author_type": "Mannequin"}, timeout=5
    ).json()
    tracked = repository_track(team=team, github_repo_id=acme_big)

    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"

    for created in (ghost, mannequin):
        pr = PullRequest.objects.get(team=team, github_pr_id=created["id"])
        assert pr.author is None and not pr.is_revert


GRAPHQL_TIMEOUT = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub "
    "bug. Please try again later."
)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502, "html": True},  # the load balancer's HTML page, not JSON
        {"status": 200, "message": GRAPHQL_TIMEOUT},  # GraphQL's timeout: a 200 with an untyped error
    ],
    ids=["html-502", "graphql-timeout-200"],
)
def test_githubs_transient_answers_halve_the_page_and_the_import_completes(emulator, acme_big, team, fault):
    control(emulator, "/_emulator/faults", {**fault, "count": 1, "path_prefix": "/graphql"})
    tracked = repository_track(team=team, github_repo_id=acme_big)

    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"

    assert PullRequest.objects.filter(team=team).count() == 300


def test_an_untyped_secondary_limit_in_a_200_waits_for_retry_after_and_then_completes(emulator, acme_big, team):
    control(
        emulator, "/_emulator/faults", {"secondary": True, "status": 200, "retry_after": 90, "path_prefix": "/graphql"}
    )
    tracked = repository_track(team=team, github_repo_id=acme_big)

    first = tracked_repository_import(tracked_repository_id=tracked.pk)
    tracked.refresh_from_db()
    assert first.status == "waiting" and 80 <= first.countdown <= 95 and tracked.import_status == ImportStatus.WAITING

    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"
    assert PullRequest.objects.filter(team=team).count() == 300


def test_an_import_cut_by_the_rate_limit_resumes_to_the_rows_of_an_uninterrupted_one(
    emulator, acme_big, team, other_team, settings
):
    settings.IMPORT_RATE_LIMIT_RESERVE = 0
    control(emulator, "/_emulator/rate-limit", {"graphql": 6})  # a page of 50 PRs costs GitHub's 2 points
    tracked = repository_track(team=team, github_repo_id=acme_big)

    first = tracked_repository_import(tracked_repository_id=tracked.pk)

    tracked.refresh_from_db()
    assert first.status == "waiting" and first.countdown and tracked.import_status == ImportStatus.WAITING
    assert PullRequest.objects.filter(team=team).count() == 150  # three pages, then RATE_LIMITED
    control(emulator, "/_emulator/rate-limit", {"graphql": 5000})  # the window resets
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"

    other = TrackedRepositoryFactory(
        team=other_team, installation=tracked.installation, github_repo_id=acme_big, full_name="acme/big"
    )
    tracked_repository_import_schedule(tracked_repository=other)
    assert tracked_repository_import(tracked_repository_id=other.pk).status == "done"
    mine, theirs = rows(team), rows(other_team)
    assert len(mine[0]) == 300 and mine == theirs


def test_an_installation_unsuspended_catches_its_repositories_up(
    emulator, acme_big, team, signed_webhook, github_payload, settings
):
    tracked = repository_track(team=team, github_repo_id=acme_big)
    tracked_repository_import(tracked_repository_id=tracked.pk)
    installation = tracked.installation
    settings.GITHUB_APP_WEBHOOK_SECRET = "s3cret"
    payload = github_payload("installation/unsuspend.payload.json")
    payload["installation"]["id"] = installation.installation_id
    control(emulator, "/_emulator/pulls", {"repository": "acme/big", "reviews": 2})
    GitHubAppInstallation.objects.filter(pk=installation.pk).update(status="suspended")

    assert signed_webhook("installation", payload).status_code == 202

    tracked.refresh_from_db()
    assert tracked.import_kind == "catch_up" and tracked.import_status == ImportStatus.IDLE
    assert PullRequest.objects.filter(team=team).count() == 301


@pytest.mark.background_imports
@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_import_runs_on_a_background_thread_and_the_track_request_answers_first(
    emulator, acme_big, team, admin_client
):
    """The embedded default: Track answers with the row still queued or running (its progress is polled), and the
    web process's background thread finishes the import."""
    from apps.integrations.services.queueing import background

    response = admin_client.post(f"/a/{team.slug}/integrations/github/repos/{acme_big}/track/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in response.content.decode()  # the row polls its progress
    background.join()
    tracked = TrackedRepository.objects.get(team=team, github_repo_id=acme_big)
    assert tracked.import_status == ImportStatus.IDLE and tracked.last_imported_at is not None
    assert PullRequest.objects.filter(team=team).count() == 300 == tracked.import_count


def test_the_import_reads_with_a_token_that_reaches_only_its_repository(emulator, acme_big, team):
    """The import's installation token is minted with ``repository_ids`` (least privilege): it reads acme/big and
    GitHub refuses it for acme's other repositories."""

    tracked = repository_track(team=team, github_repo_id=acme_big)
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"

    installation_id = tracked.installation.installation_id
    tokens = [t for t in emulator.state.tokens.values() if t.installation_id == installation_id]
    assert [t.repository_ids for t in tokens] == [(acme_big,)]
    api = installation_import_api(installation_id=installation_id, github_repo_id=acme_big)
    assert [r["full_name"] for r in api.list_repositories()] == ["acme/big"]
    assert api.pull_requests_page("acme", "big", first=1).pull_requests
    with pytest.raises(GraphQLError, match="Could not resolve to a Repository"):
        api.pull_requests_page("acme", "api", first=1)


def test_imported_merge_commits_equal_the_webhooks_merge_commit_sha(emulator, acme_big, team):
    """Whichever road a PR took, it names the same merge commit: the one a deployment's compare lists."""
    from github_app.webhooks.models import payload_reader, read_pull_request

    tracked = repository_track(team=team, github_repo_id=acme_big)
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"

    state = emulator.state
    repo = state.repo_by_full_name("acme/big")
    stored = dict(PullRequest.objects.filter(team=team).values_list("number", "merge_commit_sha"))
    from_webhooks = {
        number: read_pull_request(payload_reader(pull_request_json(state, repo, state.pull_request(repo, number))))
        for number in stored
    }
    assert stored == {number: pr.merge_commit_sha for number, pr in from_webhooks.items()}
    assert any(sha is None for sha in stored.values()) and any(sha for sha in stored.values())
