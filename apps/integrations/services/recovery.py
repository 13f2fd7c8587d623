"""Recovering deliveries GitHub could not hand us.

GitHub never retries a failed delivery by itself. When our endpoint was down (or answered 503 because the
database was), the delivery exists only in GitHub's log, ``GET /app/hook/deliveries`` (newest first, one
entry per attempt, cursor-paginated, kept three days). This job reads that log back to where the previous
complete scan started, and asks GitHub to redeliver (``POST /app/hook/deliveries/{id}/attempts``) every
delivery whose attempts all failed and that we never stored. A run is bounded (pages read, redeliveries asked);
the checkpoint is saved after every page, and the next run resumes on the page this one reached.

Nothing GitHub refuses can make the job stick: the checkpoint is saved before and after every redelivery
request (with the GUIDs already asked for, so a crash never asks twice), an attempt GitHub refuses (400/422:
too old, already redelivered, not redeliverable) is skipped with its reason logged, and a cursor GitHub no
longer accepts starts the scan over from the newest entry. The scan never reaches back further than an hour
inside GitHub's three-day retention, where entries vanish while being read.

Redelivery requests are paced at least ``REDELIVERY_INTERVAL`` (one second) apart: GitHub's "Best practices for
using the REST API" asks for a pause of at least a second between mutative requests (POST, PATCH, PUT, DELETE)
to avoid its secondary rate limits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.integrations.github import GitHubAppNotConfigured, app_api
from apps.integrations.models import Checkpoint, WebhookDelivery
from github_app import AppAPI, GitHubError, RateLimited

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "github-hook-deliveries"
GITHUB_LOG_RETENTION = timedelta(days=3)
RETENTION_MARGIN = timedelta(hours=1)
# GitHub's answers that mean "not this one, not ever": the request is wrong for this entry or cursor.
REFUSED = frozenset({400, 404, 410, 422})
REDELIVERY_INTERVAL = 1.0


class _Pacer:
    """At least ``interval`` seconds between the starts of two redelivery requests of one run."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < REDELIVERY_INTERVAL:
            self._sleep(REDELIVERY_INTERVAL - (now - self._last))
            now = self._clock()
        self._last = now


@dataclass
class _Scan:
    """State of one scan of GitHub's delivery log, saved in the checkpoint between runs."""

    since: datetime
    newest: datetime | None = None
    cursor: str | None = None
    succeeded: set[str] = field(default_factory=set)
    requested: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)


def _window_start() -> datetime:
    """The oldest moment a scan looks at: safely inside the three days GitHub keeps its log."""
    return timezone.now() - (GITHUB_LOG_RETENTION - RETENTION_MARGIN)


def _load(checkpoint: Checkpoint) -> _Scan:
    value = checkpoint.value
    saved = parse_datetime(value["since"]) if value.get("since") else None
    scan = _Scan(since=max(saved or _window_start(), _window_start()), cursor=value.get("cursor"))
    scan.newest = parse_datetime(value["newest"]) if value.get("newest") else None
    scan.requested = set(value.get("requested") or ())
    scan.refused = set(value.get("refused") or ())
    return scan


def _save(checkpoint: Checkpoint, scan: _Scan, *, complete: bool) -> None:
    if complete:
        checkpoint.value = {"since": (scan.newest or scan.since).isoformat()}
    else:
        checkpoint.value = {
            "since": scan.since.isoformat(),
            "newest": scan.newest.isoformat() if scan.newest else None,
            "cursor": scan.cursor,
            "requested": sorted(scan.requested),
            "refused": sorted(scan.refused),
        }
    checkpoint.save(update_fields=["value", "updated_at"])


def _ok(entry: dict[str, Any]) -> bool:
    code = entry.get("status_code")
    return isinstance(code, int) and 200 <= code < 300


def _lost(page: list[dict[str, Any]], scan: _Scan) -> list[dict[str, Any]]:
    """Failed entries on this page whose GUID never succeeded, was never stored, and is not yet requested."""
    scan.succeeded.update(e["guid"] for e in page if _ok(e) and e.get("guid"))
    failed: dict[str, dict[str, Any]] = {}
    for e in page:  # newest first: the newest failed attempt of each delivery is the one to redeliver
        if not _ok(e) and e.get("guid"):
            failed.setdefault(e["guid"], e)
    stored = set(WebhookDelivery.objects.filter(delivery_id__in=list(failed)).values_list("delivery_id", flat=True))
    skip = stored | scan.succeeded | scan.requested | scan.refused
    return [e for g, e in failed.items() if g not in skip]


