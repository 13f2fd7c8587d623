"""Deployments as the DORA keys count them, the GitHub deployments each is made of, and their status timeline.

One ``Deployment`` is one change reaching one environment: its identity is (repository, environment, commit, run),
where run is the Actions workflow run that made it when GitHub says so, else the GitHub deployment itself. A run
whose reusable workflows or re-run attempts created several GitHub deployments is therefore one deployment, each
GitHub deployment kept as a ``DeploymentAttempt`` and each of their states as a ``DeploymentStatus``.
"""

from __future__ import annotations

from django.db import models

from apps.teams.models import BaseTeamModel


class ProductionReason(models.TextChoices):
    """Why a deployment is, or is not, a production deployment; shown beside it."""

    GITHUB_FLAG = "github_flag", "GitHub's production flag"
    TEAM_RULE = "team_rule", "The team's production rule"
    TRANSIENT = "transient", "Transient environment (never production)"
    NONE = "none", "Not production"


class DeploymentSource(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"


class Deployment(BaseTeamModel):
    github_repo_id = models.BigIntegerField()
    github_repo = models.CharField(max_length=255, help_text="Repository full name (display only).")
    environment = models.CharField(max_length=255)
    sha = models.CharField(max_length=64)
    ref = models.CharField(max_length=255, blank=True)
    # The identity's run part: "run:<workflow run id>" when GitHub named the run, else "deployment:<GitHub id>".
    run_key = models.CharField(max_length=48)
    github_run_id = models.BigIntegerField(null=True, blank=True)
    # The earliest ``created_at`` of its GitHub deployments, and the earliest ``success`` among their statuses.
    deployment_created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, blank=True, help_text="The latest status's state; empty before any.")
    # GitHub's flags, true once any of its GitHub deployments said so (so the order of deliveries does not matter).
    github_production_flag = models.BooleanField(default=False)
    github_transient_flag = models.BooleanField(default=False)
    is_production = models.BooleanField(default=False)
    production_reason = models.CharField(max_length=20, choices=ProductionReason.choices, default=ProductionReason.NONE)
    source = models.CharField(max_length=10, choices=DeploymentSource.choices, default=DeploymentSource.WEBHOOK)
    # Its changes (``DeploymentChange``), known once ``changes_computed_at`` is set: the production deployment of the
    # same repository and environment that succeeded before it, whose commit GitHub compared with this one's.
    previous_deployment = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    previous_sha = models.CharField(max_length=64, blank=True)
    # No earlier production deployment is known: only a PR whose merge commit is the deployed commit counts.
    baseline_unknown = models.BooleanField(default=False)
    # GitHub's compare said this commit is behind the one deployed before: it ships no new change.
    is_rollback = models.BooleanField(default=False)
    # False when the range was longer than tformance reads (github_app.api.compare.MAX_PAGES).
    changes_complete = models.BooleanField(default=True)
    changes_computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "github_repo_id", "environment", "sha", "run_key"], name="unique_team_deployment"
            )
        ]
        indexes = [
            models.Index(fields=["team", "succeeded_at"], name="deployment_team_succeeded_idx"),
            models.Index(fields=["team", "deployment_created_at"], name="deployment_team_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.github_repo} {self.sha[:7]} to {self.environment}"


class DeploymentAttempt(BaseTeamModel):
    """One GitHub deployment (its numeric id) and the deployment it counts as."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="attempts")
    github_deployment_id = models.BigIntegerField()
    github_created_at = models.DateTimeField()
    run_attempt = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "github_deployment_id"], name="unique_team_deployment_attempt")
        ]


class DeploymentStatus(BaseTeamModel):
    """One state of one GitHub deployment, as ``deployment_status`` said it: the deployment's timeline."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="statuses")
    github_status_id = models.BigIntegerField()
    github_deployment_id = models.BigIntegerField()
    state = models.CharField(max_length=20)
    status_created_at = models.DateTimeField()
    description = models.TextField(blank=True)
    log_url = models.TextField(blank=True)
    environment_url = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "github_status_id"], name="unique_team_deployment_status")
        ]
        ordering = ("status_created_at", "github_status_id")


class DeploymentChange(BaseTeamModel):
    """A pull request a production deployment shipped: its merge commit is among the commits GitHub's compare of the
    previous production deployment's commit and this one's lists (so squash, rebase and merge commits all count)."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="changes")
    pull_request = models.ForeignKey("metrics.PullRequest", on_delete=models.CASCADE, related_name="deployments")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "deployment", "pull_request"], name="unique_team_deployment_pr")
        ]
