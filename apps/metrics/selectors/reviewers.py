"""Reviewer load: who carries the reviews, how fast they respond, what is waiting on them now."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from apps.metrics.models import PREvent, PullRequest, PullRequestState, TeamMember
from apps.metrics.selectors.percentiles import keyed_rows_and_percentiles
from apps.metrics.selectors.scope import DashboardFilters, counted_reviews, team_pull_requests, uncounted_people
from apps.metrics.types import TimelineKind
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class ReviewerLoad:
    member: TeamMember
    reviews: int  # counted reviews submitted in the period
    response_p50: float | None  # median seconds from review request (or ready) to their first review of a PR
    responses: int  # how many first reviews that median is over
    open_requests: int  # open PRs where their review was requested and they have not reviewed since


def pending_review_requests(*, team: Team, prs: QuerySet[PullRequest]) -> QuerySet[PREvent]:
    """Review requests on the open ones of ``prs`` still waiting: asked of a visible human, with no review of
    theirs since and not withdrawn since (current, not dated). Reviewer load and its PR lists both read this.

    Which requests are open now is kept on each request (``PREvent.is_open_request``, derived by
    ``services.recompute.metrics_apply`` on every write), so this reads the partial index of the open requests
    alone and the open PRs' scope columns (``pr_team_open_scope_idx``): two sets as large as what is waiting now,
    never every request the team ever made, nor a probe per open PR into its reviews.
    """
    return (
        PREvent.objects.for_team(team)
        .filter(
            is_open_request=True,
            kind=TimelineKind.REVIEW_REQUESTED,
            pull_request__in=prs.filter(state=PullRequestState.OPEN).values("pk"),
        )
        .filter(subject__isnull=False)
        .exclude(subject__in=uncounted_people(team=team))
    )


def _open_requests(team: Team, filters: DashboardFilters) -> dict[int, int]:
    """Open PRs of the dashboard's scope per requested reviewer, waiting on them."""
    rows = (
        pending_review_requests(team=team, prs=team_pull_requests(team=team, filters=filters))
        .values("subject_id")
        .annotate(n=Count("pull_request", distinct=True))
        .order_by()
    )
    return {row["subject_id"]: row["n"] for row in rows}


def team_reviewer_load(*, team: Team, filters: DashboardFilters) -> list[ReviewerLoad]:
    """One row per reviewer, busiest first; three statements whatever the team size.

    The team's countable reviewers (visible humans) are read first, then each one's reviews of the period are read
    once (``review_team_reviewer_cov_idx``, one range per reviewer on PostgreSQL): their count, and the median of
    the first responses among them. A count of the period's reviews hashed by reviewer followed by a second read of
    each reviewer's first responses would read the period's reviews twice.
    """
    members = TeamMember.objects.for_team(team).filter(is_active=True, is_bot=False).in_bulk()
    # response_seconds is set on each reviewer's first review of a PR only, so its median is per PR reviewed.
    given = keyed_rows_and_percentiles(
        counted_reviews(team=team, filters=filters),
        value="response_seconds",
        column="reviewer_id",
        keys=sorted(members),
        ps=(0.5,),
    )
    waiting = _open_requests(team, filters)
    rows = [
        ReviewerLoad(
            member=member,
            reviews=given[pk][0],
            response_p50=given[pk][1].p50,
            responses=given[pk][1].count,
            open_requests=waiting.get(pk, 0),
        )
        for pk, member in members.items()
        if given[pk][0] or pk in waiting
    ]
    return sorted(rows, key=lambda r: (-r.reviews, -r.open_requests, r.member.github_username.lower()))
