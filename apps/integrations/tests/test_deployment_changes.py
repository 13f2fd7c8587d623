"""A production deployment's changes, end to end: the GitHub emulator merges pull requests (squash merges on the
default branch, each ``merge_commit_sha`` a commit of it) and deploys, sending every delivery, signed, to our live
webhook endpoint; our task asks the emulator's compare for each deployment's range. Expected links are computed by
hand from the order of merges and deployments."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from apps.integrations.models import GitHubAppInstallation
from apps.integrations.services.linking import installation_link_to_team
from apps.integrations.tasks import compute_deployment_changes
from apps.integrations.tests.conftest import emulator_control as control
from apps.integrations.tests.factories import TrackedRepositoryFactory
from apps.metrics.models import Deployment, PullRequest
from github_app.emulator.deploy_payloads import deployment_status_event

pytestmark = pytest.mark.django_db(transaction=True)

REPO = "acme/infra"


@pytest.fixture
def infra(live_emulator, team, admin_user):
    """acme installs the App (as the manifest registers it) on acme/infra, linked to the team, which tracks it."""
    installed = control(live_emulator, "/_emulator/installations", {"account": "acme", "repositories": [REPO]})
    installation_link_to_team(installation_id=installed["id"], team=team, user=admin_user)
    installation = GitHubAppInstallation.objects.get(installation_id=installed["id"])
    repo = installation.repositories.get(full_name=REPO)
    TrackedRepositoryFactory(team=team, installation=installation, github_repo_id=repo.github_repo_id, full_name=REPO)
    return installed


def merge(gh) -> int:
    """A PR opened, approved and squash-merged on main, its webhooks delivered; its number."""
    results = control(gh, "/_emulator/activity", {"repository": REPO, "actions": ["open", "approve", "merge"]})
    return int(results["results"][-1]["number"])


def deploy(gh, **body: Any) -> dict[str, Any]:
    """A production deployment of main (or ``ref``); with ``statuses`` it succeeds at once."""
    return control(gh, "/_emulator/deployments", {"repository": REPO, "environment": "production", **body})


def shipped(team, sha: str) -> list[int]:
    row = Deployment.objects.get(team=team, sha=sha)
    return sorted(row.changes.values_list("pull_request__number", flat=True))


def test_each_deployment_ships_the_pull_requests_merged_since_the_previous_one(live_emulator, infra, team):
    first = merge(live_emulator)
    baseline = deploy(live_emulator, statuses=["success"])
    row = Deployment.objects.get(team=team, sha=baseline["sha"])
    # No earlier deployment known: only the PR whose merge commit is the deployed commit, never all of history.
    assert shipped(team, baseline["sha"]) == [first]
    assert row.baseline_unknown and row.changes_computed_at is not None and not row.is_rollback

    second, third = merge(live_emulator), merge(live_emulator)
    control(live_emulator, "/_emulator/activity", {"repository": REPO, "actions": ["open"]})  # open: never shipped
    following = deploy(live_emulator, statuses=["success"])
    row = Deployment.objects.get(team=team, sha=following["sha"])
    assert shipped(team, following["sha"]) == [second, third]
    assert (row.previous_sha, row.baseline_unknown, row.is_rollback) == (baseline["sha"], False, False)
    merged = PullRequest.objects.get(team=team, number=third)
    assert merged.merge_commit_sha == following["sha"]  # the squash commit is main's tip

    again = compute_deployment_changes.apply(args=(row.pk,)).get()
    assert again == "computed" and shipped(team, following["sha"]) == [second, third]  # idempotent


def test_deploying_an_older_commit_is_a_rollback_that_ships_nothing(live_emulator, infra, team):
    merge(live_emulator)
    old = deploy(live_emulator, statuses=["success"])
    merge(live_emulator)
    new = deploy(live_emulator, statuses=["success"])
    assert len(shipped(team, new["sha"])) == 1

    rollback = deploy(live_emulator, ref=old["sha"], statuses=["success"])
    rows = Deployment.objects.filter(team=team, sha=old["sha"]).order_by("pk")
    assert rows.count() == 2  # the first deployment of that commit and the rollback to it
    back = rows.last()
    assert back.pk != Deployment.objects.get(team=team, sha=old["sha"], previous_sha="").pk
    assert (back.is_rollback, back.previous_sha, back.changes.count()) == (True, new["sha"], 0)
    assert rollback["sha"] == old["sha"]


def test_a_success_delivered_late_moves_the_next_deployments_range(
    live_emulator, live_server, infra, team, signed_webhook
):
    """D1's success happens before D2's but reaches us after it: D2 first counts D0...D2, then D1...D2."""
    merge(live_emulator)
    deploy(live_emulator, statuses=["success"])
    b = merge(live_emulator)
    d1 = deploy(live_emulator)  # created, not succeeded yet
    hook = {"url": ""}  # GitHub fails to deliver D1's success for now
    requests.post(f"{live_emulator.url}/_emulator/webhook-url", json=hook, timeout=10).raise_for_status()
    status = control(
        live_emulator, f"/_emulator/deployments/{d1['id']}/statuses", {"repository": REPO, "state": "success"}
    )
    hook = {"url": live_server.url + "/webhooks/github/"}
    requests.post(f"{live_emulator.url}/_emulator/webhook-url", json=hook, timeout=10).raise_for_status()
    c = merge(live_emulator)
    d2 = deploy(live_emulator, statuses=["success"])
    assert shipped(team, d2["sha"]) == [b, c]
    assert Deployment.objects.get(team=team, sha=d1["sha"]).succeeded_at is None

    state = live_emulator.state
    repo = state.repo_by_full_name(REPO)
    made = next(d for d in state.deploys.of(repo).deployments if d.id == d1["id"])
    success = next(s for s in made.statuses if s.id == status["id"])
    installation = state.installation_for(live_emulator.app, "acme")
    signed_webhook("deployment_status", deployment_status_event(state, repo, made, success, installation))

    late = Deployment.objects.get(team=team, sha=d1["sha"])
    assert late.succeeded_at <= Deployment.objects.get(team=team, sha=d2["sha"]).succeeded_at  # ties: by id
    assert shipped(team, d1["sha"]) == [b]
    assert shipped(team, d2["sha"]) == [c]
    assert Deployment.objects.get(team=team, sha=d2["sha"]).previous_sha == d1["sha"]


def test_a_rate_limited_compare_leaves_the_changes_unknown_until_asked_again(live_emulator, infra, team, caplog):
    merge(live_emulator)
    deploy(live_emulator, statuses=["success"])
    number = merge(live_emulator)
    control(live_emulator, "/_emulator/rate-limit", {"rest": 0})
    limited = deploy(live_emulator, statuses=["success"])
    row = Deployment.objects.get(team=team, sha=limited["sha"])
    assert (row.changes_computed_at, shipped(team, limited["sha"])) == (None, [])
    assert f"changes of deployment {row.pk} not computed (rate limit)" in caplog.text

    control(live_emulator, "/_emulator/rate-limit", {"rest": 5000})
    assert compute_deployment_changes.apply(args=(row.pk,)).get() == "computed"
    assert shipped(team, limited["sha"]) == [number]
