"""Links from a dashboard figure to its PR list and its definition, under the dashboard's filters."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

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
    if key not in links:
        links[key] = reverse("metrics:figure", kwargs={"team_slug": context["team"].slug, "key": key})
    extra = {}
    if p is not None:
        extra["p"] = str(p)
    if week is not None:
        extra["week"] = week.isoformat()
    if member is not None:
        extra["member"] = str(member)
    return f"{links[key]}?{links['?']}" + (f"&{urlencode(extra)}" if extra else "")


LINKS = "figure_links"


@register.simple_tag(takes_context=True)
def definition_url(context: dict[str, Any], key: str) -> str:
    return reverse("metrics:definitions", kwargs={"team_slug": context["team"].slug}) + f"#{key}"
