"""Recovering deliveries GitHub could not hand us.

GitHub never retries a failed delivery by itself. When our endpoint was down (or answered 503 because the
database was), the delivery exists only in GitHub's log, ``GET /app/hook/deliveries`` (newest first, one
entry per attempt, cursor-paginated, kept three days). This job reads that log back to where the previous
complete scan started, and asks GitHub to redeliver (``POST /app/hook/deliveries/{id}/attempts``) every
delivery whose attempts all failed and that we never stored. A run is bounded; the checkpoint remembers the
page it stopped on, and the next run resumes there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.integrations.github import GitHubAppNotConfigured, app_api
from apps.integrations.models import Checkpoint, WebhookDelivery
from github_app import AppAPI

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "github-hook-deliveries"
GITHUB_LOG_RETENTION = timedelta(days=3)


@dataclass
class _Scan:
    """State of one scan of GitHub's delivery log, saved in the checkpoint between runs."""

    since: datetime
    newest: datetime | None = None
    cursor: str | None = None
    succeeded: set[str] = field(default_factory=set)
    requested: set[str] = field(default_factory=set)


def _load(checkpoint: Checkpoint) -> _Scan:
    value = checkpoint.value
    since = parse_datetime(value["since"]) if value.get("since") else timezone.now() - GITHUB_LOG_RETENTION
    scan = _Scan(since=since, cursor=value.get("cursor"))
    scan.newest = parse_datetime(value["newest"]) if value.get("newest") else None
    return scan


def _save(checkpoint: Checkpoint, scan: _Scan, *, complete: bool) -> None:
    if complete:
        checkpoint.value = {"since": (scan.newest or scan.since).isoformat()}
    else:
        checkpoint.value = {
            "since": scan.since.isoformat(),
            "newest": scan.newest.isoformat() if scan.newest else None,
            "cursor": scan.cursor,
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
    return [e for g, e in failed.items() if g not in stored and g not in scan.succeeded and g not in scan.requested]


def deliveries_recover_failed(*, api: AppAPI | None = None, budget: int | None = None) -> int:
    """Ask GitHub to redeliver what it failed to deliver to us; returns how many were requested."""
    try:
        api = api or app_api()
    except GitHubAppNotConfigured:
        logger.info("GitHub App not configured; skipping delivery recovery")
        return 0
    budget = settings.WEBHOOK_REDELIVERIES_PER_RUN if budget is None else budget
    checkpoint, _ = Checkpoint.objects.get_or_create(name=CHECKPOINT_NAME)
    scan = _load(checkpoint)
    while True:
        page, next_cursor = api.list_hook_deliveries(cursor=scan.cursor)
        in_window = [e for e in page if (parse_datetime(e.get("delivered_at") or "") or scan.since) >= scan.since]
        if scan.newest is None and in_window:
            scan.newest = max(parse_datetime(e["delivered_at"]) for e in in_window)
        for entry in _lost(in_window, scan):
            if len(scan.requested) >= budget:
                _save(checkpoint, scan, complete=False)  # resume on this page next run
                return len(scan.requested)
            api.redeliver(entry["id"])
            scan.requested.add(entry["guid"])
            logger.info("asked GitHub to redeliver %s (%s)", entry["guid"], entry.get("event"))
        if next_cursor is None or len(in_window) < len(page):
            _save(checkpoint, scan, complete=True)
            return len(scan.requested)
        scan.cursor = next_cursor
