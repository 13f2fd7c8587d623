"""The people page: every GitHub account seen in the team's data, with what they did."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from apps.metrics.models import REVIEW_GIVEN, MetricsRecompute, PRReview, PullRequest, RecomputeStatus, TeamMember
from apps.teams.models import Team


def _count_per(model: type[PullRequest] | type[PRReview], team: Team, column: str, where: Q | None = None) -> Coalesce:
    """A correlated count by the ``column`` index of the member's rows: one index range per member.

    Two distinct counts over a join of PRs with reviews would multiply each member's PRs by their reviews.
    """
    counted = (
        model.objects.filter(team=team, **{column: OuterRef("pk")})
        .filter(where or Q())
        .order_by()
        .values(column)
        .annotate(n=Count("*"))  # "*" lets the database count from the index alone
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def team_people(*, team: Team) -> QuerySet[TeamMember]:
    """All members, hidden ones and bots included (this is where admins change that), with PR and review counts.

    A review counts here as on the dashboard's reviewer load: submitted, on someone else's PR (the author's own
    comments are stored but never a review). The person's own standing (a bot, hidden) is shown beside the count.
    """
    reviews = _count_per(PRReview, team, "reviewer", REVIEW_GIVEN)
    return (
        TeamMember.objects.for_team(team)
        .annotate(pr_count=_count_per(PullRequest, team, "author"), review_count=reviews)
        .order_by("is_bot", "github_username")
    )


def team_recomputes_in_progress(*, team: Team) -> list[MetricsRecompute]:
    """Recomputations queued or running (after an admin marked a bot), with their progress, oldest first."""
    running = MetricsRecompute.objects.for_team(team).exclude(status=RecomputeStatus.DONE)
    return list(running.select_related("member").order_by("created_at"))
