"""A history import whose process died, for the tests of its takeover: by the periodic resumer here, by the
repository page's Import now in apps/web/tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.integrations.models import ImportKind, ImportStatus, TrackedRepository
from apps.integrations.tests.factories import TrackedRepositoryFactory
from apps.integrations.tests.graphql_fake import FULL_NAME, REPO_ID
from apps.integrations.tests.test_import_run import link_installation


def left_running(team, *, silent_for: timedelta, imported: int = 40) -> TrackedRepository:
    """A history import that wrote ``imported`` PRs, then whose process died: still "running", heartbeat old."""
    return TrackedRepositoryFactory(
        team=team,
        installation=link_installation(team),
        github_repo_id=REPO_ID,
        full_name=FULL_NAME,
        import_status=ImportStatus.RUNNING,
        import_kind=ImportKind.HISTORY,
        import_claim="process-that-died",
        import_started_at=timezone.now() - silent_for - timedelta(minutes=1),
        import_heartbeat_at=timezone.now() - silent_for,
        import_count=imported,
        import_total=110,
    )
