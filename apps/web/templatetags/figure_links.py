"""The dashboard's links and long lists: each figure's link to its PR list and its definition under the dashboard's
filters, the comparison with the previous period, and the rows of the weekly, reviewer and PR tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from apps.metrics.models import PullRequest
from apps.metrics.rules import duration_text
from apps.metrics.selectors import ReviewerLoad, WeekPoint
from apps.metrics.selectors.scope import DashboardFilters
from apps.web.templatetags.github_links import github_pr_url

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
    """``/a/<team>/dashboard/figures/<key>/?start=…&end=…[&p=75][&week=…][&member=…]``.

    A year's dashboard links a few hundred figures (two per week, three per reviewer): the filters' query string
    and each key's path are built once per render (``render_context``), not once per link.
    """
    url = f"{_figure_path(context, key)}?{_query(context, 'page', context['filters'])}"
    # What ``urlencode`` makes of them: a number or a date's ISO form is never quoted.
    if p is not None:
        url += f"&p={int(p)}"
    if week is not None:
        url += f"&week={week.isoformat()}"
    if member is not None:
        url += f"&member={int(member)}"
    return url


def _query(context: Any, name: str, filters: DashboardFilters) -> str:
    """The query string of ``filters`` (the page's, or the previous period's), encoded once per render and kept in
    its ``render_context`` under ``name``."""
    links: dict[str, str] = context.render_context.setdefault(LINKS, {})
    if name not in links:
        links[name] = urlencode(filter_params(filters))
    return links[name]


LINKS = "figure_links"


def _figure_path(context: Any, key: str) -> str:
    """``/a/<team>/dashboard/figures/<key>/``, looked up once per render and key."""
    paths: dict[str, str] = context.render_context.setdefault(PATHS, {})
    if key not in paths:
        paths[key] = reverse("dashboard:figure", kwargs={"team_slug": context["team"].slug, "key": key})
    return paths[key]


PATHS = "figure_paths"


# The weekly table and reviewer load are the dashboard's long lists (157 weeks over three years, one row per
# reviewer): each row is formatted here in one pass, where the template's tags and filters cost about as much as
# the rest of the page together. Values are escaped with ``html.escape`` (what ``format_html`` applies, without
# its per-argument checks for lazy and safe strings). The markup is the template's, cell for cell.
WEEK_ROW = (
    '<tr><td>{week}{partial}</td>\n    <td><a class="figure" data-figure="week-merged-{day}" href="{merged_url}">'
    '{merged}</a></td>\n    <td><a class="figure" data-figure="week-cycle-{day}" href="{cycle_url}">{cycle}</a></td>'
    "</tr>"
)
REVIEWER_ROW = (
    '<tr><td>{login}</td>\n    <td><a class="figure" data-figure="reviews-given-{pk}" href="{reviews_url}">{reviews}'
    '</a></td>\n    <td><a class="figure" data-figure="response-{pk}" href="{response_url}">{response}</a>{responses}'
    '</td>\n    <td><a class="figure" data-figure="open-requests-{pk}" href="{open_url}">{open}</a></td></tr>'
)
PARTIAL = ' <span class="muted">(partial week)</span>'


@register.simple_tag(takes_context=True)
def week_rows(context: Any, trends: Sequence[WeekPoint]) -> SafeString:
    """The rows of the weekly table: the week, its merged PRs and its median cycle time, each linked to its PRs.
    The median in ``duration_text``'s words, as the cards and the lists show every duration."""

    # Each row's links are these two with its week added (``figure_url``'s last parameter), escaped once here.
    merged_url, cycle_url = (escape(figure_url(context, key)) for key in ("week-merged", "week-cycle"))

    def row(point: WeekPoint) -> str:
        day = point.week.isoformat()
        return WEEK_ROW.format(
            week=point.week.strftime("%b %d"),
            partial=PARTIAL if point.partial else "",
            day=day,
            merged_url=f"{merged_url}&amp;week={day}",
            merged=point.merged,
            cycle_url=f"{cycle_url}&amp;week={day}",
            cycle=duration_text(point.cycle_p50_seconds),
        )

    return mark_safe("".join(row(point) for point in trends))  # noqa: S308 — every value above is escaped


@register.simple_tag(takes_context=True)
def reviewer_rows(context: Any, reviewers: Sequence[ReviewerLoad]) -> SafeString:
    """The rows of reviewer load: reviews given, median response and open requests, each linked to its PRs."""

    # Each row's links are these three with its member added (``figure_url``'s last parameter), escaped once here.
    reviews_url, response_url, open_url = (
        escape(figure_url(context, key, p=p))
        for key, p in (("reviews-given", None), ("response", 50), ("open-requests", None))
    )

    def row(r: ReviewerLoad) -> str:
        pk = r.member.pk
        return REVIEWER_ROW.format(
            login=escape(r.member.github_username),
            pk=pk,
            reviews_url=f"{reviews_url}&amp;member={pk}",
            reviews=r.reviews,
            response_url=f"{response_url}&amp;member={pk}",
            response=duration_text(r.response_p50),
            responses=f' <span class="muted">({r.responses} PRs)</span>' if r.responses else "",
            open_url=f"{open_url}&amp;member={pk}",
            open=r.open_requests,
        )

    return mark_safe("".join(row(r) for r in reviewers))  # noqa: S308 — every value above is escaped


