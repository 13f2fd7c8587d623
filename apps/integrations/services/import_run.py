"""One import of a tracked repository's pull requests through GitHub's GraphQL API (history import or catch-up).

``REPOSITORY_PULL_REQUESTS_QUERY`` pages through ``repository.pullRequests(orderBy: UPDATED_AT DESC)``, 50 PRs per
request with up to 100 reviews and 100 timeline items each (ready-for-review / converted-to-draft, review requests
and their removals); the rare PR with more is completed with ``PULL_REQUEST_REVIEWS_QUERY`` /
``PULL_REQUEST_TIMELINE_QUERY``. Paging stops at the first PR updated before
``import_since`` (the history window, or the last successful import for a catch-up); a pass of several pages is
followed by one over the PRs updated since it started (the ones it may have skipped, see ``_pass_again``).

How it behaves when things go wrong:

- **Resumable.** Each page is written through ``pull_requests_import`` (which never lets an older snapshot
  overwrite a newer one, e.g. a webhook's) in the same transaction that saves the page's ``endCursor``, so a crash
  or restart resumes exactly after the last written page.
- **One import per repository.** A run claims the row (``import_claim`` under ``select_for_update``) and refreshes
  ``import_heartbeat_at`` on every page; a claim silent for ``IMPORT_LOCK_SECONDS`` is taken over.
- **Untracking stops it.** Before writing a page the run re-reads the row: untracked (or claim gone) → it stops,
  keeping the cursor, so tracking again resumes.
- **Rate limits are never slept through.** When ``rateLimit.remaining`` drops below ``IMPORT_RATE_LIMIT_RESERVE``
  or GitHub answers ``RATE_LIMITED``, the run saves its place and returns a countdown to ``resetAt``; the task
  re-schedules itself for then.
- **502s and timeouts** (GitHub's answer to a query too heavy to finish) halve the page size down to
  ``IMPORT_MIN_PAGE_SIZE``; it doubles back after three good pages.
- **In turns.** Given ``pages``, a run stops after that many pages keeping its claim (``more``); the task queues
  the next turn with the claim, behind other teams' work. A turn whose claim was taken over meanwhile does nothing.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.integrations.github import GitHubAppNotConfigured, installation_api
from apps.integrations.mapping.graphql import ImportItem, import_item_from_node
from apps.integrations.models import ImportErrorKind, ImportStatus, InstallationStatus, TrackedRepository
from apps.integrations.prometheus import import_finished, import_page, rate_limit_wait
from apps.metrics.services import pull_requests_import
from config.log_context import log_context
from github_app import (
    GitHubError,
    GraphQLError,
    InstallationAPI,
    InstallationNotFound,
    InstallationSuspended,
    PullRequestPage,
    RateLimited,
    RetryPolicy,
    ReviewNode,
    ServerError,
    TimelineItem,
    TransportError,
    Unauthorized,
)

logger = logging.getLogger(__name__)

GROW_AFTER_SUCCESSES = 3
FAILURES_AT_FLOOR = 3
FAILING_COUNTDOWN = 120
CLAIMABLE = (ImportStatus.QUEUED, ImportStatus.WAITING, ImportStatus.RUNNING)


@dataclass(frozen=True)
class ImportOutcome:
    """``done`` | ``more`` (this turn's pages are written; ``claim`` goes on) | ``stopped`` (untracked or claim lost)
    | ``busy`` | ``idle`` (nothing to do) | ``waiting`` | ``failed``. ``countdown`` (seconds) says when to run again,
    for ``waiting`` with a known time."""

    status: str
    imported: int = 0
    countdown: int | None = None
    claim: str = ""


@dataclass
class _Run:
    pk: int
    installation_id: int
    token: str
    owner: str
    name: str
    since: datetime | None
    cursor: str | None
    page_size: int
    imported: int = 0
    successes: int = 0
    failures: int = 0

    def shrink(self) -> bool:
        """After a 502 or timeout: halve the page; at the floor, allow a few more tries. False: give up for now."""
        self.successes = 0
        if self.page_size > settings.IMPORT_MIN_PAGE_SIZE:
            self.page_size = max(settings.IMPORT_MIN_PAGE_SIZE, self.page_size // 2)
            return True
        self.failures += 1
        return self.failures < FAILURES_AT_FLOOR

    def succeeded(self) -> None:
        """A good page: after a few in a row, double the page size back towards ``IMPORT_PAGE_SIZE``."""
        self.failures, self.successes = 0, self.successes + 1
        if self.successes >= GROW_AFTER_SUCCESSES and self.page_size < settings.IMPORT_PAGE_SIZE:
            self.page_size, self.successes = min(settings.IMPORT_PAGE_SIZE, self.page_size * 2), 0


def installation_import_api(*, installation_id: int, github_repo_id: int | None = None) -> InstallationAPI:
    """The installation's API with one attempt per request: a 502 on a page is answered by a smaller page (here),
    not by asking for the same too-heavy page twice more with backoff (the client's default policy). Its token is
    scoped to the one repository the import reads (``repository_ids``), as GitHub advises for least privilege."""
    repository_ids = (github_repo_id,) if github_repo_id is not None else None
    return installation_api(installation_id, retry=RetryPolicy(max_attempts=1), repository_ids=repository_ids)


def tracked_repository_import(
    *, tracked_repository_id: int, api: InstallationAPI | None = None, claim: str = "", pages: int | None = None
) -> ImportOutcome:
    """Run (or resume) the repository's scheduled import until it is done, stopped, or must wait, or for at most
    ``pages`` pages (a turn); ``claim`` continues the import whose previous turn returned it."""
    claimed = _claim(tracked_repository_id, claim)
    if isinstance(claimed, ImportOutcome):
        return claimed
    tracked, run = claimed
    installation_id = run.installation_id
    # Every line of this import (here, in the GitHub client, in the metrics services) names what it imports.
    with log_context(installation_id=installation_id, repository=tracked.full_name, tracked_repository_id=run.pk):
        try:
            api = api or installation_import_api(installation_id=installation_id, github_repo_id=tracked.github_repo_id)
            outcome = _pages(api, tracked, run, pages)
        except GitHubAppNotConfigured:
            outcome = _release(run, ImportStatus.FAILED, ImportErrorKind.NOT_CONFIGURED)
        except Exception:
            _release(run, ImportStatus.FAILED, ImportErrorKind.UNEXPECTED)
            import_finished(outcome="failed")
            raise
        logger.info("import: %s, %s PRs", outcome.status, outcome.imported)
    if outcome.status != "more":
        import_finished(outcome=outcome.status)
    return outcome


def _claim(pk: int, claim: str = "") -> tuple[TrackedRepository, _Run] | ImportOutcome:
    now = timezone.now()
    with transaction.atomic():
        row = (
            TrackedRepository.objects.select_for_update(of=("self",))
            .select_related("installation")
            .filter(pk=pk)
            .first()
        )
        if row is None or not row.is_active or row.import_status not in CLAIMABLE:
            return ImportOutcome("idle")
        if claim and (row.import_claim != claim or row.import_status != ImportStatus.RUNNING):
            return ImportOutcome("idle")  # a turn of an import taken over, released or finished meanwhile
        if not claim and row.import_running(now=now):
            return ImportOutcome("busy")
        installation = row.installation
        if installation is None or installation.status != InstallationStatus.ACTIVE:
            # Suspended or uninstalled: call nothing. An unsuspend schedules the repositories again.
            row.import_status, row.import_resume_at = ImportStatus.WAITING, None
            row.import_error_kind, row.import_error = ImportErrorKind.INSTALLATION_INACTIVE, ""
            row.save(
                update_fields=["import_status", "import_resume_at", "import_error_kind", "import_error", "updated_at"]
            )
            return ImportOutcome("waiting")
        row.import_status, row.import_claim, row.import_heartbeat_at = (
            ImportStatus.RUNNING,
            claim or str(uuid.uuid4()),
            now,
        )
        row.import_resume_at, row.import_error_kind, row.import_error = None, "", ""
        update = [
            "import_status",
            "import_claim",
            "import_heartbeat_at",
            "import_resume_at",
            "import_error_kind",
            "import_error",
        ]
        row.save(update_fields=update)
    owner, _, name = row.full_name.partition("/")
    page_size = min(max(row.import_page_size, settings.IMPORT_MIN_PAGE_SIZE), settings.IMPORT_PAGE_SIZE)
    run = _Run(
        row.pk,
        installation.installation_id,
        row.import_claim,
        owner,
        name,
        row.import_since,
        row.import_cursor or None,
        page_size,
    )
    return row, run


def _pages(api: InstallationAPI, tracked: TrackedRepository, run: _Run, pages: int | None = None) -> ImportOutcome:
    while True:
        paged = run.cursor is not None  # this page follows another of the same pass
        try:
            page, more, more_timeline = _fetch(api, run)
        except (ServerError, TransportError) as exc:
            if run.shrink():
                logger.info("import: %s; page size now %s", exc, run.page_size)
                continue
            return _release(run, ImportStatus.WAITING, ImportErrorKind.GITHUB_FAILING, FAILING_COUNTDOWN)
        except GitHubError as exc:
            return _release_on_error(run, exc)
        run.succeeded()
        import_page(pull_requests=len(page.pull_requests))
        fresh = [n for n in page.pull_requests if run.since is None or n.updated_at >= run.since]
        repo_id, full_name = tracked.github_repo_id, tracked.full_name
        items = [
            import_item_from_node(
                n,
                github_repo_id=repo_id,
                full_name=full_name,
                more_reviews=more.get(n.number, ()),
                more_timeline=more_timeline.get(n.number, ()),
            )
            for n in fresh
        ]
        if not _checkpoint(tracked, run, items, page):
            return ImportOutcome("stopped", run.imported)
        if len(fresh) < len(page.pull_requests) or not page.page_info.has_next_page:
            if paged and fresh and _pass_again(run):
                continue
            return _finish(run)
        budget = page.rate_limit
        if budget is not None and budget.remaining < settings.IMPORT_RATE_LIMIT_RESERVE:
            countdown = _seconds_until(budget.reset_at)
            rate_limit_wait(where="import", seconds=countdown)
            return _release(run, ImportStatus.WAITING, ImportErrorKind.RATE_RESERVED, countdown)
        if pages is not None:
            pages -= 1
            if pages <= 0:
                return ImportOutcome("more", run.imported, claim=run.token)


def _release_on_error(run: _Run, exc: GitHubError) -> ImportOutcome:
    """An answer another attempt now cannot fix, as a kind the pages word for an admin, with GitHub's words when they
    help. A 401 on the App JWT or the installation token (a wrong private key or App id, a revoked key) is not fixed
    by waiting: the import fails, and the freshness notice says it once for the installation."""
    if isinstance(exc, RateLimited):
        countdown = _seconds_until(datetime.fromtimestamp(exc.retry_at, tz=UTC))
        rate_limit_wait(where="import", seconds=countdown)
        return _release(run, ImportStatus.WAITING, ImportErrorKind.RATE_LIMITED, countdown)
    if isinstance(exc, InstallationSuspended | InstallationNotFound):
        return _release(run, ImportStatus.WAITING, ImportErrorKind.INSTALLATION_INACTIVE)
    if isinstance(exc, Unauthorized):
        return _release(run, ImportStatus.FAILED, ImportErrorKind.CREDENTIALS_REFUSED, detail=str(exc))
    if isinstance(exc, GraphQLError):
        return _release(run, ImportStatus.FAILED, ImportErrorKind.REPOSITORY_UNREADABLE, detail=_first_error(exc))
    return _release(run, ImportStatus.FAILED, ImportErrorKind.GITHUB_ERROR, detail=str(exc))


def _fetch(
    api: InstallationAPI, run: _Run
) -> tuple[PullRequestPage, dict[int, list[ReviewNode]], dict[int, list[TimelineItem]]]:
    """One page, plus the reviews and timeline items past the first 100 of any PR on it
    (``PULL_REQUEST_REVIEWS_QUERY``, ``PULL_REQUEST_TIMELINE_QUERY``): a review request withdrawn late in a long
    history must be read, or the request would look open."""
    page = api.pull_requests_page(run.owner, run.name, first=run.page_size, after=run.cursor)
    more: dict[int, list[ReviewNode]] = {}
    more_timeline: dict[int, list[TimelineItem]] = {}
    for node in page.pull_requests:
        after, has_next = node.reviews_page_info.end_cursor, node.reviews_page_info.has_next_page
        while has_next:
            reviews = api.reviews_page(run.owner, run.name, node.number, after=after)
            more.setdefault(node.number, []).extend(reviews.reviews)
            after, has_next = reviews.page_info.end_cursor, reviews.page_info.has_next_page
        after, has_next = node.timeline_page_info.end_cursor, node.timeline_page_info.has_next_page
        while has_next:
            timeline = api.timeline_page(run.owner, run.name, node.number, after=after)
            more_timeline.setdefault(node.number, []).extend(timeline.items)
            after, has_next = timeline.page_info.end_cursor, timeline.page_info.has_next_page
    return page, more, more_timeline


def _checkpoint(tracked: TrackedRepository, run: _Run, items: list[ImportItem], page: PullRequestPage) -> bool:
    """Write the page and save its cursor in one transaction, unless the repository was untracked meanwhile."""
    with transaction.atomic():
        row = TrackedRepository.objects.select_for_update().get(pk=run.pk)
        if not row.is_active or row.import_claim != run.token:
            return False
        pull_requests_import(team=tracked.team, items=items)
        run.cursor = page.page_info.end_cursor or run.cursor
        run.imported += len(items)
        row.import_cursor = run.cursor or ""
        row.import_count += len(items)
        row.import_total, row.import_page_size, row.import_heartbeat_at = (
            page.total_count,
            run.page_size,
            timezone.now(),
        )
        row.save(
            update_fields=["import_cursor", "import_count", "import_total", "import_page_size", "import_heartbeat_at"]
        )
    return True


def _pass_again(run: _Run) -> bool:
    """After a pass whose last page still held PRs of its window and followed another page, one more over the PRs
    updated since the pass started: a PR updated while the pass ran moved ahead of its cursor in the
    ``UPDATED_AT`` order, so the pass skipped it (and a webhook brings only its latest change, not its history).
    The new pass is short, usually one page that ends on a PR older than its window: then no other follows."""
    now = timezone.now()
    with transaction.atomic():
        row = TrackedRepository.objects.select_for_update().get(pk=run.pk)
        if row.import_claim != run.token or row.import_started_at is None or row.import_started_at >= now:
            return False
        row.import_since, row.import_started_at, row.import_cursor = row.import_started_at, now, ""
        row.save(update_fields=["import_since", "import_started_at", "import_cursor"])
    run.since, run.cursor = row.import_since, None
    return True


def _finish(run: _Run) -> ImportOutcome:
    with transaction.atomic():
        row = TrackedRepository.objects.select_for_update().get(pk=run.pk)
        if row.import_claim == run.token:
            row.import_status, row.import_claim, row.import_cursor = ImportStatus.IDLE, "", ""
            row.import_error_kind, row.import_error = "", ""
            row.last_imported_at = row.import_started_at or timezone.now()
            row.import_page_size = settings.IMPORT_PAGE_SIZE
            row.save()
    return ImportOutcome("done", run.imported)


def _release(
    run: _Run, status: str, kind: ImportErrorKind, countdown: int | None = None, *, detail: str = ""
) -> ImportOutcome:
    """Give the claim up, keeping the cursor: ``waiting`` (resumed at ``countdown``, or by an unsuspend / Import
    now when None) or ``failed`` (its ``kind`` worded for the admin, with GitHub's ``detail``; Import now resumes)."""
    with transaction.atomic():
        row = TrackedRepository.objects.select_for_update().get(pk=run.pk)
        if row.import_claim == run.token:
            row.import_status, row.import_claim, row.import_error_kind, row.import_error = status, "", kind, detail
            row.import_page_size = run.page_size
            row.import_resume_at = timezone.now() + timedelta(seconds=countdown) if countdown is not None else None
            row.save()
    return ImportOutcome("waiting" if status == ImportStatus.WAITING else "failed", run.imported, countdown)


def _seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()) + 1)


def _first_error(exc: GraphQLError) -> str:
    errors = getattr(exc, "errors", None) or []
    first = errors[0] if errors else {}
    return str(first.get("message", exc)) if isinstance(first, dict) else str(exc)
