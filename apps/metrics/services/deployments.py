"""The one write path of deployment data: a GitHub deployment, and maybe one of its statuses, recorded idempotently.

Deliveries arrive in any order and twice. Each write names its GitHub deployment in full (a ``deployment_status``
event carries its deployment too), so a status that comes before its deployment event creates the deployment, and
the derived figures (first success, latest state, earliest creation) are recomputed from every stored row after
each write rather than patched, so no order of delivery gives another result.

Concurrency: rows are created with ``INSERT … ON CONFLICT DO NOTHING`` against their unique constraints, then the
deployment row is locked; two workers delivering the same identity at once both end up on the one row, neither
fails.
"""

from __future__ import annotations

import regex
from django.db import transaction
from django.db.models import Min

from apps.metrics.models import Deployment, DeploymentAttempt, DeploymentStatus, ProductionReason
from apps.metrics.types import DeploymentSnapshot, DeploymentStatusSnapshot
from apps.teams.models import Team

SUCCESS = "success"
# How long the team's rule may search one environment name. The rule is a team admin's regular expression and the
# names are whatever a workflow says: a rule that backtracks for ever must cost a worker that serves every team a
# bounded moment, not the rest of its life (``regex`` stops a search at its timeout; ``re`` cannot).
RULE_SEARCH_SECONDS = 0.05


def production_classification(
    *, environment: str, github_flag: bool, transient: bool, rule: str
) -> tuple[bool, ProductionReason]:
    """Whether a deployment to ``environment`` is a production deployment, and why.

    Transient environments (review apps, previews) are never production, whatever else says so; then GitHub's own
    ``production_environment`` flag; then the team's rule, a regular expression searched case-insensitively in the
    environment's name. A rule that no longer compiles, or whose search runs past ``RULE_SEARCH_SECONDS``, matches
    nothing rather than failing or holding a delivery.
    """
    if transient:
        return False, ProductionReason.TRANSIENT
    if github_flag:
        return True, ProductionReason.GITHUB_FLAG
    try:
        matches = regex.search(rule, environment, flags=regex.IGNORECASE, timeout=RULE_SEARCH_SECONDS) is not None
    except (regex.error, TimeoutError):
        matches = False
    return (True, ProductionReason.TEAM_RULE) if matches else (False, ProductionReason.NONE)


def run_key(snapshot: DeploymentSnapshot) -> str:
    """The identity's run part: the Actions run that made it, else the GitHub deployment itself."""
    if snapshot.run_id is not None:
        return f"run:{snapshot.run_id}"
    return f"deployment:{snapshot.github_deployment_id}"


def deployment_record(
    *, team: Team, deployment: DeploymentSnapshot, status: DeploymentStatusSnapshot | None = None
) -> Deployment:
    """Record a GitHub deployment (and one of its statuses) for the team; returns the deployment it counts as."""
    with transaction.atomic():
        row = _deployment_locked(team, deployment)
        _apply_snapshot(team, row, deployment)
        if status is not None:
            DeploymentStatus.objects.bulk_create(
                [
                    DeploymentStatus(
                        team=team,
                        deployment=row,
                        github_status_id=status.github_status_id,
                        github_deployment_id=deployment.github_deployment_id,
                        state=status.state,
                        status_created_at=status.created_at,
                        description=status.description,
                        log_url=status.log_url,
                        environment_url=status.environment_url,
                    )
                ],
                ignore_conflicts=True,
            )
        _derive(row)
        row.save()
    return row


