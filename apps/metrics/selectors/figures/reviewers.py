"""Reviewer load's figures as rows: a reviewer's counted reviews, their first responses, the open PRs waiting on them.

Built from the populations reviewer load itself reads (``scope.counted_reviews``,
``dashboard.pending_review_requests``); a review's PR scope is read from its copies (``ON_REVIEW``).
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from apps.metrics.definitions import DEFINITIONS
from apps.metrics.models import PRReview, PullRequest
from apps.metrics.selectors.dashboard import pending_review_requests
from apps.metrics.selectors.figures.types import Figure, FigureRequest
from apps.metrics.selectors.scope import (
    ON_REVIEW,
    OWN_REVIEW,
    DashboardFilters,
    chosen,
    counted_reviews,
    in_window,
    scope_rules,
    team_pull_requests,
)
from apps.teams.models import Team


def reviews_figure(team: Team, filters: DashboardFilters, r: FigureRequest, *, response: bool) -> Figure:
    reasons = [
        *scope_rules(team=team, filters=filters, columns=ON_REVIEW),
        ("reviewer hidden", Q(reviewer__is_active=False)),
        ("reviewer is a bot", Q(reviewer__is_bot=True)),
        (OWN_REVIEW, Q(pr_author=F("reviewer"))),
    ]
    included = counted_reviews(team=team, filters=filters).filter(reviewer_id=r.member_id)
    base = PRReview.objects.filter(chosen(team=team, filters=filters, columns=ON_REVIEW), reviewer_id=r.member_id)
    base = base.filter(in_window("submitted_at", filters))
    if response:
        reasons.append(("not their first review of this PR", Q(response_seconds__isnull=True)))
        included = included.filter(response_seconds__isnull=False)
        included = included.annotate(figure_value=F("response_seconds")).order_by("figure_value", "pk")
    else:
        included = included.order_by("-submitted_at", "-pk")
    return Figure(
        request=r,
        title="Median response" if response else "Reviews given",
        definition=DEFINITIONS["response" if response else "reviews-given"],
        rows_are="review",
        included=included.select_related("pull_request__author", "reviewer"),
        base=base,
        reasons=tuple(reasons),
        value_label="Response" if response else "",
        value_unit="duration" if response else "",
        percentile=0.5 if response else None,
    )


def open_requests_figure(team: Team, filters: DashboardFilters, r: FigureRequest) -> Figure:
    def waiting(prs: QuerySet[PullRequest]) -> QuerySet[PullRequest]:
        requests = pending_review_requests(team=team, prs=prs).filter(subject_id=r.member_id)
        return prs.filter(pk__in=requests.values("pull_request_id"))

    chosen_prs = PullRequest.objects.filter(chosen(team=team, filters=filters))
    return Figure(
        request=r,
        title="Open review requests",
        definition=DEFINITIONS["open-requests"],
        rows_are="pull_request",
        included=waiting(team_pull_requests(team=team, filters=filters)).order_by("pr_created_at", "pk"),
        base=waiting(chosen_prs),
        reasons=tuple(scope_rules(team=team, filters=filters)),
    )
