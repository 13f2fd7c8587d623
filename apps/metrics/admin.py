from django.contrib import admin

from apps.metrics.models import (
    Deployment,
    DeploymentAttempt,
    DeploymentChange,
    DeploymentStatus,
    MetricsRecompute,
    PREvent,
    PRReview,
    PullRequest,
    TeamMember,
)


@admin.register(TeamMember)
class TeamMemberAdmin(admin.ModelAdmin[TeamMember]):
    list_display = ("github_username", "display_name", "team", "is_bot", "is_active")
    list_filter = ("is_bot", "is_active", "team")
    search_fields = ("github_username", "display_name", "email")


@admin.register(PullRequest)
class PullRequestAdmin(admin.ModelAdmin[PullRequest]):
    list_display = ("__str__", "title", "team", "state", "pr_created_at", "merged_at", "cycle_time_seconds")
    list_filter = ("state", "is_draft", "is_revert", "is_hotfix", "team")
    search_fields = ("title", "github_repo")
    raw_id_fields = ("author",)


@admin.register(PRReview)
class PRReviewAdmin(admin.ModelAdmin[PRReview]):
    list_display = ("pull_request", "reviewer", "state", "submitted_at", "team")
    list_filter = ("state", "team")
    raw_id_fields = ("pull_request", "reviewer")


@admin.register(PREvent)
class PREventAdmin(admin.ModelAdmin[PREvent]):
    list_display = ("pull_request", "kind", "occurred_at", "actor", "subject", "team")
    list_filter = ("kind", "team")
    raw_id_fields = ("pull_request", "actor", "subject")


@admin.register(MetricsRecompute)
class MetricsRecomputeAdmin(admin.ModelAdmin[MetricsRecompute]):
    list_display = ("member", "team", "status", "done", "total", "created_at", "finished_at")
    list_filter = ("status", "team")
    raw_id_fields = ("member",)


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin[Deployment]):
    list_display = ("__str__", "team", "state", "is_production", "production_reason", "succeeded_at", "is_rollback")
    list_filter = ("is_production", "production_reason", "state", "baseline_unknown", "is_rollback", "team")
    raw_id_fields = ("previous_deployment",)
    search_fields = ("github_repo", "environment", "sha")


@admin.register(DeploymentAttempt)
class DeploymentAttemptAdmin(admin.ModelAdmin[DeploymentAttempt]):
    list_display = ("github_deployment_id", "deployment", "run_attempt", "github_created_at", "team")
    list_filter = ("team",)
    raw_id_fields = ("deployment",)


@admin.register(DeploymentChange)
class DeploymentChangeAdmin(admin.ModelAdmin[DeploymentChange]):
    list_display = ("deployment", "pull_request", "team")
    list_filter = ("team",)
    raw_id_fields = ("deployment", "pull_request")


@admin.register(DeploymentStatus)
class DeploymentStatusAdmin(admin.ModelAdmin[DeploymentStatus]):
    list_display = ("github_status_id", "deployment", "state", "status_created_at", "team")
    list_filter = ("state", "team")
    raw_id_fields = ("deployment",)