@register.simple_tag(takes_context=True)
def definition_url(context: Any, key: str) -> str:
    """The definitions page at ``key``'s entry; the page's path is looked up once per render, as figure_url's."""
    links: dict[str, str] = context.render_context.setdefault(DEFINITIONS, {})
    if "path" not in links:
        links["path"] = reverse("dashboard:definitions", kwargs={"team_slug": context["team"].slug})
    return f"{links['path']}#{key}"


DEFINITIONS = "definition_links"


@register.simple_tag(takes_context=True)
def definition_link(context: Any, key: str, question: str) -> SafeString:
    """The "?" beside a figure, linked to its definition and named by the question it answers, so a screen reader
    says the question rather than "question mark"."""
    return format_html(
        '<a class="def" href="{}" title="{}" aria-label="{}">?</a>', definition_url(context, key), question, question
    )


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


@register.inclusion_tag("dashboard/_compare.html", takes_context=True)
def compare(
    context: Any, key: str, current: float | None, previous: float | None, kind: str, p: int | None = None
) -> dict[str, Any]:
    """A headline figure beside the previous period of the same length: the direction, how much, the previous
    value linked to its own PR list, and in words whether it is better ("▼ 2.1 h vs previous 30 days — faster")."""
    before = context["previous"]
    shown = {
        "name": f"previous-{key}" + (f"-p{p}" if p is not None else ""),
        "url": f"{_figure_path(context, key)}?{_query(context, 'previous', before.filters)}"
        + (f"&p={int(p)}" if p is not None else ""),
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


# The rows of the PR table, formatted in one pass. Every cell of every row through the template's tags and filters
# was most of the work left in the request's thread after every panel is read; one pass per row here does that work
# without the template engine's cost per tag. The markup is the template's, cell for cell.
PR_ROW = (
    "<tr>\n"
    '      <td><a href="{panel}" hx-get="{panel}" hx-target="#pr-panel" hx-swap="innerHTML show:#pr-panel:top">'
    '{repo}#{number}</a><br><span class="muted">{title}</span> <a class="github-link" href="{github}"'
    ' rel="noopener" target="_blank" aria-label="{repo}#{number} on GitHub">GitHub ↗</a></td>\n'
    "      <td>{author}</td>\n      <td>{merged}</td>\n      <td>{opened}</td>\n      <td>{cycle}</td>\n"
    "      <td>{pickup}</td>\n      <td>{size}</td>\n      <td>{flags}</td>\n    </tr>\n"
)
# A PR's flags, in the order the table shows them: constants of ours, markup as it is.
FLAGS: tuple[tuple[Callable[[PullRequest], bool], str], ...] = (
    (lambda pr: pr.is_draft, '<span class="badge">draft</span> '),
    (lambda pr: pr.state == "closed", '<span class="badge">closed</span> '),
    (lambda pr: pr.merged_without_review, '<span class="badge warn">no review</span> '),
    (lambda pr: pr.is_revert, '<span class="badge err">revert</span> '),
    (lambda pr: pr.is_hotfix, '<span class="badge err">hotfix</span> '),
    (lambda pr: pr.is_bot_author, '<span class="badge">bot</span>'),
)


@register.simple_tag(takes_context=True)
def pr_rows(context: Any, prs: Sequence[PullRequest]) -> SafeString:
    """One row per PR: its link to the "why" panel and to GitHub, author, merged and opened days (in the team's
    time zone, as ``date:"M j"`` shows them), cycle time, pickup, size and flags.

    Every value is escaped here (``html.escape``, what ``format_html`` applies, without its per-argument checks for
    lazy and safe strings); the panel's path and the time zone are looked up once, not once per row.
    """
    tz = timezone.get_current_timezone()
    panel_of_one = reverse("dashboard:pr_panel", kwargs={"team_slug": context["team"].slug, "pk": 1})
    panels = panel_of_one.removesuffix("1/")  # the pattern ends in "<id:pk>/"

    def day(moment: datetime | None) -> str:
        return format_date(moment.astimezone(tz), "M j") if moment else "—"

    def row(pr: PullRequest) -> str:
        size = getattr(pr, "size", None)
        return PR_ROW.format(
            panel=f"{panels}{pr.pk}/",
            repo=escape(pr.github_repo),
            number=pr.number,
            title=escape(Truncator(pr.title).chars(80)),
            github=escape(github_pr_url(pr)),
            author=escape((pr.author.github_username if pr.author else "") or "—"),
            merged=day(pr.merged_at),
            opened=day(pr.pr_created_at),
            cycle=duration_text(pr.cycle_time_seconds),
            pickup=duration_text(pr.review_time_seconds),
            size="—" if size is None else size,
            flags="".join(badge for applies, badge in FLAGS if applies(pr)),
        )

    return mark_safe("".join(row(pr) for pr in prs))  # noqa: S308 — every value above is escaped
