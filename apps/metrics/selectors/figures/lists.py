"""A figure's rows a page at a time, the row its percentile sits at, and the rows it left out counted by reason.

Pages are index ranges of the figure's order (value, then id: the order a percentile ranks by), read with
LIMIT/OFFSET from the same covering indexes as the dashboard's panels; the export streams the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from math import floor
from typing import Any

from django.db.models import Case, CharField, Count, QuerySet, Value, When

from apps.metrics.models import PRReview, PullRequest
from apps.metrics.selectors.figures.types import Figure


@dataclass(frozen=True, slots=True)
class FigureRow:
    position: int  # 0-based place in the figure's order: a percentile's rank
    pull_request: PullRequest
    value: float | None  # what this row contributed (``Figure.value_label``), None for a count
    review: PRReview | None = None  # the review, when the figure counts reviews
    at_rank: bool = False  # the percentile sits at this row (or between it and its neighbour)


@dataclass(frozen=True, slots=True)
class PercentileRank:
    """Where the continuous percentile falls: ``(n - 1) * p``, between ranks ``low`` and ``high`` (equal when it
    lands on one row) with ``fraction`` of the way from the one to the other, as ``percentile_cont`` does."""

    count: int
    low: int
    high: int
    fraction: float
    low_row: FigureRow | None
    high_row: FigureRow | None

    @property
    def value(self) -> float | None:
        """The figure's value recomputed from the two rows: the number on the dashboard."""
        if self.low_row is None or self.high_row is None or self.low_row.value is None:
            return None
        high = self.high_row.value if self.high_row.value is not None else self.low_row.value
        return self.low_row.value + self.fraction * (high - self.low_row.value)


def percentile_position(count: int, p: float) -> tuple[int, int, float]:
    position = (count - 1) * p
    low = floor(position)
    return low, min(low + 1, count - 1) if position > low else low, position - low


def _row(figure: Figure, position: int, item: PullRequest | PRReview, ranks: tuple[int, int] | None) -> FigureRow:
    review = item if isinstance(item, PRReview) else None
    pull_request = item.pull_request if isinstance(item, PRReview) else item
    value = getattr(item, "figure_value", None)
    at_rank = ranks is not None and position in ranks
    return FigureRow(position=position, pull_request=pull_request, value=value, review=review, at_rank=at_rank)


def _queryset(figure: Figure) -> QuerySet[Any]:
    if figure.rows_are == "pull_request":
        return figure.included.select_related("author")
    return figure.included


def figure_rows(figure: Figure, *, offset: int, limit: int, count: int | None = None) -> list[FigureRow]:
    """One page of the figure's rows (``[offset, offset + limit)`` of its order).

    The page's ids are read first from the narrow (value, id) order, which the covering indexes answer without
    visiting a PR's row; only the page's rows are loaded. Page 1,000 of a year costs a sort of ids and values,
    not a sort of the year's full rows (as the PR table does). Two statements.
    """
    ranks = None
    if figure.percentile is not None and count:
        low, high, _ = percentile_position(count, figure.percentile)
        ranks = (low, high)
    ids = list(figure.included.values_list("pk", flat=True)[offset : offset + limit])
    loaded = _queryset(figure).order_by().filter(pk__in=ids).in_bulk()
    return [_row(figure, offset + i, loaded[pk], ranks) for i, pk in enumerate(ids)]


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One row of the export: the list's columns as plain values (no model built per row)."""

    position: int
    repository: str
    number: int
    title: str
    author: str | None
    opened: datetime
    merged: datetime | None
    value: float | None
    submitted: datetime | None  # the review's, when the figure counts reviews


def figure_export_rows(figure: Figure, *, reason: str | None = None, chunk_size: int = 5000) -> Iterator[ExportRow]:
    """Every row in the list's order as plain tuples, fetched in chunks (a server-side cursor on PostgreSQL):
    what the CSV export streams, at tens of thousands of rows a second. With ``reason``, the rows it left out."""
    prefix = "" if figure.rows_are == "pull_request" else "pull_request__"
    columns = [f"{prefix}{c}" for c in ("github_repo", "number", "title", "author__github_username",
                                        "pr_created_at", "merged_at")]  # fmt: skip
    has_value = reason is None and "figure_value" in figure.included.query.annotations
    columns += ["figure_value" if has_value else "pk", "submitted_at" if prefix else "pk"]
    source = figure.included if reason is None else figure_left_out(figure, reason=reason)
    rows = source.values_list(*columns).iterator(chunk_size=chunk_size)
    for position, (repo, number, title, author, opened, merged, value, submitted) in enumerate(rows):
        yield ExportRow(position, repo, number, title, author, opened, merged,
                        value if has_value else None, submitted if prefix else None)  # fmt: skip


def figure_rank(figure: Figure, *, count: int) -> PercentileRank | None:
    """The row(s) the figure's percentile sits at, read as a two-row range of its order; None when it is not a
    percentile or has no rows."""
    if figure.percentile is None or not count:
        return None
    low, high, fraction = percentile_position(count, figure.percentile)
    rows = figure_rows(figure, offset=low, limit=high - low + 1, count=count)
    return PercentileRank(count, low, high, fraction, rows[0] if rows else None, rows[-1] if rows else None)


@dataclass(frozen=True, slots=True)
class Exclusions:
    """The rows of ``Figure.base`` the figure does not count, by reason in the figure's order, and the total."""

    all_rows: int
    counted: int
    by_reason: list[tuple[str, int]]

    @property
    def excluded(self) -> int:
        return sum(n for _, n in self.by_reason)


COUNTED = ""


def reason_case(figure: Figure) -> Case:
    """Each row of the base under the first reason that leaves it out ('' when none does): one CASE, so every row
    has exactly one reason and the counts add up by construction."""
    whens = [When(condition, then=Value(reason)) for reason, condition in figure.reasons]
    return Case(*whens, default=Value(COUNTED), output_field=CharField())


def figure_exclusions(figure: Figure) -> Exclusions:
    """Every row of the base counted by reason: one statement (a GROUP BY over the period's rows)."""
    rows = figure.base.order_by().annotate(left_out=reason_case(figure)).values("left_out").annotate(n=Count("pk"))
    found = {row["left_out"]: row["n"] for row in rows}
    by_reason = [(reason, found.get(reason, 0)) for reason, _ in figure.reasons if found.get(reason)]
    return Exclusions(all_rows=sum(found.values()), counted=found.get(COUNTED, 0), by_reason=by_reason)


def figure_left_out(figure: Figure, *, reason: str) -> QuerySet[Any]:
    """The base's rows left out for ``reason``, newest first, for the list of one reason."""
    rows: QuerySet[Any] = figure.base.annotate(left_out=reason_case(figure)).filter(left_out=reason).order_by("-pk")
    return (
        rows.select_related("author")
        if figure.rows_are == "pull_request"
        else rows.select_related("pull_request__author")
    )
