"""A repository deleted on GitHub, as the pages show it: its past pull requests still count on the dashboard until
an admin drops it from the figures on the repository page, and only a deleted repository can be dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from apps.integrations.tests.factories import InstallationRepositoryFactory, TrackedRepositoryFactory
from apps.integrations.tests.test_repository_handlers import (  # noqa: F401 - known_repository is a fixture
    REPO_ID,
    known_repository,
    load_ghes_deleted,
    send_twice,
    with_installation,
)
from apps.metrics.models import PullRequest
from apps.metrics.tests.factories import PullRequestFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db


def test_a_deleted_repository_keeps_its_place_in_past_figures_until_an_admin_drops_it(
    signed_webhook,
    github_payload,
    known_repository,  # noqa: F811
    team,
    admin_client,
):
    """March had 4 merged PRs, 3 of them in a repository deleted later: March still shows 4 after the deletion (it
    showed 1), the repository is marked deleted on GitHub, and dropping it is the admin's explicit choice."""
    other = InstallationRepositoryFactory(installation=known_repository, github_repo_id=555, full_name="acme/kept")
    TrackedRepositoryFactory(team=team, installation=known_repository, github_repo_id=555, full_name=other.full_name)
    author = TeamMemberFactory(team=team)
    for repo_id, day in ((REPO_ID, 3), (REPO_ID, 10), (REPO_ID, 17), (555, 24)):
        merged = datetime(2026, 3, day, 12, tzinfo=UTC)
        PullRequestFactory(team=team, author=author, github_repo_id=repo_id, pr_created_at=merged, merged_at=merged)
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    dashboard = reverse("dashboard:index", kwargs={"team_slug": team.slug})
    payload = with_installation(load_ghes_deleted(github_payload))
    payload["repository"]["id"] = REPO_ID

    send_twice(signed_webhook, payload)

    page = admin_client.get(dashboard, march)
    assert page.context["summary"].merged == 4
    assert "old/name (deleted on GitHub)" in page.content.decode()
    repositories = reverse("integrations:github_repositories", kwargs={"team_slug": team.slug})
    listed = admin_client.get(repositories).content.decode()
    assert "deleted on GitHub" in listed and "Drop from figures" in listed

    drop = reverse("integrations:github_repository_drop", kwargs={"team_slug": team.slug, "github_repo_id": REPO_ID})
    admin_client.post(drop, {"drop": "1"})
    assert admin_client.get(dashboard, march).context["summary"].merged == 1
    assert "Count it again" in admin_client.get(repositories).content.decode()
    admin_client.post(drop, {"drop": "0"})
    assert admin_client.get(dashboard, march).context["summary"].merged == 4
    assert PullRequest.objects.filter(team=team, github_repo_id=REPO_ID).count() == 4  # nothing was deleted


def test_only_a_repository_deleted_on_github_can_be_dropped(
    known_repository,  # noqa: F811
    team,
    admin_client,
):
    drop = reverse("integrations:github_repository_drop", kwargs={"team_slug": team.slug, "github_repo_id": REPO_ID})
    assert admin_client.post(drop, {"drop": "1"}).status_code == 404