def _redeliver(api: AppAPI, entry: dict[str, Any], scan: _Scan, checkpoint: Checkpoint) -> bool:
    """Ask GitHub to redeliver one entry; False when GitHub refuses it (skipped for good, reason logged)."""
    _save(checkpoint, scan, complete=False)  # a crash during the call resumes on this page
    guid = entry["guid"]
    try:
        api.redeliver(entry["id"])
    except GitHubError as exc:
        if exc.status not in REFUSED:
            raise
        scan.refused.add(guid)
        _save(checkpoint, scan, complete=False)
        logger.warning("GitHub refused to redeliver %s (%s), skipped: %s", guid, entry.get("event"), exc)
        return False
    scan.requested.add(guid)
    _save(checkpoint, scan, complete=False)  # never asked twice, even if the next call crashes
    logger.info("asked GitHub to redeliver %s (%s)", guid, entry.get("event"))
    return True


def _page(api: AppAPI, scan: _Scan, checkpoint: Checkpoint) -> tuple[list[dict[str, Any]], str | None] | None:
    """One page of the log, or None when GitHub refuses a stale cursor: the next run starts over from the top."""
    try:
        return api.list_hook_deliveries(cursor=scan.cursor)
    except GitHubError as exc:
        if scan.cursor is None or exc.status not in REFUSED:
            raise
        logger.warning("GitHub refused the delivery-log cursor; the next run starts over from the newest: %s", exc)
        scan.cursor, scan.newest = None, None
        _save(checkpoint, scan, complete=False)
        return None


def deliveries_recover_failed(
    *,
    api: AppAPI | None = None,
    budget: int | None = None,
    pages: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Ask GitHub to redeliver what it failed to deliver to us; returns how many this run requested.

    A run reads at most ``pages`` pages of the log (``WEBHOOK_REDELIVERY_PAGES_PER_RUN``) and asks for at most
    ``budget`` redeliveries, each an App-JWT call (GitHub's budget for them is in docs/deployment.md). The place
    is saved after every page, so a scan stopped by a rate limit, a crash or the page bound resumes on the page
    it reached, never from the top. A delivery that succeeded on a page of an earlier run is known by being
    stored (every delivery answered 2xx is stored first), so resuming never redelivers it.
    """
    try:
        api = api or app_api()
    except GitHubAppNotConfigured:
        logger.info("GitHub App not configured; skipping delivery recovery")
        return 0
    budget = settings.WEBHOOK_REDELIVERIES_PER_RUN if budget is None else budget
    pages = settings.WEBHOOK_REDELIVERY_PAGES_PER_RUN if pages is None else pages
    checkpoint, _ = Checkpoint.objects.get_or_create(name=CHECKPOINT_NAME)
    scan, asked, pacer = _load(checkpoint), 0, _Pacer(clock, sleep)
    for _ in range(pages):
        try:
            answer = _page(api, scan, checkpoint)
        except RateLimited as exc:
            logger.warning("delivery-log scan paused by a rate limit; the next run resumes on this page: %s", exc)
            return asked
        if answer is None:
            return asked
        page, next_cursor = answer
        in_window = [e for e in page if (parse_datetime(e.get("delivered_at") or "") or scan.since) >= scan.since]
        if scan.newest is None and in_window:
            scan.newest = max(parse_datetime(e.get("delivered_at") or "") or scan.since for e in in_window)
        for entry in _lost(in_window, scan):
            if asked >= budget:
                _save(checkpoint, scan, complete=False)  # resume on this page next run
                return asked
            pacer.wait()
            asked += _redeliver(api, entry, scan, checkpoint)
        if next_cursor is None or len(in_window) < len(page):
            _save(checkpoint, scan, complete=True)
            return asked
        scan.cursor = next_cursor
        _save(checkpoint, scan, complete=False)  # this page is done: a rate limit on the next one resumes there
    return asked
