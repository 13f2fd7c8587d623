"""Every dashboard figure as the rows it was computed from, and the rows it left out with why.

``catalog`` says, for each figure, which rows it counts (through the same population functions of ``scope`` the
panels use), what each row contributed and which rows of the period it leaves out, by named rule. ``lists``
pages through them, finds the row a percentile sits at and counts the exclusions by reason.
"""

from apps.metrics.selectors.figures.catalog import FIGURES, figure_for
from apps.metrics.selectors.figures.lists import (
    Exclusions,
    ExportRow,
    FigureRow,
    PercentileRank,
    figure_exclusions,
    figure_export_rows,
    figure_left_out,
    figure_rank,
    figure_rows,
)
from apps.metrics.selectors.figures.types import Figure, FigureRequest, UnknownFigure

__all__ = [
    "FIGURES",
    "Exclusions",
    "ExportRow",
    "Figure",
    "FigureRequest",
    "FigureRow",
    "PercentileRank",
    "UnknownFigure",
    "figure_exclusions",
    "figure_export_rows",
    "figure_for",
    "figure_left_out",
    "figure_rank",
    "figure_rows",
]
