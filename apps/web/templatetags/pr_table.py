"""The rows of the dashboard's PR table, formatted in one pass.

Every cell of every row through the template's tags and filters was most of the work left in the request's thread
after every panel is read; one pass per row here does that work without the template engine's cost per tag. The
markup is the template's, cell for cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from apps.metrics.models import PullRequest
from apps.metrics.rules import duration_text
from apps.web.templatetags.github_links import github_pr_url

register = template.Library()

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
