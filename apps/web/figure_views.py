"""A dashboard figure's PR list, its CSV export, and the definitions page.

Views parse the query string (the dashboard's filters and which cell of which figure), call the figure
selectors with ``request.team`` and render; an unknown figure or parameter is a 404, never a list that matches
no number on the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, tzinfo

from django.db.models import Sum
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.text import slugify

from apps.metrics.definitions import DEFINITIONS, SOURCES, SOURCES_READ
from apps.metrics.models import PRReview, PullRequest
from apps.metrics.selectors.figures import (
    ExportRow,
    Figure,
    FigureRequest,
    FigureRow,
    UnknownFigure,
    figure_exclusions,
    figure_export_rows,
    figure_for,
    figure_left_out,
    figure_rank,
    figure_rows,
)
from apps.metrics.selectors.scope import DashboardFilters
from apps.teams.decorators import TeamRequest, team_member_required
from apps.web.csv_export import Echo, SpreadsheetSafeWriter
from apps.web.dashboard_views import filters_from_request
from apps.web.templatetags.figure_links import filter_params
from apps.web.templatetags.github_links import pull_request_url

PAGE_SIZE = 50
MAX_PAGE = 1_000_000


def _int(value: str | None, *, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise Http404("Not a figure's parameter.")
    return int(value)


def _figure(request: TeamRequest, key: str, filters: DashboardFilters) -> Figure:
    week_text = request.GET.get("week") or None
    try:
        week = date.fromisoformat(week_text) if week_text else None
        wanted = FigureRequest(
            key=key,
            percentile=_int(request.GET.get("p"), low=1, high=99),
            week=week,
            member_id=_int(request.GET.get("member"), low=1, high=2**63 - 1),
        )
        return figure_for(team=request.team, filters=filters, request=wanted)
    except (ValueError, UnknownFigure) as unknown:
        raise Http404("No such figure.") from unknown


@team_member_required
def figure_list(request: TeamRequest, key: str) -> HttpResponse:
    filters, _form = filters_from_request(request)
    figure = _figure(request, key, filters)
    page = _int(request.GET.get("page"), low=1, high=MAX_PAGE) or 1
    count = figure.included.count()
    exclusions = figure_exclusions(figure)
    reason = request.GET.get("reason") or None
    if reason is not None and reason not in dict(figure.reasons):
        raise Http404("No such reason.")
    if reason is None:
        rows = figure_rows(figure, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, count=count)
        shown = count
    else:
        left_out = figure_left_out(figure, reason=reason)
        items = list(left_out[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
        rows = [_left_out_row(figure, (page - 1) * PAGE_SIZE + i, item) for i, item in enumerate(items)]
        shown = dict(exclusions.by_reason).get(reason, 0)
    rank = figure_rank(figure, count=count) if reason is None else None
    context = {
        "figure": figure,
        "filters": filters,
        "filter_params": filter_params(filters),
        "rows": rows,
        "count": count,
        "shown": shown,
        "reason": reason,
        "rank": rank,
        "rank_page": rank.low // PAGE_SIZE + 1 if rank else None,
        "exclusions": exclusions,
        "page": page,
        "pages": max(1, -(-shown // PAGE_SIZE)),
        "mean": _mean(figure, count),
        "query": _figure_query(request),
    }
    return render(request, "dashboard/figure.html", context)


def _figure_query(request: TeamRequest) -> str:
    """The list's own query string without its page or reason: the CSV link and the reasons' links build on it."""
    query = request.GET.copy()
    for name in ("page", "reason"):
        query.pop(name, None)
    return query.urlencode()


def _left_out_row(figure: Figure, position: int, item: PRReview | PullRequest) -> FigureRow:
    if isinstance(item, PRReview):
        return FigureRow(position=position, pull_request=item.pull_request, value=None, review=item)
    return FigureRow(position=position, pull_request=item, value=None)


def _mean(figure: Figure, count: int) -> float | None:
    """For the breakdown's parts: the mean the dashboard shows, from the same rows (sum of values / count)."""
    if not figure.request.key.startswith("breakdown-") or not count:
        return None
    total = figure.included.order_by().aggregate(total=Sum("figure_value"))["total"] or 0
    return total / count


CSV_COLUMNS = ["position", "repository", "number", "title", "author", "opened", "merged", "value", "url"]


def _csv_value(figure: Figure, row: ExportRow, zone: tzinfo) -> str | int | float:
    if row.value is None:
        return row.submitted.astimezone(zone).isoformat() if row.submitted else 1
    return int(row.value) if figure.value_unit else row.value


def _csv_lines(figure: Figure, reason: str | None, zone: tzinfo) -> Iterator[str]:
    """The rows, times in the team's zone with their offset (the lines are written after the view returned, outside
    the zone it ran in, so they convert their own)."""
    writer = SpreadsheetSafeWriter(Echo())
    header = list(CSV_COLUMNS)
    header[7] = (figure.value_label + (" (seconds)" if figure.value_unit == "duration" else "")) or (
        "review submitted" if figure.rows_are == "review" else "counted"
    )
    yield writer.writerow(header)
    for row in figure_export_rows(figure, reason=reason):
        yield writer.writerow(
            [
                row.position + 1,
                row.repository,
                row.number,
                row.title,
                row.author or "",
                row.opened.astimezone(zone).isoformat(),
                row.merged.astimezone(zone).isoformat() if row.merged else "",
                _csv_value(figure, row, zone),
                pull_request_url(repository=row.repository, number=row.number),
            ]
        )


@team_member_required
def figure_csv(request: TeamRequest, key: str) -> StreamingHttpResponse:
    """The figure's rows as CSV, streamed: the list's columns, every row, whatever its length; with ``reason``,
    the rows it left out for that reason."""
    figure = _figure(request, key, filters_from_request(request)[0])
    reason = request.GET.get("reason") or None
    if reason is not None and reason not in dict(figure.reasons):
        raise Http404("No such reason.")
    lines = _csv_lines(figure, reason, request.team.tzinfo)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    suffix = f"-left-out-{slugify(reason)}" if reason else ""
    response["Content-Disposition"] = f'attachment; filename="{request.team.slug}-{key}{suffix}.csv"'
    return response


@team_member_required
def definitions(request: TeamRequest) -> HttpResponse:
    context = {"definitions": DEFINITIONS.values(), "sources": SOURCES, "sources_read": SOURCES_READ}
    return render(request, "dashboard/definitions.html", context)
