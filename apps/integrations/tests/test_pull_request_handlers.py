"""pull_request and pull_request_review deliveries, sent as GitHub sends them, become PRs and reviews.

The payloads are GitHub's own examples: installation 1, repository 186853002 (Codertocat/Hello-World),
pull request 279147437 (#2) and review 237895671 by Codertocat, the PR's author.
"""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.services.processing import delivery_process
from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory
from apps.metrics.models import PRReview, PullRequest, TeamMember

pytestmark = pytest.mark.django_db

REPO_ID, PR_ID, REVIEW_ID = 186853002, 279147437, 237895671


@pytest.fixture
def tracked(team):
    installation = InstallationFactory(installation_id=1, team=team, account_login="Codertocat")
    return TrackedRepositoryFactory(
        team=team, installation=installation, github_repo_id=REPO_ID, full_name="Codertocat/Hello-World"
    )


def status_of(delivery_id):
    delivery = WebhookDelivery.objects.get(delivery_id=delivery_id)
    return delivery.status, delivery.reason


def test_an_opened_pull_request_of_a_tracked_repository_is_stored(signed_webhook, github_payload, tracked, team):
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"), delivery_id="opened")
    assert status_of("opened") == (DeliveryStatus.PROCESSED, "")
    pr = PullRequest.objects.get(team=team, github_pr_id=PR_ID)
    assert (pr.number, pr.github_repo, pr.state, pr.title) == (
        2,
        "Codertocat/Hello-World",
        "open",
        "Update the README with new information.",
    )
    assert pr.author.github_username == "Codertocat" and pr.author.github_id == 21031067
    assert (pr.additions, pr.deletions, pr.changed_files) == (1, 1, 1)


def test_events_of_an_untracked_repository_are_ignored(signed_webhook, github_payload, tracked, team):
    tracked.is_active = False
    tracked.save()
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"), delivery_id="untracked")
    signed_webhook(
        "pull_request_review",
        github_payload("pull_request_review/submitted.payload.json"),
        delivery_id="untracked-review",
    )
    assert status_of("untracked") == (DeliveryStatus.IGNORED, "repository not tracked")
    assert status_of("untracked-review") == (DeliveryStatus.IGNORED, "repository not tracked")
    assert not PullRequest.objects.exists()


def test_events_of_unknown_or_unlinked_installations_are_ignored(signed_webhook, github_payload, team):
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"), delivery_id="unknown")
    assert status_of("unknown") == (DeliveryStatus.IGNORED, "unknown installation")
    InstallationFactory(installation_id=1, account_login="Codertocat")
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"), delivery_id="unlinked")
    assert status_of("unlinked") == (DeliveryStatus.IGNORED, "installation not linked to a team")
    assert not PullRequest.objects.exists()


def test_a_review_before_its_pull_request_creates_the_pull_request(signed_webhook, github_payload, tracked, team):
    signed_webhook("pull_request_review", github_payload("pull_request_review/submitted.payload.json"))
    review = PRReview.objects.get(team=team, github_review_id=REVIEW_ID)
    assert review.state == "commented"
    assert review.pull_request.github_pr_id == PR_ID
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"))
    assert PullRequest.objects.count() == 1
    # The review payload's PR is newer (15:20:38) than the opened one (15:20:33): the newer snapshot stays.
    pr = PullRequest.objects.get()
    assert pr.pr_updated_at.isoformat().startswith("2019-05-15T15:20:38")


def test_a_newer_review_payload_keeps_the_size_it_does_not_carry(signed_webhook, github_payload, tracked):
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"))
    signed_webhook("pull_request_review", github_payload("pull_request_review/submitted.payload.json"))
    pr = PullRequest.objects.get()
    assert pr.pr_updated_at.isoformat().startswith("2019-05-15T15:20:38")  # the review's newer snapshot applied
    assert (pr.additions, pr.deletions, pr.changed_files) == (1, 1, 1)


def test_an_older_snapshot_never_overwrites_a_newer_one(signed_webhook, github_payload, tracked, team):
    signed_webhook("pull_request", github_payload("pull_request/closed.payload.json"))
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"))  # late, older
    pr = PullRequest.objects.get()
    assert pr.state == "closed" and pr.closed_at is not None


def test_ready_for_review_takes_the_snapshot_time_not_the_arrival_time(signed_webhook, github_payload, tracked):
    signed_webhook("pull_request", github_payload("pull_request/converted_to_draft.with-installation.payload.json"))
    signed_webhook("pull_request", github_payload("pull_request/ready_for_review.with-installation.payload.json"))
    pr = PullRequest.objects.get()
    assert pr.is_draft is False
    assert pr.ready_at.isoformat().startswith("2019-05-15T15:21:18")


def test_the_same_delivery_twice_and_the_same_event_under_two_ids_store_one_row(
    signed_webhook, github_payload, tracked
):
    payload = github_payload("pull_request_review/submitted.payload.json")
    signed_webhook("pull_request_review", payload, delivery_id="a")
    signed_webhook("pull_request_review", payload, delivery_id="a")
    signed_webhook("pull_request_review", payload, delivery_id="b")  # a redelivery GitHub gave a new id
    assert (PullRequest.objects.count(), PRReview.objects.count(), TeamMember.objects.count()) == (1, 1, 1)


