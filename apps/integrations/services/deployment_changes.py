"""A production deployment's changes, asked of GitHub: the integrations half of ``metrics.services.deployment_changes``.

When a production deployment first succeeds (``deployment_status`` with ``success``), a task compares the commit of
the production deployment of the same repository and environment that succeeded before it with this one's
(``GET /repos/{owner}/{repo}/compare/{base}...{head}``, App permission ``contents: read``) and hands the commits it
lists, as plain shas, to the metrics core, which links the team's PRs merged as one of them. Deliveries arrive in any
order: when an earlier deployment's success comes after a later one's, the later one's range was measured from the
wrong commit, so computing a deployment also queues the next production deployment whose range started elsewhere.
"""

from __future__ import annotations

import logging

from apps.integrations.github import installation_api
from apps.integrations.models import TrackedRepository
from apps.integrations.services.queueing import deployment_changes_enqueue
from apps.metrics.models import Deployment
from apps.metrics.selectors.deployments import deployment_next_production, deployment_previous_production
from apps.metrics.services import deployment_changes_record
from github_app.api.compare import BEHIND

logger = logging.getLogger(__name__)


def deployment_changes_compute(*, deployment_id: int) -> str:
    """Compute one successful production deployment's changes; returns what happened (for logs and tests).

    Raises ``github_app.GitHubError`` (``RateLimited`` included) when GitHub does not answer: the task owns retries.
    """
    deployment = Deployment.objects.filter(pk=deployment_id, is_production=True, succeeded_at__isnull=False).first()
    if deployment is None:
        return "not a successful production deployment"
    tracked = (
        TrackedRepository.objects.filter(
            team_id=deployment.team_id, github_repo_id=deployment.github_repo_id, installation__isnull=False
        )
        .select_related("installation")
        .first()
    )
    if tracked is None or tracked.installation is None:
        return "repository not tracked"
    previous = deployment_previous_production(deployment=deployment)
    if previous is None or previous.sha == deployment.sha:
        deployment_changes_record(deployment=deployment, previous=previous)
    else:
        owner, _, name = tracked.full_name.partition("/")
        api = installation_api(tracked.installation.installation_id, repository_ids=(deployment.github_repo_id,))
        comparison = api.compare(owner, name, previous.sha, deployment.sha)
        deployment_changes_record(
            deployment=deployment,
            previous=previous,
            commit_shas=comparison.commit_shas,
            rollback=comparison.status == BEHIND,
            complete=comparison.complete,
        )
    following = deployment_next_production(deployment=deployment)
    if following is not None and following.previous_deployment_id != deployment.pk:
        deployment_changes_enqueue(deployment_id=following.pk)
    return "computed"
