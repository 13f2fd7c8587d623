"""The history import's entry to the one write path (``pull_requests.pull_requests_write``).

The iterable is consumed lazily, ``batch_size`` items at a time, so importing a repository's whole history keeps
memory flat; each batch is one write, by the same rules and in the same bounded number of statements as a
webhook drain batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

from apps.metrics.services.pull_requests import PullRequestChange, pull_requests_write
from apps.metrics.types import PullRequestSnapshot, ReviewSnapshot, TimelineEntry
from apps.teams.models import Team

ImportItem = tuple[PullRequestSnapshot, Sequence[ReviewSnapshot], Sequence[TimelineEntry]]


def pull_requests_import(*, team: Team, items: Iterable[ImportItem], batch_size: int = 500) -> int:
    """Import (snapshot, reviews, timeline) items in batches; returns the number of items processed."""
    iterator = iter(items)
    count = 0
    while batch := list(islice(iterator, batch_size)):
        changes = [
            PullRequestChange(team, snapshot, tuple(timeline), tuple(reviews)) for snapshot, reviews, timeline in batch
        ]
        pull_requests_write(changes=changes)
        count += len(batch)
    return count
