"""The people page: every GitHub account seen in the team's data, with what they did."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from apps.metrics.models import TeamMember
from apps.teams.models import Team


def team_people(*, team: Team) -> QuerySet[TeamMember]:
    """All members, hidden ones and bots included (this is where admins change that), with PR and review counts."""
    return (
        TeamMember.objects.for_team(team)
        .annotate(pr_count=Count("pull_requests", distinct=True), review_count=Count("reviews", distinct=True))
        .order_by("is_bot", "github_username")
    )
