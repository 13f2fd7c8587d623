"""Which PRs a production deployment shipped, from the commits GitHub's compare listed (given here as plain shas):
only the team's own PRs of the deployment's repository, by merge commit, whatever their merge strategy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.metrics.models import Deployment, DeploymentChange
from apps.metrics.selectors.deployments import deployment_next_production, deployment_previous_production
from apps.metrics.services import deployment_changes_record
from apps.metrics.tests.factories import PullRequestFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def deployment(team, sha: str, *, hours: int, repo_id: int = 77, environment: str = "production", **fields):
    succeeded = START + timedelta(hours=hours)
    values = {
        "github_repo": "acme/api",
        "run_key": f"deployment:{sha[:12]}",
        "deployment_created_at": succeeded,
        "succeeded_at": succeeded,
        "state": "success",
        "is_production": True,
    } | fields
    return Deployment.objects.create(team=team, github_repo_id=repo_id, environment=environment, sha=sha, **values)


def numbers(row: Deployment) -> list[int]:
    return sorted(DeploymentChange.objects.filter(deployment=row).values_list("pull_request__number", flat=True))


def test_only_the_teams_own_prs_of_the_deployed_repository_are_linked(team, other_team):
    ours = PullRequestFactory(team=team, number=1, merge_commit_sha="a" * 40)
    PullRequestFactory(team=other_team, number=2, merge_commit_sha="a" * 40)  # another team, same commit
    PullRequestFactory(team=team, number=3, github_repo_id=78, github_repo="acme/web", merge_commit_sha="b" * 40)
    PullRequestFactory(team=team, number=4, merge_commit_sha="c" * 40)  # merged, not in the range
    previous = deployment(team, "0" * 40, hours=0)
    row = deployment(team, "a" * 40, hours=1)

    linked = deployment_changes_record(deployment=row, previous=previous, commit_shas=["a" * 40, "b" * 40])

    assert [pr.pk for pr in linked] == [ours.pk]
    assert numbers(row) == [1]
    assert DeploymentChange.objects.filter(team=other_team).count() == 0


def test_recomputing_replaces_the_links_and_gives_the_same_rows(team):
    PullRequestFactory(team=team, number=1, merge_commit_sha="a" * 40)
    PullRequestFactory(team=team, number=2, merge_commit_sha="b" * 40)
    previous = deployment(team, "0" * 40, hours=0)
    row = deployment(team, "b" * 40, hours=1)
    deployment_changes_record(deployment=row, previous=previous, commit_shas=["a" * 40, "b" * 40])
    deployment_changes_record(deployment=row, previous=previous, commit_shas=["a" * 40, "b" * 40])
    assert numbers(row) == [1, 2] and DeploymentChange.objects.count() == 2

    deployment_changes_record(deployment=row, previous=previous, commit_shas=["b" * 40])  # a later, shorter range
    assert numbers(row) == [2]


def test_without_a_baseline_only_the_pr_merged_as_the_deployed_commit_counts(team):
    PullRequestFactory(team=team, number=1, merge_commit_sha="a" * 40)
    PullRequestFactory(team=team, number=2, merge_commit_sha="b" * 40)
    row = deployment(team, "b" * 40, hours=1)
    deployment_changes_record(deployment=row, previous=None, commit_shas=["a" * 40, "b" * 40])
    row.refresh_from_db()
    assert numbers(row) == [2]
    assert (row.baseline_unknown, row.is_rollback, row.previous_sha) == (True, False, "")


def test_a_rollback_ships_nothing(team):
    PullRequestFactory(team=team, number=1, merge_commit_sha="a" * 40)
    previous = deployment(team, "b" * 40, hours=0)
    row = deployment(team, "a" * 40, hours=1)
    deployment_changes_record(deployment=row, previous=previous, commit_shas=["a" * 40], rollback=True)
    row.refresh_from_db()
    assert numbers(row) == [] and row.is_rollback and not row.baseline_unknown


def test_the_previous_and_next_production_deployments_are_of_the_same_repository_and_environment(team, other_team):
    first = deployment(team, "1" * 40, hours=0)
    deployment(team, "2" * 40, hours=1, environment="staging", is_production=False)
    deployment(team, "3" * 40, hours=2, repo_id=78)
    deployment(other_team, "4" * 40, hours=3)
    deployment(team, "5" * 40, hours=4, succeeded_at=None, state="failure")
    last = deployment(team, "6" * 40, hours=5)
    assert deployment_previous_production(deployment=last) == first
    assert deployment_next_production(deployment=first) == last
    assert deployment_previous_production(deployment=first) is None


def test_lead_time_counts_each_pr_once_from_its_creation_to_its_first_production_deployment(team):
    from datetime import date

    from apps.metrics.selectors.lead_time import team_lead_time
    from apps.metrics.selectors.scope import DashboardFilters

    def pr(number: int, sha: str, *, created_hours: int, merged_hours: int):
        created = START + timedelta(hours=created_hours)
        return PullRequestFactory(
            team=team,
            number=number,
            merge_commit_sha=sha,
            pr_created_at=created,
            merged_at=START + timedelta(hours=merged_hours),
        )

    # Shipped before the period (Mar 1), shipped again after a rollback in it: not first deployed in the period.
    pr(1, "1" * 40, created_hours=-30, merged_hours=-29)
    early = deployment(team, "1" * 40, hours=-28)
    deployment_changes_record(deployment=early, previous=None)
    pr(2, "2" * 40, created_hours=9, merged_hours=9)  # lead time 1 h
    pr(3, "3" * 40, created_hours=8, merged_hours=9)  # 2 h
    pr(4, "4" * 40, created_hours=5, merged_hours=9)  # 5 h
    pr(5, "5" * 40, created_hours=9, merged_hours=9)  # merged in the period, never deployed
    shipping = deployment(team, "4" * 40, hours=10)
    deployment_changes_record(deployment=shipping, previous=early, commit_shas=["1" * 40, "2" * 40, "3" * 40, "4" * 40])
    later = deployment(team, "6" * 40, hours=20)  # ships #2 again (a re-deploy after a rollback): counted once
    deployment_changes_record(deployment=later, previous=early, commit_shas=["2" * 40])

    lead = team_lead_time(team=team, filters=DashboardFilters(start=date(2026, 3, 2), end=date(2026, 3, 8)))
    assert lead.percentiles.count == 3
    # Sorted 1 h, 2 h, 5 h: p50 = 2 h; p75 at rank 1.5 = 2 h + 0.5 * 3 h; p90 at rank 1.8 = 2 h + 0.8 * 3 h.
    assert (lead.percentiles.p50, lead.percentiles.p75, lead.percentiles.p90) == (7200, 12600, 15840)
    assert (lead.known, lead.merged) == (3, 4)  # #2, #3, #4 of the four merged in the period (#1 merged before)
