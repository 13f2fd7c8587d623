"""Reads of the metrics core, for the dashboard and people pages. Every selector takes the team."""

from apps.metrics.selectors.dashboard import (
    DashboardFilters,
    FlowSummary,
    ReviewerLoad,
    WeekPoint,
    team_filter_options,
    team_flow_summary,
    team_pickup,
    team_reviewer_load,
    team_weekly_trends,
)
from apps.metrics.selectors.people import team_people, team_recomputes_in_progress
from apps.metrics.selectors.pull_requests import (
    SORTS,
    PullRequestExplanation,
    pull_request_explanation,
    table_sort,
    team_pull_request_table,
)
from apps.metrics.selectors.scope import team_pull_requests

__all__ = [
    "SORTS",
    "DashboardFilters",
    "FlowSummary",
    "PullRequestExplanation",
    "ReviewerLoad",
    "WeekPoint",
    "pull_request_explanation",
    "table_sort",
    "team_filter_options",
    "team_flow_summary",
    "team_people",
    "team_pickup",
    "team_pull_request_table",
    "team_pull_requests",
    "team_recomputes_in_progress",
    "team_reviewer_load",
    "team_weekly_trends",
]
