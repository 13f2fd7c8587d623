"""Reviewer load: who carries the reviews, how fast they respond, what is waiting on them now."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.selectors.percentiles import grouped_percentiles
from apps.metrics.selectors.scope import DashboardFilters, counted_reviews, team_pull_requests
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

    Read from the open PRs (few, by the ``(team, state)`` index) into their events, never from every request
    ever made.
    """
    answered = PRReview.objects.filter(
        team=team,
        pull_request=OuterRef("pull_request"),
        reviewer=OuterRef("subject"),
        submitted_at__gte=OuterRef("occurred_at"),
    )
    withdrawn = PREvent.objects.filter(
        team=team,
        pull_request=OuterRef("pull_request"),
        subject=OuterRef("subject"),
        kind=TimelineKind.REVIEW_REQUEST_REMOVED,
        # Strictly after: a request removed and made again in one second (GitHub's timestamps are whole seconds)
        # is open; the request entry of that second is the later one.
        occurred_at__gt=OuterRef("occurred_at"),
    )
    return (
        PREvent.objects.for_team(team)
        .filter(
            kind=TimelineKind.REVIEW_REQUESTED, pull_request__in=prs.filter(state=PullRequestState.OPEN).values("pk")
        )
        .filter(subject__isnull=False, subject__is_active=True, subject__is_bot=False)
        .exclude(Exists(answered))
        .exclude(Exists(withdrawn))
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
    """One row per reviewer, busiest first; three statements whatever the team size (four on SQLite)."""
    # response_seconds is set on each reviewer's first review of a PR only, so its median is per PR reviewed.
    given = grouped_percentiles(
        counted_reviews(team=team, filters=filters),
        value="response_seconds",
        group="reviewer_id",
        ps=(0.5,),
        count_rows=True,
    )
    waiting = _open_requests(team, filters)
    members = TeamMember.objects.for_team(team).in_bulk(set(given) | set(waiting))
    rows = [
        ReviewerLoad(
            member=member,
            reviews=given[pk].rows or 0 if pk in given else 0,
            response_p50=given[pk].p50 if pk in given else None,
            responses=given[pk].count if pk in given else 0,
            open_requests=waiting.get(pk, 0),
        )
        for pk, member in members.items()
    ]
    return sorted(rows, key=lambda r: (-r.reviews, -r.open_requests, r.member.github_username.lower()))
