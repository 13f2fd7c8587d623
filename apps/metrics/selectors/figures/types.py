"""Which rows each figure counts, what each contributed, and which rows of the period it leaves out: the types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from apps.metrics.definitions import Definition


class UnknownFigure(ValueError):
    """No such figure, or a parameter it does not take (a percentile it does not show, a week outside the
    period): the page answers 404, never a list that matches no figure."""


@dataclass(frozen=True, slots=True)
class FigureRequest:
    """Which figure, for which cell: a percentile (50 for p50), a week's Monday, a reviewer's member id."""

    key: str
    percentile: int | None = None
    week: date | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class Figure:
    request: FigureRequest
    title: str
    definition: Definition
    rows_are: str  # "pull_request" or "review"
    included: QuerySet[Any]  # the rows counted, annotated with ``figure_value`` when there is one, in list order
    base: QuerySet[Any]  # what the rows were chosen from
    reasons: tuple[tuple[str, Q], ...]
    value_label: str = ""  # the column of what each row contributed ("" when a row contributes one to a count)
    value_unit: str = ""  # "duration" or "lines"
    percentile: float | None = None  # 0.75 for p75: the list is in value order and a row sits at its rank


# Why a PR of the period is not among the PRs merged in it, in the order they are told.