def _deployment_locked(team: Team, snapshot: DeploymentSnapshot) -> Deployment:
    """The deployment this GitHub deployment counts as, locked; created, with the GitHub deployment, when new.

    A GitHub deployment already stored keeps the deployment it was first counted as, so a later payload that says
    less (no run) never splits it off.
    """
    known = _attempt_deployment_id(team, snapshot.github_deployment_id)
    if known is None:
        identity = {
            "github_repo_id": snapshot.github_repo_id,
            "environment": snapshot.environment,
            "sha": snapshot.sha,
            "run_key": run_key(snapshot),
        }
        Deployment.objects.bulk_create(
            [
                Deployment(
                    team=team,
                    **identity,
                    github_repo=snapshot.github_repo,
                    ref=snapshot.ref,
                    github_run_id=snapshot.run_id,
                    deployment_created_at=snapshot.created_at,
                )
            ],
            ignore_conflicts=True,
        )
        created = Deployment.objects.get(team=team, **identity)
        DeploymentAttempt.objects.bulk_create(
            [
                DeploymentAttempt(
                    team=team,
                    deployment=created,
                    github_deployment_id=snapshot.github_deployment_id,
                    github_created_at=snapshot.created_at,
                    run_attempt=snapshot.run_attempt,
                )
            ],
            ignore_conflicts=True,
        )
        known = _attempt_deployment_id(team, snapshot.github_deployment_id)
    if known is None:  # the row was inserted above, by this write or a concurrent one; never gone before commit
        raise DeploymentAttempt.DoesNotExist(snapshot.github_deployment_id)
    return Deployment.objects.select_for_update().get(team=team, pk=known)


def _attempt_deployment_id(team: Team, github_deployment_id: int) -> int | None:
    return (
        DeploymentAttempt.objects.filter(team=team, github_deployment_id=github_deployment_id)
        .values_list("deployment_id", flat=True)
        .first()
    )


def _apply_snapshot(team: Team, row: Deployment, snapshot: DeploymentSnapshot) -> None:
    """What a snapshot may change: the display name (follows renames), and GitHub's flags, which only turn on."""
    row.github_repo = snapshot.github_repo
    row.github_production_flag |= bool(snapshot.production_environment)
    row.github_transient_flag |= bool(snapshot.transient_environment)
    if row.github_run_id is None and snapshot.run_id is not None and row.run_key == run_key(snapshot):
        row.github_run_id = snapshot.run_id
    _classify(row, team.production_environment_rule)


def _classify(row: Deployment, rule: str) -> None:
    row.is_production, row.production_reason = production_classification(
        environment=row.environment,
        github_flag=row.github_production_flag,
        transient=row.github_transient_flag,
        rule=rule,
    )


def _derive(row: Deployment) -> None:
    """The figures read from every stored GitHub deployment and status of the deployment, whatever their order."""
    row.deployment_created_at = (
        DeploymentAttempt.objects.filter(deployment=row).aggregate(first=Min("github_created_at"))["first"]
        or row.deployment_created_at
    )
    statuses = DeploymentStatus.objects.filter(deployment=row)
    row.succeeded_at = statuses.filter(state=SUCCESS).aggregate(first=Min("status_created_at"))["first"]
    latest = statuses.order_by("-status_created_at", "-github_status_id").values_list("state", flat=True).first()
    row.state = latest or ""


def team_production_rule_set(*, team: Team, rule: str) -> int:
    """Store the team's production rule and classify its deployments again by it; returns how many changed.

    The rule is checked by the caller's form (it must compile). A classification depends on the environment's name
    and GitHub's two flags alone, so the rule is tried once per distinct (name, flags) of the team, however many
    deployments share them, and each group is updated in one statement.
    """
    with transaction.atomic():
        team.production_environment_rule = rule
        team.save(update_fields=["production_environment_rule", "updated_at"])
        deployments = Deployment.objects.for_team(team)
        groups = deployments.values_list("environment", "github_production_flag", "github_transient_flag").distinct()
        changed = 0
        for environment, flag, transient in groups:
            is_production, reason = production_classification(
                environment=environment, github_flag=flag, transient=transient, rule=rule
            )
            changed += (
                deployments.filter(
                    environment=environment, github_production_flag=flag, github_transient_flag=transient
                )
                .exclude(is_production=is_production, production_reason=reason)
                .update(is_production=is_production, production_reason=reason)
            )
    return changed
