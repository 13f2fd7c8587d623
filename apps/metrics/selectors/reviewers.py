"""Reviewer load: who carries the reviews, how fast they respond, what is waiting on them now."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, QuerySet

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState, TeamMember
from apps.metrics.selectors.percentiles import grouped_percentiles
from apps.metrics.selectors.scope import ON_REVIEW, DashboardFilters, pull_request_scope
from apps.metrics.types import TimelineKind
from apps.teams.models import Team


@dataclass(frozen=True, slots=True)
class ReviewerLoad:
    member: TeamMember
    reviews: int  # counted reviews submitted in the period
    response_p50: float | None  # median seconds from review request (or ready) to their first review of a PR
    responses: int  # how many first reviews that median is over
    open_requests: int  # open PRs where their review was requested and they have not reviewed since


def _counted_reviews(team: Team, filters: DashboardFilters) -> QuerySet[PRReview]:
    """Reviews that count (human, not the author's own) in the period, on PRs the dashboard shows.

    The PR's scope columns are read from the review's copies (``ON_REVIEW``), so the period's reviews come from
    one range of ``review_team_submitted_cov_idx`` without a join to the team's PRs.
    """
    start, end = filters.window
    return (
        PRReview.objects.for_team(team)
        .filter(submitted_at__gte=start, submitted_at__lt=end, reviewer__is_active=True, reviewer__is_bot=False)
        .filter(pull_request_scope(team=team, filters=filters, columns=ON_REVIEW))
        .exclude(pr_author=F("reviewer"))
    )


def _open_requests(team: Team, filters: DashboardFilters) -> dict[int, int]:
    """Open PRs of the dashboard's scope per requested reviewer, where no review of theirs came after the request
    and the request was not withdrawn since (current, not dated).

    Which requests are open now is kept on each request (``PREvent.is_open_request``, derived by
    ``services.recompute.metrics_apply`` on every write), so this reads the partial index of the open requests
    alone and the open PRs' scope columns (``pr_team_open_scope_idx``): two sets as large as what is waiting now,
    never every request the team ever made, nor a probe per open PR into its reviews.
    """
    open_prs = PullRequest.objects.filter(pull_request_scope(team=team, filters=filters), state=PullRequestState.OPEN)
    rows = (
        PREvent.objects.for_team(team)
        .filter(is_open_request=True, kind=TimelineKind.REVIEW_REQUESTED, pull_request__in=open_prs.values("pk"))
        .filter(subject__is_active=True, subject__is_bot=False)
        .values("subject_id")
        .annotate(n=Count("pull_request", distinct=True))
        .order_by()
    )
    return {row["subject_id"]: row["n"] for row in rows}


def team_reviewer_load(*, team: Team, filters: DashboardFilters) -> list[ReviewerLoad]:
    """One row per reviewer, busiest first; three statements whatever the team size (four on SQLite)."""
    # response_seconds is set on each reviewer's first review of a PR only, so its median is per PR reviewed.
    given = grouped_percentiles(
        _counted_reviews(team, filters), value="response_seconds", group="reviewer_id", ps=(0.5,), count_rows=True
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
