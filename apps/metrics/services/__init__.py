"""Writes of the metrics core. Webhook processing and the import call these with ``apps.metrics.types`` values."""

from apps.metrics.services.deployment_changes import deployment_changes_record
from apps.metrics.services.deployments import deployment_record, team_production_rule_set
from apps.metrics.services.members import (
    team_member_mark_bot,
    team_member_set_visibility,
)
from apps.metrics.services.pull_requests import (
    PullRequestChange,
    pull_request_upsert,
    pull_requests_import,
    pull_requests_write,
    review_upsert,
)
from apps.metrics.services.recompute import (
    pull_request_metrics_recompute,
    pull_requests_recompute,
    team_metrics_recompute,
)

__all__ = [
    "PullRequestChange",
    "deployment_changes_record",
    "deployment_record",
    "pull_request_metrics_recompute",
    "pull_request_upsert",
    "pull_requests_import",
    "pull_requests_recompute",
    "pull_requests_write",
    "review_upsert",
    "team_member_mark_bot",
    "team_member_set_visibility",
    "team_metrics_recompute",
    "team_production_rule_set",
]
