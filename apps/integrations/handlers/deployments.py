"""``deployment`` and ``deployment_status``: what reached which environment, when, and through which run.

Both count only for an installation linked to a team and a repository that team tracks, the same gate as the PR
events (``team_tracking``); anything else ends ``ignored`` with the reason. Each maps its payload to the metrics
snapshots and writes them through the one write path of deployment data (``deployment_record``), which keeps one
deployment per identity whatever the order or number of deliveries. A ``deployment_status`` event carries its
deployment in full, so it is recorded even when the ``deployment`` event was lost or comes later.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from apps.integrations.handlers.base import by_action, handles
from apps.integrations.handlers.pull_requests import team_tracking
from apps.integrations.models import WebhookDelivery
from apps.integrations.services.queueing import deployment_changes_enqueue
from apps.metrics.models import Deployment as DeploymentRow
from apps.metrics.services import deployment_record
from apps.metrics.types import DeploymentSnapshot, DeploymentStatusSnapshot
from github_app import Deployment, DeploymentEvent, DeploymentStatus, DeploymentStatusEvent, Repository, WorkflowRun


def deployment_snapshot(deployment: Deployment, repository: Repository, run: WorkflowRun | None) -> DeploymentSnapshot:
    """``run`` is the Actions run GitHub names beside the deployment (None for one made by another tool)."""
    return DeploymentSnapshot(
        github_deployment_id=deployment.id,
        github_repo_id=repository.id,
        github_repo=repository.full_name,
        environment=deployment.environment,
        sha=deployment.sha,
        ref=deployment.ref,
        created_at=deployment.created_at,
        run_id=None if run is None else run.id,
        run_attempt=None if run is None else run.run_attempt,
        production_environment=deployment.production_environment,
        transient_environment=deployment.transient_environment,
    )


def web_address(url: str | None) -> str:
    """``url`` when it is an http(s) address, else empty. Whoever runs a deploy writes its statuses' URLs, and the
    deployments page links them: a ``javascript:`` or ``data:`` URL would run in the page of whoever clicks it."""
    return url if url and urlsplit(url).scheme.lower() in ("http", "https") else ""


def deployment_status_snapshot(status: DeploymentStatus) -> DeploymentStatusSnapshot:
    return DeploymentStatusSnapshot(
        github_status_id=status.id,
        state=status.state,
        created_at=status.created_at,
        description=status.description or "",
        log_url=web_address(status.log_url) or web_address(status.target_url),
        environment_url=web_address(status.environment_url),
    )


def _deployment_created(event: DeploymentEvent, delivery: WebhookDelivery) -> None:
    _changes_when_shipped(
        deployment_record(
            team=team_tracking(event, event.repository),
            deployment=deployment_snapshot(event.deployment, event.repository, event.workflow_run),
        )
    )


def _deployment_status_created(event: DeploymentStatusEvent, delivery: WebhookDelivery) -> None:
    _changes_when_shipped(
        deployment_record(
            team=team_tracking(event, event.repository),
            deployment=deployment_snapshot(event.deployment, event.repository, event.workflow_run),
            status=deployment_status_snapshot(event.deployment_status),
        )
    )


def _changes_when_shipped(row: DeploymentRow) -> None:
    """A production deployment that has succeeded and whose changes are not known yet: ask GitHub for them."""
    if row.is_production and row.succeeded_at is not None and row.changes_computed_at is None:
        deployment_changes_enqueue(deployment_id=row.pk)


_route_deployment = by_action("deployment", {"created": _deployment_created})
_route_deployment_status = by_action("deployment_status", {"created": _deployment_status_created})


@handles("deployment", DeploymentEvent)
def handle_deployment(event: DeploymentEvent, delivery: WebhookDelivery) -> None:
    """``deployment.created``: a GitHub deployment of a commit to an environment, maybe by an Actions run."""
    _route_deployment(event, delivery)


@handles("deployment_status", DeploymentStatusEvent)
def handle_deployment_status(event: DeploymentStatusEvent, delivery: WebhookDelivery) -> None:
    """``deployment_status.created``: a new state of a GitHub deployment (the deployment's snapshot beside it)."""
    _route_deployment_status(event, delivery)
