"""The PR table and the "why this number" panel of one PR."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F
from django.db.models.expressions import CombinedExpression
from django.utils import timezone

from apps.metrics.models import PREvent, PRReview, PullRequest
from apps.metrics.rules import (
    PullRequestFacts,
    ReviewFact,
    duration_text,
    hotfix_reason,
    last_approval,
    revert_reason,
)
from apps.metrics.selectors.scope import DashboardFilters, in_window, team_pull_requests
from apps.metrics.types import TimelineKind
from apps.teams.models import Team

SORTS = {
    "merged": "merged_at",
    "created": "pr_created_at",
    "cycle": "cycle_time_seconds",
    "pickup": "review_time_seconds",
    "size": "size",  # additions + deletions
}
DEFAULT_SORT = "-merged"


def table_sort(value: str | None) -> str:
    """A sort key from the query string, or the default when it is not one we offer."""
    return value if value and value.lstrip("-") in SORTS else DEFAULT_SORT


class PullRequestTable:
    """PRs opened or merged in the period, sorted by a whitelisted column with empty values last, for a paginator.

    The period's PRs are two disjoint sets, those opened in it and those merged in it but opened outside it, each
    one range of a covering index (``pr_team_created_cover_idx``, ``pr_team_merged_cover_idx``). The count and a
    page's ids are read from those ranges alone (``UNION ALL``, no visit to a PR's row), then only the page's rows
    are loaded: page 1,000 of a year costs a sort of ids, not a sort of the year's full rows. Three statements.
    """

    ordered = True  # the paginator's check

    def __init__(self, *, team: Team, filters: DashboardFilters, sort: str, merged_count: int | None = None) -> None:
        opened_in_period = in_window("pr_created_at", filters)
        self._team = team
        self._merged_count = merged_count
        self._merged_window = in_window("merged_at", filters)
        in_scope = team_pull_requests(team=team, filters=filters)  # the scope built once for both parts
        self._parts = (
            in_scope.filter(opened_in_period),
            in_scope.filter(self._merged_window).exclude(opened_in_period),  # ``merged_in_period``'s PRs
        )
        sort = table_sort(sort)
        self._column = SORTS[sort.lstrip("-")]
        self._descending = sort.startswith("-")

    def count(self) -> int:
        """How many PRs the table lists. Given the period's merged count (the summary's), only the opened range is
        read: the table is those opened in the period plus those merged in it, less the ones that are both."""
        opened, merged_earlier = (part.order_by() for part in self._parts)
        if self._merged_count is not None:
            both = opened.aggregate(n=Count("*"), merged=Count("pk", filter=self._merged_window))
            return int(both["n"]) + self._merged_count - int(both["merged"])
        return opened.values("pk").union(merged_earlier.values("pk"), all=True).count()

    def __getitem__(self, page: slice) -> list[PullRequest]:
        opened, merged_earlier = (
            part.order_by().annotate(sort_value=_sort_value(self._column)).values_list("pk", "sort_value")
            for part in self._parts
        )
        value = F("sort_value").desc(nulls_last=True) if self._descending else F("sort_value").asc(nulls_last=True)
        ids = [pk for pk, _ in opened.union(merged_earlier, all=True).order_by(value, F("pk").desc())[page]]
        rows = (
            PullRequest.objects.for_team(self._team)
            .filter(pk__in=ids)
            .select_related("author")
            .only(*ROW_FIELDS, "author__github_username")
            .annotate(size=SIZE)
            .in_bulk()
        )
        return [rows[pk] for pk in ids]


SIZE = F("additions") + F("deletions")
# What a row of the table shows (its cells, flags and links): a page's PRs are loaded with these alone, not with
# every timestamp and the labels of each PR and its author, which the table never shows.
ROW_FIELDS = (
    "github_repo", "number", "title", "author", "state", "is_draft", "pr_created_at", "merged_at",
    "cycle_time_seconds", "review_time_seconds", "additions", "deletions", "is_revert", "is_hotfix", "is_bot_author",
    "merged_without_review",
)  # fmt: skip


def _sort_value(column: str) -> F | CombinedExpression:
    return SIZE if column == "size" else F(column)


def team_pull_request_table(
    *, team: Team, filters: DashboardFilters, sort: str, merged_count: int | None = None
) -> PullRequestTable:
    """PRs opened or merged in the period, sorted by a whitelisted column with empty values last.

    ``merged_count`` is the number of the period's merged PRs in the dashboard's scope (``FlowSummary.merged``)
    when the page already has it: the table's count then reads one index range instead of two.
    """
    return PullRequestTable(team=team, filters=filters, sort=sort, merged_count=merged_count)


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
    """In the time zone the page is shown in (the team's), named, so nobody has to guess."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"


def _pickup_reason(pr: PullRequest) -> str:
    if pr.ready_at is None:
        return "none yet: it has never left draft"
    if pr.first_review_at is None and pr.merged_at is not None:
        return "none: no human other than the author reviewed it before the merge"
    if pr.first_review_at is None:
        return "none yet: no human other than the author has reviewed it"
    if pr.first_review_at < pr.ready_at:
        return (
            "0: its first review came while it was still a draft, before it was ready for review, "
            "so there was no wait for a reviewer"
        )
    return "first review minus ready for review"


def _breakdown_reasons(pr: PullRequest) -> list[Reason]:
    """The four phases of a merged PR, each with why it is what it is, in words when it is empty or cut short."""
    reviewed = pr.first_review_at is not None and not pr.merged_without_review
    approved = reviewed and pr.last_approval_at is not None
    if pr.ready_at is None:
        draft = "0: it never left draft as far as GitHub told us, so its time counts from opening"
    elif pr.ready_at == pr.pr_created_at:
        draft = "0: it was opened ready for review"
    else:
        draft = "opened → ready for review"
    if not reviewed or pr.first_review_at is None:
        pickup = "ready → merge: it was merged without a review"
    elif pr.first_review_at < (pr.ready_at or pr.pr_created_at):
        pickup = "0: its first review came before it was ready for review"
    else:
        pickup = "ready → first review"
    if not reviewed:
        review = "0: it was merged without a review"
    elif not approved:
        review = "first review → merge: no approval stood at the merge"
    else:
        review = "first review → last approval"
    merge_wait = (
        "last approval → merge"
        if approved
        else "0: no approval stood at the merge (none was given, or its reviewer asked for changes after it)"
    )
    reasons = [Reason("Draft", duration_text(pr.draft_seconds), draft)]
    # One pickup line per panel: the breakdown's phase is shown only when it differs from the "Pickup" figure above
    # (merged without a review, or reviewed without ever leaving draft), under a name of its own.
    if not (reviewed and pr.pickup_seconds == pr.review_time_seconds):
        reasons.append(Reason("Wait before review or merge", duration_text(pr.pickup_seconds), pickup))
    reasons.append(Reason("Review", duration_text(pr.review_phase_seconds), review))
    reasons.append(Reason("Merge wait", duration_text(pr.merge_wait_seconds), merge_wait))
    return reasons


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
    if review.reviewer_id is None:
        return "ignored: a deleted account (it may be the author's own)"
    if pr.merged_at is not None and review.submitted_at > pr.merged_at:
        return "ignored: after the merge"
    return "counted"


def pull_request_explanation(*, team: Team, pull_request_id: int) -> PullRequestExplanation:
    """Every number of one PR with the event that produced it. Raises ``PullRequest.DoesNotExist`` across teams."""
    pr = PullRequest.objects.for_team(team).select_related("author").get(pk=pull_request_id)
    reviews = list(
        PRReview.objects.for_team(team)
        .filter(pull_request=pr)
        .select_related("reviewer")
        .order_by("submitted_at", "github_review_id")  # one second's reviews in GitHub's submission order
    )
    events = list(PREvent.objects.for_team(team).filter(pull_request=pr).select_related("actor", "subject"))
    explanation = PullRequestExplanation(pull_request=pr)
    explanation.reasons = _reasons(pr, reviews)
    # Opened as a draft is one fact: its ``draft`` entry at creation says it, the ``opened`` entry would repeat it.
    as_draft = any(e.kind == TimelineKind.DRAFT and e.occurred_at == pr.pr_created_at for e in events)
    for event in events:
        if as_draft and event.kind == TimelineKind.OPENED:
            continue
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


def _last_approval(pr: PullRequest, reviews: list[PRReview]) -> PRReview | None:
    """The review behind ``last_approval_at``, chosen by the rule that set it (of approvals given in one second,
    the last one GitHub recorded)."""
    facts = PullRequestFacts(
        created_at=pr.pr_created_at,
        merged_at=pr.merged_at,
        is_draft=pr.is_draft,
        author_id=pr.author_id,
        author_is_bot=pr.is_bot_author,
    )
    by_pk = {r.pk: r for r in reviews}
    facts_of_reviews = [
        ReviewFact(r.pk, r.reviewer_id, r.reviewer is not None and r.reviewer.is_bot, r.state, r.submitted_at,
                   r.github_review_id)
        for r in reviews
    ]  # fmt: skip
    found = last_approval(facts, facts_of_reviews)
    return by_pk[found.review_id] if found is not None and found.review_id is not None else None


def _reasons(pr: PullRequest, reviews: list[PRReview]) -> list[Reason]:
    first = next(
        (r for r in reviews if r.submitted_at == pr.first_review_at and _review_note(pr, r) == "counted"), None
    )
    approval = _last_approval(pr, reviews)
    reasons = [
        Reason("Ready for review", _when(pr.ready_at), _ready_reason(pr)),
        Reason(
            "First review",
            _when(pr.first_review_at),
            f"first review by {first.reviewer} (bots' and the author's own reviews do not count)"
            if first
            else "no human other than the author reviewed it before the merge"
            if pr.merged_at
            else "no human other than the author has reviewed it yet",
        ),
        Reason("Pickup", duration_text(pr.review_time_seconds), _pickup_reason(pr)),
        Reason(
            "Last approval",
            _when(pr.last_approval_at),
            f"approved by {approval.reviewer}, whose approval still stood"
            if approval
            else "none standing: a reviewer's later request for changes withdraws their approval",
        ),
        Reason(
            "Cycle time",
            duration_text(pr.cycle_time_seconds),
            f"merged {_when(pr.merged_at)} minus opened {_when(pr.pr_created_at)}",
        ),
    ]
    if pr.merged_at:
        reasons += _breakdown_reasons(pr)
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
