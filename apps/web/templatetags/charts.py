"""Small server-rendered SVG charts for the metrics dashboard: no JavaScript library, nothing from a CDN.

Every value that reaches the markup is a number of ours or escaped; a week without data is a gap, not a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from apps.metrics.rules import duration_text

register = template.Library()

WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 560, 190, 58, 24, 20, 30
# Values are written beside the marks while there is room for them: up to this many weeks on a chart.
LABELLED_WEEKS = 16


def _x(index: int, count: int) -> float:
    return PAD_LEFT + (WIDTH - PAD_LEFT - PAD_RIGHT) * (index / max(count - 1, 1))


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD_BOTTOM - (HEIGHT - PAD_TOP - PAD_BOTTOM) * (value / top if top else 0)


def _frame(title: str, axis: str, weeks: Sequence[date], xs: Sequence[float], top: float, body: str) -> SafeString:
    """Axes a reader needs without hovering: the value axis named, with 0, its middle and its top; the first, the
    middle and the last week under the marks. ``xs`` are the weeks' x positions."""
    base = HEIGHT - PAD_BOTTOM
    right = WIDTH - PAD_RIGHT
    ticks = "".join(
        f'<line class="grid-line" x1="{PAD_LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>'
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{y + 3:.1f}" text-anchor="end">{v:g}</text>'
        for v, y in ((v, _y(v, top)) for v in (0, _tick(top / 2), _tick(top)))
    )
    last = len(weeks) - 1
    shown = sorted({0, len(weeks) // 2, last}) if weeks else []
    # The first and last dates are anchored inside the chart, so neither is cut at its edge.
    anchor = {0: "start", last: "end"}
    dates = "".join(
        f'<text class="tick" x="{xs[i]:.1f}" y="{HEIGHT - 10}" text-anchor="{anchor.get(i, "middle")}">'
        f"{weeks[i].strftime('%b %d')}</text>"
        for i in shown
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}">'
        '<text class="axis-label" x="12" y="{mid}" transform="rotate(-90 12 {mid})" text-anchor="middle">{axis}</text>'
        '<line class="axis" x1="{left}" y1="{base}" x2="{right}" y2="{base}"/>{ticks}{dates}{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        title=title,
        axis=axis,
        mid=(PAD_TOP + base) / 2,
        left=PAD_LEFT,
        right=right,
        base=base,
        ticks=mark_safe(ticks),  # noqa: S308 — numbers and dates of ours
        dates=mark_safe(dates),  # noqa: S308 — numbers and dates of ours
        body=mark_safe(body),  # noqa: S308 — escaped by the callers
    )


def _tick(value: float) -> float:
    """A value axis label short enough to sit beside the axis: whole numbers from 10 up, one decimal below."""
    return round(value) if value >= 10 else round(value, 1)


def _partial_note(points: Sequence[Any]) -> SafeString:
    """Which weeks are drawn lighter: the first or last week the period cuts, with fewer days in them."""
    cut = [p.week.strftime("%b %d") for p in points if getattr(p, "partial", False)]
    if not cut:
        return mark_safe("")
    weeks = " and ".join(cut)
    return format_html(
        '<p class="chart-note"><span class="swatch partial"></span>Lighter: the week{} of {}, which the period covers '
        "only in part (fewer days, so fewer PRs).</p>",
        "s" if len(cut) > 1 else "",
        weeks,
    )


def _week_label(point: Any) -> str:
    """'Nov 02', or 'Nov 02 (partial week)' when the period covers only some of its days."""
    label = point.week.strftime("%b %d")
    return f"{label} (partial week)" if getattr(point, "partial", False) else label


def _partial(point: Any) -> str:
    return " partial" if getattr(point, "partial", False) else ""


# A year has 53 points per chart: each is formatted with ``str.format`` and ``html.escape`` (what ``format_html``
# applies, without its per-argument checks for lazy and safe strings).
DOT = '<circle class="dot{}" cx="{}" cy="{}" r="3"><title>Week of {}: {}{}</title></circle>'
BAR = '<rect class="bar{}" x="{}" y="{}" width="{}" height="{}"><title>Week of {}: {}</title></rect>'
VALUE = '<text class="value-label{}" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>'


@register.simple_tag
def line_chart(points: Sequence[Any], attr: str, title: str, unit: str = "") -> SafeString:
    """A line per run of consecutive weeks with a value; weeks without one break the line."""
    weeks = [p.week for p in points]
    values: list[float | None] = [getattr(p, attr) for p in points]
    xs = [_x(i, len(values)) for i in range(len(values))]
    present = [v for v in values if v is not None]
    top = max(present, default=0) * 1.1 or 1
    runs: list[list[str]] = [[]]
    marks = []
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
            continue
        x, y = xs[i], _y(value, top)
        runs[-1].append(f"{x:.1f},{y:.1f}")
        point = points[i]
        marks.append(
            DOT.format(_partial(point), f"{x:.1f}", f"{y:.1f}", escape(_week_label(point)), f"{value:.1f}", unit)
        )
        if len(values) <= LABELLED_WEEKS:
            marks.append(VALUE.format(_partial(point), x, y - 7, f"{value:.1f}"))
    lines = "".join(f'<polyline class="line" points="{" ".join(r)}"/>' for r in runs if r)
    axis = f"Median, {'hours' if unit == 'h' else unit}"
    return _frame(title, axis, weeks, xs, round(top, 1), lines + "".join(marks)) + _partial_note(points)


@register.simple_tag
def bar_chart(points: Sequence[Any], attr: str, title: str, axis: str = "PRs") -> SafeString:
    """One bar per week, its count written above it while there is room."""
    weeks = [p.week for p in points]
    values: list[int] = [getattr(p, attr) for p in points]
    top = max(values, default=0) or 1
    slot = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(len(values), 1)
    # Bars sit in slots; the date labels go under each slot's middle.
    xs = [PAD_LEFT + i * slot + slot / 2 for i in range(len(values))]
    marks = []
    for i, value in enumerate(values):
        y = _y(value, top)
        point = points[i]
        marks.append(
            BAR.format(
                _partial(point), f"{xs[i] - slot * 0.35:.1f}", f"{y:.1f}", f"{slot * 0.7:.1f}",
                f"{HEIGHT - PAD_BOTTOM - y:.1f}", escape(_week_label(point)), int(value),
            )
        )  # fmt: skip
        if len(values) <= LABELLED_WEEKS:
            marks.append(VALUE.format(_partial(point), xs[i], y - 4, int(value)))
    return _frame(title, axis, weeks, xs, top, "".join(marks)) + _partial_note(points)


BREAKDOWN = (
    ("draft_seconds", "Draft", "draft"),
    ("pickup_seconds", "Wait before review or merge", "pickup"),
    ("review_phase_seconds", "Review", "review"),
    ("merge_wait_seconds", "Merge wait", "merge"),
)


@register.inclusion_tag("dashboard/_breakdown_bar.html")
def breakdown_bar(parts: dict[str, float]) -> dict[str, Any]:
    """A stacked bar of the four phases; widths are shares of their sum, so the bar is the whole cycle time."""
    total = sum(parts.values()) or 1
    segments, start = [], 0.0
    for key, label, css in BREAKDOWN:
        share = parts[key] / total * 100
        segments.append({"css": css, "label": label, "start": f"{start:.2f}", "share": f"{share:.2f}",
                         "duration": duration_text(parts[key])})  # fmt: skip
        start += share
    return {"segments": segments}


@register.filter
def duration(seconds: float | None) -> str:
    """A duration stored in seconds, rounded once for display by the one rule every page uses."""
    return duration_text(seconds)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
