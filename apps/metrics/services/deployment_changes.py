"""Which pull requests a production deployment shipped: by commit, never by time.

A PR is shipped by the first production deployment whose commit range holds its merge commit (``merge_commit_sha``:
the squash, rebase or merge commit GitHub made on the base branch). The range runs from the commit of the production
deployment of the same repository and environment that succeeded before it (by first success) to this deployment's
commit, as GitHub's compare lists it; the integrations side asks GitHub and passes the commits here as plain values,
so this module never sees GitHub.

With no earlier production deployment known, the range is unknown: only a PR whose merge commit is the deployed
commit counts, and the deployment says ``baseline_unknown``, rather than claiming months of history. A compare that
says the commit is behind the previous one is a rollback: it ships nothing new.

Writing the links replaces the deployment's set, so computing a deployment's changes again gives the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from apps.metrics.models import Deployment, DeploymentChange, PullRequest

SHAS_PER_QUERY = 500  # merge commits looked up per statement (bound parameters stay well under every database's cap)


def deployment_changes_record(
    *,
    deployment: Deployment,
    previous: Deployment | None,
    commit_shas: Sequence[str] = (),
    rollback: bool = False,
    complete: bool = True,
) -> list[PullRequest]:
    """Link the deployment to the team's PRs of its repository whose merge commit is among ``commit_shas`` (the
    commits GitHub's compare of ``previous.sha...deployment.sha`` lists); returns them, by number.

    ``previous`` None: no baseline, only the deployed commit counts. ``rollback``: the compare said ``behind``.
    """
    if previous is None:
        shas: set[str] = {deployment.sha}
    elif rollback or previous.sha == deployment.sha:
        shas = set()
    else:
        shas = set(commit_shas)
    with transaction.atomic():
        row = Deployment.objects.select_for_update().get(pk=deployment.pk)
        shipped = _pull_requests_merged_as(row, sorted(shas))
        DeploymentChange.objects.filter(deployment=row).exclude(pull_request__in=shipped).delete()
        DeploymentChange.objects.bulk_create(
            [DeploymentChange(team_id=row.team_id, deployment=row, pull_request=pr) for pr in shipped],
            ignore_conflicts=True,
        )
        row.previous_deployment = previous
        row.previous_sha = previous.sha if previous is not None else ""
        row.baseline_unknown = previous is None
        row.is_rollback = previous is not None and rollback
        row.changes_complete = complete
        row.changes_computed_at = timezone.now()
        row.save(
            update_fields=[
                "previous_deployment",
                "previous_sha",
                "baseline_unknown",
                "is_rollback",
                "changes_complete",
                "changes_computed_at",
                "updated_at",
            ]
        )
    return shipped


def _pull_requests_merged_as(deployment: Deployment, shas: list[str]) -> list[PullRequest]:
    """The team's merged PRs of the deployment's repository whose merge commit is one of ``shas``: never another
    team's, never another repository's."""
    found: list[PullRequest] = []
    for start in range(0, len(shas), SHAS_PER_QUERY):
        found += PullRequest.objects.filter(
            team_id=deployment.team_id,
            github_repo_id=deployment.github_repo_id,
            merge_commit_sha__in=shas[start : start + SHAS_PER_QUERY],
            merged_at__isnull=False,
        )
    return sorted(found, key=lambda pr: pr.number)
