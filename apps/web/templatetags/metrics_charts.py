"""Small server-rendered SVG charts for the metrics dashboard: no JavaScript library, nothing from a CDN.

Every value that reaches the markup is a number of ours or escaped; a week without data is a gap, not a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from apps.metrics.rules import duration_text

register = template.Library()

WIDTH, HEIGHT, PAD_X, PAD_TOP, PAD_BOTTOM = 560, 170, 40, 12, 26


def _x(index: int, count: int) -> float:
    return PAD_X + (WIDTH - 2 * PAD_X) * (index / max(count - 1, 1))


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD_BOTTOM - (HEIGHT - PAD_TOP - PAD_BOTTOM) * (value / top if top else 0)


def _frame(title: str, weeks: Sequence[date], top: float, unit: str, body: SafeString) -> SafeString:
    first = weeks[0].strftime("%b %d") if weeks else ""
    last = weeks[-1].strftime("%b %d") if weeks else ""
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}">'
        '<line class="axis" x1="{px}" y1="{base}" x2="{right}" y2="{base}"/>'
        '<text class="tick" x="4" y="{top_y}">{top}{unit}</text><text class="tick" x="4" y="{base}">0</text>'
        '<text class="tick" x="{px}" y="{label_y}">{first}</text>'
        '<text class="tick" x="{right}" y="{label_y}" text-anchor="end">{last}</text>{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        title=title,
        px=PAD_X,
        right=WIDTH - PAD_X,
        base=HEIGHT - PAD_BOTTOM,
        top_y=PAD_TOP + 4,
        top=f"{top:g}",
        unit=unit,
        label_y=HEIGHT - 6,
        first=first,
        last=last,
        body=body,
    )


def _week_label(point: Any) -> str:
    """'Nov 02', or 'Nov 02 (partial week)' when the period covers only some of its days."""
    label = point.week.strftime("%b %d")
    return f"{label} (partial week)" if getattr(point, "partial", False) else label


# A year has 53 points per chart: each is formatted with ``str.format`` and ``html.escape`` (what ``format_html``
# applies, without its per-argument checks for lazy and safe strings).
DOT = '<circle class="dot" cx="{}" cy="{}" r="3"><title>Week of {}: {}{}</title></circle>'
BAR = '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>Week of {}: {}</title></rect>'


@register.simple_tag
def line_chart(points: Sequence[Any], attr: str, title: str, unit: str = "") -> SafeString:
    """A line per run of consecutive weeks with a value; weeks without one break the line."""
    weeks = [p.week for p in points]
    values: list[float | None] = [getattr(p, attr) for p in points]
    present = [v for v in values if v is not None]
    top = max(present, default=0) * 1.1 or 1
    runs: list[list[str]] = [[]]
    dots = []
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
            continue
        x, y = _x(i, len(values)), _y(value, top)
        runs[-1].append(f"{x:.1f},{y:.1f}")
        dots.append((f"{x:.1f}", f"{y:.1f}", _week_label(points[i]), f"{value:.1f}", unit))
    lines = "".join(f'<polyline class="line" points="{" ".join(r)}"/>' for r in runs if r)
    circles = "".join(DOT.format(*(escape(part) for part in dot)) for dot in dots)
    return _frame(title, weeks, round(top, 1), unit, mark_safe(lines + circles))  # noqa: S308 — escaped above


@register.simple_tag
def bar_chart(points: Sequence[Any], attr: str, title: str) -> SafeString:
    """One bar per week."""
    weeks = [p.week for p in points]
    values: list[int] = [getattr(p, attr) for p in points]
    top = max(values, default=0) or 1
    slot = (WIDTH - 2 * PAD_X) / max(len(values), 1)
    bars = "".join(
        BAR.format(
            f"{PAD_X + i * slot + slot * 0.15:.1f}",
            f"{_y(value, top):.1f}",
            f"{slot * 0.7:.1f}",
            f"{HEIGHT - PAD_BOTTOM - _y(value, top):.1f}",
            escape(_week_label(points[i])),
            int(value),
        )
        for i, value in enumerate(values)
    )
    return _frame(title, weeks, top, "", mark_safe(bars))  # noqa: S308 — numbers of ours and escaped labels


BREAKDOWN = (
    ("draft_seconds", "Draft", "draft"),
    ("pickup_seconds", "Pickup", "pickup"),
    ("review_phase_seconds", "Review", "review"),
    ("merge_wait_seconds", "Merge wait", "merge"),
)


@register.simple_tag
def breakdown_bar(parts: dict[str, float]) -> SafeString:
    """A stacked bar of the four phases; widths are shares of their sum, so the bar is the whole cycle time."""
    total = sum(parts.values()) or 1
    shares = [parts[key] / total * 100 for key, _, _ in BREAKDOWN]
    starts = [sum(shares[:i]) for i in range(len(shares))]
    # An SVG of rects rather than styled spans: sizes as attributes, so no inline style the CSP would refuse.
    segments = format_html_join(
        "",
        '<rect class="seg {}" x="{}" width="{}" height="1"><title>{}: {}</title></rect>',
        (
            (css, f"{start:.2f}", f"{share:.2f}", label, duration_text(parts[key]))
            for (key, label, css), start, share in zip(BREAKDOWN, starts, shares, strict=True)
        ),
    )
    legend = format_html_join(
        "",
        '<li><span class="swatch {}"></span>{} <strong>{}</strong></li>',
        ((css, label, duration_text(parts[key])) for key, label, css in BREAKDOWN),
    )
    return format_html(
        '<svg class="breakdown" viewBox="0 0 100 1" preserveAspectRatio="none" role="img" aria-label="Cycle time'
        ' breakdown">{}</svg><ul class="legend">{}</ul>',
        segments,
        legend,
    )


@register.filter
def duration(seconds: float | None) -> str:
    """A duration stored in seconds, rounded once for display by the one rule every page uses."""
    return duration_text(seconds)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
