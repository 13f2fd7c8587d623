"""An import whose process died (a restart of the embedded default's web process, a killed worker) leaves its row
"running". Its heartbeat says otherwise: past ``IMPORT_LOCK_SECONDS`` of silence the repository page offers Import
now again and Import now takes the import over, continuing where it stopped (the periodic resumer: integrations)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.integrations.models import ImportStatus, TrackedRepository
from apps.integrations.tests.graphql_fake import REPO_ID, FakeGraphQL, history
from apps.integrations.tests.stalled_import import left_running
from apps.integrations.tests.test_import_run import INSTALLATION_ID
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def gql(github, settings) -> FakeGraphQL:
    """GitHub's GraphQL endpoint (mocked at the HTTP layer) with the repository's history to import."""
    settings.IMPORT_HISTORY_DAYS = 0
    github.installation_token(INSTALLATION_ID)
    return FakeGraphQL(github.mock, history(30))


def repositories_page(client, team) -> str:
    return client.get(f"/a/{team.slug}/integrations/github/repos/").content.decode()


def test_an_import_left_running_for_17_minutes_offers_import_now_which_takes_it_over(
    admin_client, team, gql, django_capture_on_commit_callbacks
):
    left_running(team, silent_for=timedelta(minutes=17))

    page = repositories_page(admin_client, team)
    assert "Import stalled" in page and "No progress for 17" in page and "40 of 110 pull requests imported" in page
    assert f"/repos/{REPO_ID}/import/" in page  # the Import now button
    assert "every 2s" not in page  # nothing is running: the row does not poll
    assert "stopped making progress" in page  # the freshness notice says so too

    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(f"/a/{team.slug}/integrations/github/repos/{REPO_ID}/import/", **HTMX)

    assert answer.status_code == 200
    row = TrackedRepository.objects.get(team=team, github_repo_id=REPO_ID)
    assert row.import_status == ImportStatus.IDLE and row.import_claim == "" and row.last_imported_at is not None
    assert PullRequest.objects.filter(team=team).count() == 30
    page = repositories_page(admin_client, team)
    assert "Import stalled" not in page and "Last imported" in page


def test_a_live_import_hides_import_now_and_polls(admin_client, team, gql):
    left_running(team, silent_for=timedelta(seconds=20))

    page = repositories_page(admin_client, team)

    assert "Import stalled" not in page and "40 of 110 pull requests imported" in page
    assert f"/repos/{REPO_ID}/import/" not in page and "every 2s" in page
