"""A PR closed and reopened in one second, its webhooks processed in the wrong order, ends as GitHub has it.

Both payloads carry the same ``updated_at``, so they cannot say which came last; processed reopen-then-close, the
stored PR looked closed for good. The tie now triggers a catch-up import of the repository, and the PR GitHub's
API reports settles the state.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.integrations.services.import_run import tracked_repository_import
from apps.integrations.services.tracking import repository_track
from apps.integrations.tests.factories import InstallationFactory, InstallationRepositoryFactory
from apps.integrations.tests.test_import_emulator import control, emulator  # noqa: F401  (fixture)
from apps.metrics.models import PullRequest, PullRequestState
from github_app.emulator.payloads import pull_request_event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("github_says", ["open", "closed"])
def test_a_close_and_a_reopen_of_one_second_processed_out_of_order_end_as_github_says(
    emulator,  # noqa: F811
    team,
    signed_webhook,
    settings,
    github_says,
):
    repo_json = control(emulator, "/_emulator/repositories", {"owner": "acme", "name": "flip", "pull_requests": 1})
    number = control(emulator, "/_emulator/pulls", {"repository": "acme/flip"})["number"]
    inst = control(emulator, "/_emulator/installations", {"account": "acme", "repositories": "all"})
    installation = InstallationFactory(installation_id=inst["id"], team=team, account_login="acme")
    InstallationRepositoryFactory(installation=installation, github_repo_id=repo_json["id"], full_name="acme/flip")
    tracked = repository_track(team=team, github_repo_id=repo_json["id"])
    assert tracked_repository_import(tracked_repository_id=tracked.pk).status == "done"
    settings.GITHUB_APP_WEBHOOK_SECRET = "s3cret"

    state = emulator.state
    repo = state.repo_by_full_name("acme/flip")
    pr = state.pull_request(repo, number)
    second = pr.updated_at.replace(microsecond=0) + timedelta(hours=1)
    app_installation = state.installations[inst["id"]]

    pr.state, pr.closed_at, pr.updated_at = "closed", second, second
    closed = pull_request_event(state, repo, pr, app_installation, "closed", pr.user)
    pr.state, pr.closed_at = "open", None
    reopened = pull_request_event(state, repo, pr, app_installation, "reopened", pr.user)
    if github_says == "closed":  # reopened, then closed again, in that one second
        pr.state, pr.closed_at = "closed", second
        first, last = reopened, closed
    else:  # closed, then reopened
        first, last = closed, reopened

    assert signed_webhook("pull_request", last).status_code == 202  # GitHub's last event arrives first
    assert signed_webhook("pull_request", first).status_code == 202

    stored = PullRequest.objects.get(team=team, number=pr.number)
    assert stored.state == (PullRequestState.CLOSED if github_says == "closed" else PullRequestState.OPEN)
    assert stored.closed_at == (second if github_says == "closed" else None)
    tracked.refresh_from_db()
    assert tracked.import_kind == "catch_up"
