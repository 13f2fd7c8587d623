"""The team home: a setup checklist whose next step is the primary action, then a summary of the week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import GitHubAppInstallation, ImportStatus, TrackedRepository
from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory
from apps.metrics.models import PullRequestState
from apps.metrics.tests.factories import PullRequestFactory

pytestmark = pytest.mark.django_db


def home(client, team):
    response = client.get(reverse("web:team_home", kwargs={"team_slug": team.slug}))
    assert response.status_code == 200
    return response


def primary_action(response) -> str:
    steps = response.context["steps"]
    step = response.context["next_step"]
    assert step in steps
    return step.action


def step(response, key: str):
    return next(s for s in response.context["steps"] if s.key == key)


def connect(team, admin_user) -> GitHubAppInstallation:
    return InstallationFactory(
        installation_id=4242, account_login="acme", account_type="Organization", team=team,
        linked_by=admin_user, linked_at=timezone.now(),
    )  # fmt: skip


def track(team, installation, repo_id: int, name: str, **import_fields) -> TrackedRepository:
    return TrackedRepositoryFactory(
        team=team, installation=installation, github_repo_id=repo_id, full_name=name, is_active=True, **import_fields
    )


def test_a_fresh_team_home_asks_the_admin_to_connect_github(admin_client, team):
    response = home(admin_client, team)

    assert primary_action(response) == "Connect GitHub"
    assert [s.done for s in response.context["steps"]] == [False, False, False, False]
    body = response.content.decode()
    assert 'action="' + reverse("integrations:github_connect", kwargs={"team_slug": team.slug}) in body
    assert 'class="primary">Connect GitHub</button>' in body


def test_after_connecting_the_next_step_is_choosing_repositories(admin_client, team, admin_user):
    connect(team, admin_user)

    response = home(admin_client, team)

    assert primary_action(response) == "Choose repositories"
    assert step(response, "connect").done
    assert step(response, "connect").detail == f"acme connected by {admin_user.email}."


def test_while_importing_the_home_shows_live_progress_then_the_dashboard(admin_client, team, admin_user):
    installation = connect(team, admin_user)
    beat = timezone.now()  # an import queued or running has a heartbeat (set when queued, claimed, at each page)
    track(team, installation, 1, "acme/api", import_status=ImportStatus.RUNNING, import_count=30, import_total=120,
          import_heartbeat_at=beat)  # fmt: skip
    track(team, installation, 2, "acme/web", import_status=ImportStatus.QUEUED, import_heartbeat_at=beat)

    response = home(admin_client, team)
    assert step(response, "repositories").detail == "2 repositories tracked."
    assert primary_action(response) == "See the import's progress"
    assert step(response, "import").detail == "Importing 2 repositories: 30 of 120 pull requests read (25 %)."
    assert 'hx-trigger="every 2s"' in response.content.decode()  # the checklist polls while importing

    done = timezone.now()
    TrackedRepository.objects.update(import_status=ImportStatus.IDLE, last_imported_at=done)
    for _ in range(3):
        PullRequestFactory(team=team, github_repo_id=1)
    fragment = admin_client.get(reverse("web:team_home_checklist", kwargs={"team_slug": team.slug}))
    assert fragment.status_code == 200
    assert step(fragment, "import").detail == "3 pull requests imported."
    assert 'hx-trigger="every 2s"' not in fragment.content.decode()
    assert primary_action(home(admin_client, team)) == "Open the dashboard"


def test_once_set_up_the_home_summarises_the_week(member_client, team, admin_user):
    installation = connect(team, admin_user)
    track(team, installation, 77, "acme/api", import_status=ImportStatus.IDLE, last_imported_at=timezone.now())
    now = timezone.now()
    PullRequestFactory(team=team, pr_created_at=now - timedelta(days=30), merged_at=now - timedelta(minutes=5))
    PullRequestFactory(team=team, pr_created_at=now - timedelta(days=30))  # merged weeks ago
    waiting = dict(state=PullRequestState.OPEN, merged_at=None, closed_at=None, first_review_at=None)
    oldest = PullRequestFactory(team=team, title="Oldest wait", pr_created_at=now - timedelta(days=3), **waiting)
    PullRequestFactory(team=team, pr_created_at=now - timedelta(hours=2), **waiting)
    PullRequestFactory(team=team, pr_created_at=now - timedelta(days=9), is_draft=True, ready_at=None, **waiting)

    response = home(member_client, team)

    summary = response.context["summary"]
    assert response.context["set_up"]
    assert (summary.merged_this_week, summary.waiting_for_review) == (1, 2)
    assert summary.longest_waiting == oldest
    assert "Oldest wait" in response.content.decode()
    assert reverse("dashboard:index", kwargs={"team_slug": team.slug}) in response.content.decode()


def test_a_member_sees_where_the_team_stands_and_whom_to_ask(member_client, team, admin_user):
    response = home(member_client, team)

    body = response.content.decode()
    assert "Connect GitHub</button>" not in body
    assert f"ask {admin_user.email}" in body
