"""The PR table and the "why this number" panel of one PR."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q, QuerySet

from apps.metrics.models import PREvent, PRReview, PullRequest
from apps.metrics.rules import hotfix_reason, revert_reason
from apps.metrics.selectors.scope import DashboardFilters, team_pull_requests
from apps.metrics.types import TimelineKind
from apps.teams.models import Team

SORTS = {
    "merged": "merged_at",
    "created": "pr_created_at",
    "cycle": "cycle_time_hours",
    "pickup": "review_time_hours",
    "size": "size",
}
DEFAULT_SORT = "-merged"


def table_sort(value: str | None) -> str:
    """A sort key from the query string, or the default when it is not one we offer."""
    return value if value and value.lstrip("-") in SORTS else DEFAULT_SORT


def team_pull_request_table(*, team: Team, filters: DashboardFilters, sort: str) -> QuerySet[PullRequest]:
    """PRs opened or merged in the period, sorted by a whitelisted column with empty values last."""
    start, end = filters.window
    sort = table_sort(sort)
    column = SORTS[sort.lstrip("-")]
    order = F(column).desc(nulls_last=True) if sort.startswith("-") else F(column).asc(nulls_last=True)
    return (
        team_pull_requests(team=team, filters=filters)
        .filter(Q(pr_created_at__gte=start, pr_created_at__lt=end) | Q(merged_at__gte=start, merged_at__lt=end))
        .select_related("author")
        .annotate(size=F("additions") + F("deletions"))
        .order_by(order, "-pk")
    )


@dataclass(frozen=True, slots=True)
class Reason:
    """One metric with its value and the facts behind it."""

    label: str
    value: str
    because: str


@dataclass(slots=True)
class TimelineItem:
    at: datetime
    text: str
    note: str = ""


@dataclass(slots=True)
class PullRequestExplanation:
    pull_request: PullRequest
    reasons: list[Reason] = field(default_factory=list)
    timeline: list[TimelineItem] = field(default_factory=list)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _hours(value: Decimal | None) -> str:
    return f"{value} h" if value is not None else "—"


def _ready_reason(pr: PullRequest) -> str:
    if pr.ready_at is None:
        return "it has never left draft"
    if pr.ready_at == pr.pr_created_at:
        return "it was opened ready for review"
    if pr.first_review_at and pr.ready_at > pr.first_review_at:
        return "it was reviewed while still a draft; this is when it first left draft"
    return "it was marked ready for review then, the last time it left draft before its first review"


def _review_note(pr: PullRequest, review: PRReview) -> str:
    if review.reviewer and review.reviewer.is_bot:
        return "ignored: a bot"
    if review.reviewer_id is not None and review.reviewer_id == pr.author_id:
        return "ignored: the author's own review"
    if review.submitted_at is None:
        return "ignored: not submitted"
    return "counted"


def pull_request_explanation(*, team: Team, pull_request_id: int) -> PullRequestExplanation:
    """Every number of one PR with the event that produced it. Raises ``PullRequest.DoesNotExist`` across teams."""
    pr = PullRequest.objects.for_team(team).select_related("author").get(pk=pull_request_id)
    reviews = list(PRReview.objects.for_team(team).filter(pull_request=pr).select_related("reviewer"))
    events = list(PREvent.objects.for_team(team).filter(pull_request=pr).select_related("actor", "subject"))
    explanation = PullRequestExplanation(pull_request=pr)
    explanation.reasons = _reasons(pr, reviews)
    for event in events:
        who = f" by {event.actor}" if event.actor else ""
        whom = f" from {event.subject}" if event.subject else ""
        label = TimelineKind(event.kind).label
        if event.kind == TimelineKind.DRAFT and event.occurred_at == pr.pr_created_at:
            label = "Opened as a draft"
        explanation.timeline.append(TimelineItem(event.occurred_at, f"{label}{who}{whom}"))
    for review in reviews:
        if review.submitted_at:
            text = f"Review ({review.get_state_display().lower()}) by {review.reviewer or 'a deleted account'}"
            explanation.timeline.append(TimelineItem(review.submitted_at, text, _review_note(pr, review)))
    explanation.timeline.sort(key=lambda item: item.at)
    return explanation


def _reasons(pr: PullRequest, reviews: list[PRReview]) -> list[Reason]:
    first = next(
        (r for r in reviews if r.submitted_at == pr.first_review_at and _review_note(pr, r) == "counted"), None
    )
    approval = next((r for r in reviews if r.submitted_at == pr.last_approval_at and r.state == "approved"), None)
    reasons = [
        Reason("Ready for review", _when(pr.ready_at), _ready_reason(pr)),
        Reason(
            "First review",
            _when(pr.first_review_at),
            f"first review by {first.reviewer} (bots' and the author's own reviews do not count)"
            if first
            else "no human other than the author has reviewed it yet",
        ),
        Reason("Pickup time", _hours(pr.review_time_hours), "first review minus ready for review"),
        Reason("Last approval", _when(pr.last_approval_at), f"approved by {approval.reviewer}" if approval else "none"),
        Reason(
            "Cycle time",
            _hours(pr.cycle_time_hours),
            f"merged {_when(pr.merged_at)} minus opened {_when(pr.pr_created_at)}",
        ),
    ]
    if pr.merged_at:
        reasons += [
            Reason("Draft", _hours(pr.draft_hours), "opened → ready for review"),
            Reason("Pickup", _hours(pr.pickup_hours), "ready → first review (or merge, if never reviewed)"),
            Reason("Review", _hours(pr.review_phase_hours), "first review → last approval (or merge)"),
            Reason("Merge wait", _hours(pr.merge_wait_hours), "last approval → merge"),
        ]
    flags = {
        "Revert": revert_reason(title=pr.title, head_ref=pr.head_ref, body=None)
        or ('its description says "This reverts commit"' if pr.is_revert else None),
        "Hotfix": hotfix_reason(title=pr.title, head_ref=pr.head_ref, labels=pr.labels or ()),
        "Merged without review": "no human other than the author reviewed it before the merge"
        if pr.merged_without_review
        else None,
        "Bot author": "its author is a bot account" if pr.is_bot_author else None,
    }
    reasons += [Reason(label, "yes", because) for label, because in flags.items() if because]
    return reasons
