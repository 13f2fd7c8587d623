"""Which team a delivery belongs to: only an installation linked to a team and not deleted routes its events."""

from __future__ import annotations

import pytest

from apps.integrations.models import GitHubAppInstallation
from apps.integrations.selectors import installation_team_for_event
from apps.integrations.tests.factories import InstallationFactory

pytestmark = pytest.mark.django_db


def test_team_for_event_ignores_unknown_unlinked_and_deleted_installations(team):
    InstallationFactory(installation_id=42, team=team)
    assert installation_team_for_event(42) == team
    assert installation_team_for_event(None) is None
    assert installation_team_for_event(404) is None
    InstallationFactory(installation_id=43)
    assert installation_team_for_event(43) is None
    GitHubAppInstallation.objects.filter(installation_id=42).update(status="deleted")
    assert installation_team_for_event(42) is None