def test_one_team_never_receives_another_installations_data(signed_webhook, github_payload, tracked, other_team):
    TrackedRepositoryFactory(team=other_team, github_repo_id=REPO_ID, full_name="Codertocat/Hello-World")
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"))
    assert not PullRequest.objects.filter(team=other_team).exists()
    assert PullRequest.objects.filter(team=tracked.team).count() == 1


@pytest.mark.django_db(transaction=True)  # as in production: the worker's transaction is the outermost one
@pytest.mark.parametrize("existing_reviews", [0, 50])
def test_processing_one_pull_request_event_takes_a_bounded_number_of_queries(
    signed_webhook, github_payload, tracked, use_broker, existing_reviews
):
    review_payload = github_payload("pull_request_review/submitted.payload.json")
    for n in range(existing_reviews):
        payload = copy.deepcopy(review_payload)
        payload["review"]["id"] = REVIEW_ID + n
        payload["review"]["user"]["id"] = 1000 + n
        signed_webhook("pull_request_review", payload)
    use_broker("memory://")  # store without processing, then process under the counter
    payload = github_payload("pull_request/closed.payload.json")
    signed_webhook("pull_request", payload, delivery_id="counted")
    delivery = WebhookDelivery.objects.get(delivery_id="counted")
    with CaptureQueriesContext(connection) as captured:
        assert delivery_process(delivery_pk=delivery.pk) == DeliveryStatus.PROCESSED
    # SQLite's backend sends BEGIN (IMMEDIATE) and COMMIT as statements; PostgreSQL's driver does not. Count the rest.
    statements = [q["sql"] for q in captured.captured_queries if q["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")]
    assert len(statements) <= 15, "\n".join(s[:100] for s in statements)


def test_review_requests_and_their_withdrawal_are_recorded_for_the_reviewer(signed_webhook, github_payload, tracked):
    from apps.metrics.models import PREvent

    signed_webhook("pull_request", github_payload("pull_request/review_requested.payload.json"))
    signed_webhook("pull_request", github_payload("pull_request/review_request_removed.payload.json"))
    kinds = set(PREvent.objects.filter(subject__github_username="octocat").values_list("kind", flat=True))
    assert kinds == {"review_requested", "review_request_removed"}


@pytest.mark.django_db(transaction=True)
def test_a_rename_drained_after_pull_request_deliveries_renames_their_prs_too(
    signed_webhook, github_payload, tracked, team, use_broker
):
    """On PostgreSQL one drain batch writes the PR changes of its deliveries together; a delivery whose handler
    writes PR rows itself (a rename) has the changes of the deliveries before it written first."""
    from apps.integrations.tasks import drain_deliveries

    renamed = copy.deepcopy(github_payload("repository/renamed.payload.json"))
    renamed["repository"]["id"], renamed["repository"]["full_name"] = REPO_ID, "Codertocat/Hello-Again"
    use_broker("memory://")  # stored, not processed: the drain below takes both, in order
    signed_webhook("pull_request", github_payload("pull_request/opened.payload.json"), delivery_id="opened")
    signed_webhook("repository", renamed, delivery_id="renamed")

    assert drain_deliveries() == 2
    assert status_of("opened") == status_of("renamed") == (DeliveryStatus.PROCESSED, "")
    assert PullRequest.objects.get(team=team, github_pr_id=PR_ID).github_repo == "Codertocat/Hello-Again"


def test_a_merged_pull_requests_merge_commit_is_kept_and_an_open_ones_test_merge_is_not(
    signed_webhook, github_payload, tracked, team
):
    """GitHub fills ``merge_commit_sha`` on an open PR with a test merge that never reaches the base branch: only a
    merge's own commit is what a deployment can ship."""
    opened = github_payload("pull_request/opened.payload.json")
    opened["pull_request"]["merge_commit_sha"] = "a" * 40
    signed_webhook("pull_request", opened, delivery_id="opened")
    assert PullRequest.objects.get(team=team, github_pr_id=PR_ID).merge_commit_sha is None

    closed = copy.deepcopy(opened)
    closed["action"] = "closed"
    closed["pull_request"] |= {
        "state": "closed",
        "merged": True,
        "merged_at": "2030-01-01T00:00:00Z",
        "closed_at": "2030-01-01T00:00:00Z",
        "updated_at": "2030-01-01T00:00:00Z",
        "merge_commit_sha": "b" * 40,
    }
    signed_webhook("pull_request", closed, delivery_id="merged")
    assert PullRequest.objects.get(team=team, github_pr_id=PR_ID).merge_commit_sha == "b" * 40

    later = copy.deepcopy(closed)
    later["action"] = "labeled"
    later["pull_request"] |= {"updated_at": "2030-01-02T00:00:00Z", "merge_commit_sha": None}
    signed_webhook("pull_request", later, delivery_id="labeled")
    assert PullRequest.objects.get(team=team, github_pr_id=PR_ID).merge_commit_sha == "b" * 40
