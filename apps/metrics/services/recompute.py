"""Recomputing derived PR values from stored facts, for one PR or thousands, in a bounded number of queries.

Every write path ends here: the webhook upserts, the import's batches, an admin marking a bot, and
``manage.py recompute_metrics`` after a change of definition. The rules themselves live in ``apps.metrics.rules``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import TypeVar

from django.db import transaction
from django.db.models import Case, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from apps.metrics.models import PREvent, PRReview, PullRequest, PullRequestState
from apps.metrics.rules import EventFact, PullRequestFacts, ReviewFact, pull_request_metrics
from apps.metrics.services.deciding_reviews import deciding_reviews
from apps.metrics.types import TimelineKind
from apps.teams.models import BaseTeamModel, Team

_Row = TypeVar("_Row", bound=BaseTeamModel)

METRIC_FIELDS = (
    "ready_at",
    "first_review_at",
    "last_approval_at",
    "review_time_seconds",
    "cycle_time_seconds",
    "draft_seconds",
    "pickup_seconds",
    "review_phase_seconds",
    "merge_wait_seconds",
    "merged_without_review",
    "is_bot_author",
)
RECOMPUTE_BATCH = 500
_NEVER = datetime.min.replace(tzinfo=UTC)
RESPONSE_BATCH = 100


def metrics_apply(
    pull_requests: Sequence[PullRequest], *, also_save: Sequence[str] = (), new_events: Sequence[PREvent] = ()
) -> dict[int, int | None]:
    """Record ``new_events``, then recompute and save the metrics of loaded, locked PRs (``author`` selected).

    A bounded number of statements whatever the number of PRs, reviews and events: read events, insert the new
    ones (with the ``ready`` entry derived at creation when the PR was opened ready), read the reviews that can
    decide a metric (``deciding_reviews``: index probes, a few per reviewer, never every review of a busy PR),
    update the PRs (with ``also_save`` snapshot fields), update the reviews whose response time changed; rarely,
    fill a missing actor, drop a derived ``ready`` entry that later facts contradict, or bring the reviews' copies
    of the PR's scope columns (``PRReview.pr_*``, which reviewer load reads without a join) up to date.

    Those copies are written for all of a PR's reviews at once, and set from the PR when a review is created, so
    they are equal across the PR's reviews; when the PR's author, bot flag or repository changes, the reviews read
    here (every reviewer's first review is among them) show the old value, and all of the PR's reviews are
    updated in one statement.

    Returns every review's response time by ``github_review_id``.
    """
    if not pull_requests:
        return {}
    by_id = {pr.pk: pr for pr in pull_requests}
    timeline = _Timeline.load(by_id)
    timeline.add(new_events)
    reviews, stored = deciding_reviews({pk: pr.merged_at for pk, pr in by_id.items()})
    changed_reviews: dict[int, int | None] = {}  # review pk -> its new response time
    stale_copies: list[PullRequest] = []
    response: dict[int, int | None] = {}
    now = timezone.now()
    for pr in pull_requests:
        metrics = pull_request_metrics(_facts(pr), reviews[pr.pk], timeline.facts[pr.pk])
        for name in METRIC_FIELDS:
            setattr(pr, name, getattr(metrics, name))
        pr.updated_at = now
        timeline.derive_ready(pr, opened_ready=metrics.opened_ready)
        timeline.derive_open_requests(pr, reviews[pr.pk])
        copies = tuple(review_scope_copies(pr).values())
        review_pks = [review.review_id for review in reviews[pr.pk] if review.review_id is not None]  # all: stored
        if any(stored[review_pk][2] != copies for review_pk in review_pks):
            stale_copies.append(pr)
        for review_pk in review_pks:
            github_review_id, seconds, _ = stored[review_pk]
            response[github_review_id] = metrics.response_seconds.get(review_pk)
            if seconds != response[github_review_id]:
                changed_reviews[review_pk] = response[github_review_id]
    timeline.save()
    _save(pull_requests, [*also_save, *METRIC_FIELDS, "updated_at"])
    _response_times_save(changed_reviews, now)
    for pr in stale_copies:
        PRReview.objects.filter(pull_request=pr).update(**review_scope_copies(pr), updated_at=now)
    return response


def _response_times_save(changed: dict[int, int | None], now: datetime) -> None:
    """Write the reviews' new response times: a CASE per row for the one column that differs row to row (few rows
    change per event, at most ``RESPONSE_BATCH`` per statement in a recompute), ``updated_at`` set once. Django's
    ``bulk_update`` would build a second CASE per row for ``updated_at``, and building them is most of its cost.
    The CASE is cast, as ``bulk_update`` casts it: PostgreSQL types a CASE whose every branch is NULL as text."""
    field = PRReview._meta.get_field("response_seconds")
    rows = list(changed.items())
    for start in range(0, len(rows), RESPONSE_BATCH):
        chunk = rows[start : start + RESPONSE_BATCH]
        seconds = Case(*(When(pk=pk, then=Value(value, output_field=field)) for pk, value in chunk), output_field=field)
        PRReview.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
            response_seconds=Cast(seconds, output_field=field), updated_at=now
        )


def _facts(pr: PullRequest) -> PullRequestFacts:
    return PullRequestFacts(
        created_at=pr.pr_created_at,
        merged_at=pr.merged_at,
        is_draft=pr.is_draft,
        author_id=pr.author_id,
        author_is_bot=bool(pr.author and pr.author.is_bot),
    )


class _Timeline:
    """The stored events of a set of PRs plus what is being added, keyed like the ``unique_pr_event`` constraint."""

    def __init__(self, by_id: dict[int, PullRequest]) -> None:
        self.by_id = by_id
        self.facts: dict[int, list[EventFact]] = defaultdict(list)
        self.stored: dict[
            tuple[object, ...], tuple[int, int | None, bool]
        ] = {}  # key -> (pk, actor_id, is_open_request)
        self.requests: dict[int, dict[tuple[object, ...], tuple[int | None, datetime]]] = defaultdict(
            dict
        )  # subject, when
        self.to_insert: dict[tuple[object, ...], PREvent] = {}
        self.to_fill: list[PREvent] = []
        self.to_flag: list[PREvent] = []
        self.to_drop: list[int] = []

    @classmethod
    def load(cls, by_id: dict[int, PullRequest]) -> _Timeline:
        timeline = cls(by_id)
        rows = PREvent.objects.filter(pull_request_id__in=by_id).values_list(
            "pk", "pull_request_id", "kind", "occurred_at", "subject_id", "subject_github_id", "actor_id",
            "is_open_request",
        )  # fmt: skip
        for pk, pr_id, kind, occurred_at, subject_id, subject_github_id, actor_id, is_open in rows.order_by():
            timeline.facts[pr_id].append(EventFact(kind, occurred_at, subject_id))
            key = (pr_id, kind, occurred_at, subject_github_id)
            timeline.stored[key] = (pk, actor_id, is_open)
            if kind == TimelineKind.REVIEW_REQUESTED:
                timeline.requests[pr_id][key] = (subject_id, occurred_at)
        return timeline

    def add(self, rows: Iterable[PREvent]) -> None:
        for row in rows:
            key = (row.pull_request_id, row.kind, row.occurred_at, row.subject_github_id)
            if key in self.stored:
                pk, actor_id, _ = self.stored[key]
                if actor_id is None and row.actor_id is not None:
                    self.to_fill.append(PREvent(pk=pk, actor_id=row.actor_id))
                continue
            if key not in self.to_insert:
                self.facts[row.pull_request_id].append(EventFact(row.kind, row.occurred_at, row.subject_id))
            if key not in self.to_insert or row.actor_id is not None:
                self.to_insert[key] = row
            if row.kind == TimelineKind.REVIEW_REQUESTED:
                self.requests[row.pull_request_id][key] = (row.subject_id, row.occurred_at)

    def derive_ready(self, pr: PullRequest, *, opened_ready: bool) -> None:
        """Keep a ``ready`` entry at creation exactly when the PR was opened ready for review."""
        key = (pr.pk, TimelineKind.READY.value, pr.pr_created_at, 0)
        if opened_ready and key not in self.stored:
            self.add([PREvent(team_id=pr.team_id, pull_request=pr, kind=key[1], occurred_at=key[2])])
        elif not opened_ready and key in self.stored:
            self.to_drop.append(self.stored[key][0])

    def derive_open_requests(self, pr: PullRequest, reviews: Sequence[ReviewFact]) -> None:
        """Flag each review request of the PR that is open now (``PREvent.is_open_request``): the PR is open, the
        requested reviewer has not reviewed at or after the request (any review, whatever its state), and the
        request was not withdrawn strictly after it (removed and made again in one second is still open).

        ``reviews`` holds each reviewer's latest submitted review (``deciding_reviews``), which decides it.
        """
        latest: dict[int | None, datetime] = {}
        for review in reviews:
            if review.submitted_at is not None and review.submitted_at > latest.get(review.reviewer_id, _NEVER):
                latest[review.reviewer_id] = review.submitted_at
        removed = [
            (f.subject_id, f.occurred_at) for f in self.facts[pr.pk] if f.kind == TimelineKind.REVIEW_REQUEST_REMOVED
        ]
        for key, (subject_id, at) in self.requests[pr.pk].items():
            is_open = (
                pr.state == PullRequestState.OPEN
                and subject_id is not None
                and latest.get(subject_id, _NEVER) < at
                and not any(who == subject_id and when > at for who, when in removed)
            )
            if key in self.to_insert:
                self.to_insert[key].is_open_request = is_open
            elif self.stored[key][2] != is_open:
                self.to_flag.append(PREvent(pk=self.stored[key][0], is_open_request=is_open))

    def save(self) -> None:
        if self.to_insert:
            PREvent.objects.bulk_create(self.to_insert.values(), ignore_conflicts=True)
        if self.to_fill:
            PREvent.objects.bulk_update(self.to_fill, ["actor"], batch_size=RECOMPUTE_BATCH)
        if self.to_flag:
            PREvent.objects.bulk_update(self.to_flag, ["is_open_request"], batch_size=RECOMPUTE_BATCH)
        if self.to_drop:
            PREvent.objects.filter(pk__in=self.to_drop).delete()


def _save(pull_requests: Sequence[PullRequest], fields: Sequence[str]) -> None:
    fields = list(dict.fromkeys(fields))
    if len(pull_requests) == 1:
        pr = pull_requests[0]
        PullRequest.objects.filter(pk=pr.pk).update(**{name: getattr(pr, name) for name in fields})
    else:
        rows_update(PullRequest, pull_requests, fields, key=["team", "github_pr_id"])


def rows_update(model: type[_Row], rows: Sequence[_Row], fields: Sequence[str], *, key: Sequence[str]) -> None:
    """Update many loaded rows in one statement per batch, in time linear in their number.

    Django's ``bulk_update`` writes one ``CASE WHEN pk = … THEN …`` per field, which the database evaluates for
    every row: quadratic, minutes for an import. An ``INSERT … ON CONFLICT (natural key) DO UPDATE`` of copies
    without primary key updates the same rows linearly; they exist and are locked by this transaction, so
    nothing new is inserted.
    """
    columns = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    copies = [model(**{name: getattr(row, name) for name in columns}) for row in rows]
    for copy in copies:
        copy.updated_at = timezone.now()
    model.objects.bulk_create(
        copies, update_conflicts=True, unique_fields=list(key), update_fields=list(fields), batch_size=RECOMPUTE_BATCH
    )


def pull_request_metrics_recompute(*, pull_request: PullRequest) -> None:
    """Recompute one PR's metrics from its stored reviews and events."""
    with transaction.atomic():
        pr = PullRequest.objects.select_related("author").select_for_update(of=("self",)).get(pk=pull_request.pk)
        metrics_apply([pr])
    for name in METRIC_FIELDS:
        setattr(pull_request, name, getattr(pr, name))


