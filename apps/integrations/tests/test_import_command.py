"""``manage.py import_repository``: catch a tracked repository up by name or id."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.integrations.models import ImportStatus, TrackedRepository
from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(team, use_broker):
    use_broker("memory://")  # queued, not run: the command only schedules
    installation = InstallationFactory(installation_id=5, team=team, account_login="acme")
    return TrackedRepositoryFactory(
        team=team, installation=installation, github_repo_id=77, full_name="acme/api", last_imported_at=timezone.now()
    )


def test_import_by_name_schedules_a_catch_up(tracked, capsys):
    call_command("import_repository", "ACME/api")

    tracked.refresh_from_db()
    assert tracked.import_status == ImportStatus.QUEUED and tracked.import_kind == "catch_up"
    assert "acme/api (acme-engineering): import queued" in capsys.readouterr().out


def test_import_by_id_within_a_team(tracked, team):
    call_command("import_repository", "77", "--team", team.slug)
    tracked.refresh_from_db()
    assert tracked.import_status == ImportStatus.QUEUED


def test_an_unknown_or_ambiguous_repository_is_refused(tracked, other_team):
    with pytest.raises(CommandError, match="No team tracks"):
        call_command("import_repository", "acme/nope")
    TrackedRepositoryFactory(team=other_team, github_repo_id=77, full_name="acme/api")
    with pytest.raises(CommandError, match="choose one with --team"):
        call_command("import_repository", "acme/api")


def test_a_running_import_is_not_started_twice(tracked):
    TrackedRepository.objects.filter(pk=tracked.pk).update(
        import_status=ImportStatus.RUNNING, import_heartbeat_at=timezone.now()
    )
    with pytest.raises(CommandError, match="being imported"):
        call_command("import_repository", "acme/api")
