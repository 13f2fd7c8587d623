"""Repositories that moved or got access back, as the pages tell it: the repository page says where a repository
went, and the dashboard's freshness line names the gap being imported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.integrations.tests.test_moves import (  # noqa: F401 - alpha_api and gql are fixtures
    BETA,
    IMPORTED,
    REPO,
    alpha_api,
    gql,
    installation,
    send,
    transferred,
)
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db


def test_the_repositories_page_says_the_repository_moved(
    signed_webhook,
    admin_client,
    team,
    other_team,
    alpha_api,  # noqa: F811
):
    installation(other_team, BETA, selection="all")

    send(signed_webhook, "repository", transferred())

    page = admin_client.get(f"/a/{team.slug}/integrations/github/repos/").content.decode()
    assert "alpha/api" in page or "beta/api" in page
    assert "Moved to another organization" in page


def test_the_catch_up_of_a_gap_is_on_the_freshness_line(
    admin_client,
    team,
    alpha_api,  # noqa: F811
):
    """Access given back: until the catch-up finishes, the dashboard says which gap is being imported."""
    from apps.integrations.services.repositories import (
        RepositoryInfo,
        installation_repositories_access_removed,
        installation_repositories_add,
    )

    alpha = alpha_api.installation
    PullRequest.objects.create(
        team=team, github_pr_id=1, number=1, github_repo_id=REPO, github_repo="alpha/api",
        pr_created_at=IMPORTED, pr_updated_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )  # fmt: skip
    repo = RepositoryInfo(REPO, "alpha/api", True)
    installation_repositories_access_removed(installation=alpha, repositories=[repo])
    installation_repositories_add(installation=alpha, repositories=[repo])  # its import stays queued: not committed

    page = admin_client.get(f"/a/{team.slug}/dashboard/").content.decode()
    assert "alpha/api is catching up on the pull requests updated since 2026-03-02 09:50 UTC" in page
