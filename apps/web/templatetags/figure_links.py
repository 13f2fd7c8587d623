"""Links from a dashboard figure to its PR list and its definition, under the dashboard's filters."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from apps.metrics.rules import duration_text
from apps.metrics.selectors.scope import DashboardFilters

register = template.Library()


def filter_params(filters: DashboardFilters) -> dict[str, str]:
    """The query string that gives a page the same filters: what the dashboard applied, not what was typed (a
    malformed date there falls back to the default period, and the list must show that same period)."""
    params = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    if filters.repo_id is not None:
        params["repo"] = str(filters.repo_id)
    if filters.author_id is not None:
        params["author"] = str(filters.author_id)
    if filters.include_bots:
        params["bots"] = "1"
    return params


@register.simple_tag(takes_context=True)
def figure_url(
    context: Any, key: str, p: int | None = None, week: date | None = None, member: int | None = None
) -> str:
    """``/a/<team>/metrics/figures/<key>/?start=…&end=…[&p=75][&week=…][&member=…]``.

    A year's dashboard links a few hundred figures (two per week, three per reviewer): the filters' query string
    and each key's path are built once per render (``render_context``), not once per link.
    """
    links = context.render_context.get(LINKS)
    if links is None:
        links = context.render_context[LINKS] = {"?": urlencode(filter_params(context["filters"]))}
    extra = {}
    if p is not None:
        extra["p"] = str(p)
    if week is not None:
        extra["week"] = week.isoformat()
    if member is not None:
        extra["member"] = str(member)
    return f"{_figure_path(context, key)}?{links['?']}" + (f"&{urlencode(extra)}" if extra else "")


LINKS = "figure_links"


def _figure_path(context: Any, key: str) -> str:
    """``/a/<team>/metrics/figures/<key>/``, looked up once per render and key."""
    paths = context.render_context.setdefault(PATHS, {})
    if key not in paths:
        paths[key] = reverse("metrics:figure", kwargs={"team_slug": context["team"].slug, "key": key})
    return paths[key]


PATHS = "figure_paths"


@register.simple_tag(takes_context=True)
def definition_url(context: Any, key: str) -> str:
    """The definitions page at ``key``'s entry; the page's path is looked up once per render, as figure_url's."""
    links = context.render_context.setdefault(DEFINITIONS, {})
    if "path" not in links:
        links["path"] = reverse("metrics:definitions", kwargs={"team_slug": context["team"].slug})
    return f"{links['path']}#{key}"


DEFINITIONS = "definition_links"


# How a change reads for each headline figure: the words for down and up, and which of the two is better (None:
# neither, a count of merges or of reverts says nothing good or bad by itself). Lower times read as better.
CHANGE_WORDS: dict[str, tuple[str, str, str | None]] = {
    "duration": ("faster", "slower", "down"),
    "size": ("smaller", "larger", "down"),
    "share": ("fewer unreviewed", "more unreviewed", "down"),
    "count": ("fewer", "more", None),
}


def _amount(kind: str, value: float) -> str:
    if kind == "duration":
        return duration_text(value)
    if kind == "share":
        return f"{value * 100:.0f}%"
    return f"{value:.0f}"


@register.inclusion_tag("metrics/_compare.html", takes_context=True)
def compare(
    context: Any, key: str, current: float | None, previous: float | None, kind: str, p: int | None = None
) -> dict[str, Any]:
    """A headline figure beside the previous period of the same length: the direction, how much, the previous
    value linked to its own PR list, and in words whether it is better ("▼ 2.1 h vs previous 30 days — faster")."""
    before = context["previous"]
    params = filter_params(before.filters) | ({"p": str(p)} if p is not None else {})
    shown = {
        "name": f"previous-{key}" + (f"-p{p}" if p is not None else ""),
        "url": f"{_figure_path(context, key)}?{urlencode(params)}",
        "days": before.days,
        "previous": "—" if previous is None else _amount(kind, previous),
    }
    if current is None or previous is None:
        return shown
    down, up, better = CHANGE_WORDS[kind]
    change = current - previous
    rounded = _amount(kind, abs(change))
    if change == 0 or rounded in ("0", "0%", "0 min"):
        return shown | {"same": True}
    going = "down" if change < 0 else "up"
    return shown | {
        "going": going,
        "amount": rounded,
        "words": down if going == "down" else up,
        "tone": "" if better is None else ("better" if going == better else "worse"),
    }
