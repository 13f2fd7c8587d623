"""An import whose process died (a restart of the embedded default's web process, a killed worker) leaves its row
"running". Its heartbeat says otherwise: past ``BACKFILL_LOCK_SECONDS`` of silence the periodic resumer takes it
over, continuing where it stopped. The repository page's Sync now does the same (apps/web/tests)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.integrations.models import SyncKind, SyncStatus, TrackedRepository
from apps.integrations.tasks import resume_backfills
from apps.integrations.tests.factories import TrackedRepositoryFactory
from apps.integrations.tests.graphql_fake import FULL_NAME, REPO_ID, FakeGraphQL, history
from apps.integrations.tests.test_backfill import INSTALLATION_ID, link_installation
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def gql(github, settings) -> FakeGraphQL:
    """GitHub's GraphQL endpoint (mocked at the HTTP layer) with the repository's history to import."""
    settings.BACKFILL_HISTORY_DAYS = 0
    github.installation_token(INSTALLATION_ID)
    return FakeGraphQL(github.mock, history(30))


def left_running(team, *, silent_for: timedelta, imported: int = 40) -> TrackedRepository:
    """A history import that wrote ``imported`` PRs, then whose process died: still "running", heartbeat old."""
    return TrackedRepositoryFactory(
        team=team,
        installation=link_installation(team),
        github_repo_id=REPO_ID,
        full_name=FULL_NAME,
        sync_status=SyncStatus.RUNNING,
        sync_kind=SyncKind.BACKFILL,
        sync_claim="process-that-died",
        sync_started_at=timezone.now() - silent_for - timedelta(minutes=1),
        sync_heartbeat_at=timezone.now() - silent_for,
        sync_imported=imported,
        sync_total=110,
    )


def test_the_resumer_takes_over_an_import_silent_for_a_few_minutes(team, gql):
    left_running(team, silent_for=timedelta(minutes=6))

    assert resume_backfills() == 1

    row = TrackedRepository.objects.get(team=team, github_repo_id=REPO_ID)
    assert row.sync_status == SyncStatus.IDLE and row.last_synced_at is not None
    assert PullRequest.objects.filter(team=team).count() == 30
