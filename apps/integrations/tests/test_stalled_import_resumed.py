"""An import whose process died (a restart of the embedded default's web process, a killed worker) leaves its row
"running". Its heartbeat says otherwise: past ``IMPORT_LOCK_SECONDS`` of silence the periodic resumer takes it
over, continuing where it stopped. The repository page's Import now does the same (apps/web/tests)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.integrations.models import ImportStatus, TrackedRepository
from apps.integrations.tasks import resume_imports
from apps.integrations.tests.graphql_fake import REPO_ID, FakeGraphQL, history
from apps.integrations.tests.stalled_import import left_running
from apps.integrations.tests.test_import_run import INSTALLATION_ID
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def gql(github, settings) -> FakeGraphQL:
    """GitHub's GraphQL endpoint (mocked at the HTTP layer) with the repository's history to import."""
    settings.IMPORT_HISTORY_DAYS = 0
    github.installation_token(INSTALLATION_ID)
    return FakeGraphQL(github.mock, history(30))


def test_the_resumer_takes_over_an_import_silent_for_a_few_minutes(team, gql):
    left_running(team, silent_for=timedelta(minutes=6))

    assert resume_imports() == 1

    row = TrackedRepository.objects.get(team=team, github_repo_id=REPO_ID)
    assert row.import_status == ImportStatus.IDLE and row.last_imported_at is not None
    assert PullRequest.objects.filter(team=team).count() == 30
