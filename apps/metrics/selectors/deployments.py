"""Reads behind the deployments page: deployment frequency, the period's deployments with their status timelines,
and the environments seen that are not production, with why.

Deployment frequency counts successful production deployments by the time of their first success, in the team's
days (the dashboard's ``DashboardFilters.window`` and weeks). The list shows every deployment of the period, by its
first success or, when it never succeeded, by its creation, production or not, so a failed attempt or a staging
deployment is in sight rather than dropped. The scope is the dashboard's for repositories: tracked ones, or the one
chosen; deployments have no author, so the author and bot filters do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from apps.metrics.models import Deployment, DeploymentChange, DeploymentStatus, ProductionReason
from apps.metrics.selectors.dashboard import week_bounds
from apps.metrics.selectors.scope import DashboardFilters, in_window
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class DeploymentWeek:
    week: date  # its Monday
    deployments: int
    partial: bool = False  # the period covers only some of its days


@dataclass(frozen=True, slots=True)
class DeploymentFrequency:
    """Successful production deployments in the period, and per week (Monday to Sunday, the team's days)."""

    deployments: int
    days: int
    weeks: list[DeploymentWeek]

    @property
    def per_week(self) -> float:
        return self.deployments * 7 / self.days if self.days else 0.0


@dataclass(frozen=True, slots=True)
class EnvironmentLeftOut:
    """An environment the period's deployments went to that does not count as production, and why."""

    environment: str
    reason: str
    reason_label: str
    deployments: int


def deployment_scope(*, team: Team, filters: DashboardFilters) -> Q:
    """The team's deployments in tracked repositories, or in the one repository chosen (as for PRs)."""
    condition = Q(team=team)
    if filters.repo_id is not None:
        return condition & Q(github_repo_id=filters.repo_id)
    if filters.untracked_repo_ids:
        condition &= ~Q(github_repo_id__in=sorted(filters.untracked_repo_ids))
    return condition


def successful_production_deployments(*, team: Team, filters: DashboardFilters) -> QuerySet[Deployment]:
    """What deployment frequency counts: production deployments whose first success is in the period."""
    return Deployment.objects.filter(deployment_scope(team=team, filters=filters), is_production=True).filter(
        in_window("succeeded_at", filters)
    )


def team_deployment_frequency(*, team: Team, filters: DashboardFilters) -> DeploymentFrequency:
    """The period's count and each week's, in one statement: a filtered count per week over the period's rows."""
    start_week = filters.start - timedelta(days=filters.start.weekday())
    end_week = filters.end - timedelta(days=filters.end.weekday())
    weeks = [start_week + timedelta(weeks=n) for n in range((end_week - start_week).days // 7 + 1)]
    counts: dict[str, Any] = {"total": Count("pk")}
    for n, week in enumerate(weeks):
        monday, next_monday = week_bounds(week)
        counts[f"w{n}"] = Count("pk", filter=Q(succeeded_at__gte=monday, succeeded_at__lt=next_monday))
    found = successful_production_deployments(team=team, filters=filters).aggregate(**counts)
    return DeploymentFrequency(
        deployments=found["total"],
        days=(filters.end - filters.start).days + 1,
        weeks=[
            DeploymentWeek(
                week=week,
                deployments=found[f"w{n}"],
                partial=week < filters.start or week + timedelta(days=6) > filters.end,
            )
            for n, week in enumerate(weeks)
        ],
    )


def _in_period(*, team: Team, filters: DashboardFilters) -> QuerySet[Deployment]:
    """Every deployment of the period, by its first success, or its creation when it never succeeded."""
    succeeded = in_window("succeeded_at", filters)
    never_succeeded = Q(succeeded_at__isnull=True) & in_window("deployment_created_at", filters)
    return Deployment.objects.filter(deployment_scope(team=team, filters=filters)).filter(succeeded | never_succeeded)


# GitHub's order of a deployment's states: by time, then by id within a second (ids grow), never by arrival.
TIMELINE_ORDER = ("status_created_at", "github_status_id")


def team_deployments(*, team: Team, filters: DashboardFilters) -> QuerySet[Deployment]:
    """The period's deployments, newest first, each with its status timeline (oldest first) and the PRs it shipped
    (by number) read alongside."""
    shipped = DeploymentChange.objects.select_related("pull_request").order_by("pull_request__number")
    return (
        _in_period(team=team, filters=filters)
        .prefetch_related(Prefetch("statuses", queryset=DeploymentStatus.objects.order_by(*TIMELINE_ORDER)))
        .prefetch_related(Prefetch("changes", queryset=shipped))
        .order_by(Coalesce(F("succeeded_at"), F("deployment_created_at")).desc(), "-pk")
    )


def team_environments_left_out(*, team: Team, filters: DashboardFilters) -> list[EnvironmentLeftOut]:
    """Environments of the period's deployments that are not production, with how many deployments and why."""
    rows = (
        _in_period(team=team, filters=filters)
        .filter(is_production=False)
        .values("environment", "production_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "environment")
    )
    return [
        EnvironmentLeftOut(
            environment=row["environment"],
            reason=row["production_reason"],
            reason_label=ProductionReason(row["production_reason"]).label,
            deployments=row["n"],
        )
        for row in rows
    ]


def team_deployment_repositories(*, team: Team) -> list[tuple[int, str]]:
    """Repositories the team has deployments from (under their latest-sorting name), by name, for the filter menu."""
    rows = (
        Deployment.objects.filter(team=team)
        .values("github_repo_id")
        .annotate(name=Max("github_repo"))
        .values_list("github_repo_id", "name")
    )
    return sorted(rows, key=lambda item: item[1].lower())


def deployment_previous_production(*, deployment: Deployment) -> Deployment | None:
    """The production deployment of the same repository and environment whose first success came just before this
    one's (ties broken by id), or None. A deployment that never succeeded has none."""
    if deployment.succeeded_at is None:
        return None
    earlier = Q(succeeded_at__lt=deployment.succeeded_at) | Q(
        succeeded_at=deployment.succeeded_at, pk__lt=deployment.pk
    )
    return _same_line(deployment).filter(earlier).order_by("-succeeded_at", "-pk").first()


def deployment_next_production(*, deployment: Deployment) -> Deployment | None:
    """The production deployment of the same repository and environment that succeeded just after this one."""
    if deployment.succeeded_at is None:
        return None
    later = Q(succeeded_at__gt=deployment.succeeded_at) | Q(succeeded_at=deployment.succeeded_at, pk__gt=deployment.pk)
    return _same_line(deployment).filter(later).order_by("succeeded_at", "pk").first()


def _same_line(deployment: Deployment) -> QuerySet[Deployment]:
    return Deployment.objects.filter(
        team_id=deployment.team_id,
        github_repo_id=deployment.github_repo_id,
        environment=deployment.environment,
        is_production=True,
        succeeded_at__isnull=False,
    ).exclude(pk=deployment.pk)