def pull_requests_recompute(*, team: Team, pull_request_ids: Iterable[int]) -> int:
    """Recompute the given PRs of a team in batches; returns how many were recomputed."""
    ids = iter(sorted(set(pull_request_ids)))
    count = 0
    while chunk := list(islice(ids, RECOMPUTE_BATCH)):
        with transaction.atomic():
            prs = list(
                PullRequest.objects.for_team(team)
                .filter(pk__in=chunk)
                .select_related("author")
                .select_for_update(of=("self",))
                .order_by("pk")
            )
            metrics_apply(prs)
        count += len(prs)
    return count


def team_metrics_recompute(*, team: Team | None = None) -> int:
    """Recompute every PR of one team, or of all teams; used after a metric definition changes."""
    teams = [team] if team is not None else list(Team.objects.order_by("pk"))
    total = 0
    for current in teams:
        ids = PullRequest.objects.for_team(current).order_by("pk").values_list("pk", flat=True)
        total += pull_requests_recompute(team=current, pull_request_ids=ids.iterator(chunk_size=5000))
    return total


def review_scope_copies(pr: PullRequest) -> dict[str, object]:
    """The PR's scope columns as its reviews carry them (``PRReview.pr_*``); ``metrics_apply`` keeps them equal."""
    return {"pr_author_id": pr.author_id, "pr_is_bot_author": pr.is_bot_author, "pr_github_repo_id": pr.github_repo_id}
