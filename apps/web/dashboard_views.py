"""Team dashboard pages: the dashboard, a PR's "why this number" panel and the people page.

Views parse the query string, call selectors or services with ``request.team`` and render; every read is
scoped to the team by the selectors, and the guards turn a non-member away with 404 before any of it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.integrations.selectors import InactiveRepositories, team_inactive_repositories
from apps.integrations.selectors_freshness import team_freshness
from apps.metrics.models import PullRequest, TeamMember
from apps.metrics.selectors import (
    DashboardFilters,
    FlowSummary,
    pull_request_explanation,
    table_sort,
    team_filter_options,
    team_flow_summary,
    team_people,
    team_pickup,
    team_pull_request_table,
    team_recomputes_in_progress,
    team_reviewer_load,
    team_weekly_trends,
)
from apps.metrics.selectors.dashboard import team_previous_period
from apps.metrics.services import team_member_mark_bot, team_member_set_visibility
from apps.teams.decorators import APIRequest, TeamRequest, team_admin_required, team_member_required
from apps.web.parallel_reads import read_in_parallel

DEFAULT_DAYS = 30
PAGE_SIZE = 25
# The table's sortable columns: the sort key, its descending form (the first click's) and the heading.
SORT_COLUMNS = [
    ("merged", "-merged", "Merged"),
    ("created", "-created", "Opened"),
    ("cycle", "-cycle", "Cycle time"),
    ("pickup", "-pickup", "Pickup"),
    ("size", "-size", "Size"),
]


MAX_RANGE_DAYS = 3 * 366  # about three years: the longest period the dashboard shows
EARLIEST = date(2008, 1, 1)  # GitHub opened in 2008: no pull request is older


class DashboardFilterForm(forms.Form):
    """The dashboard's query string. Dates are bounded (a period of at most about three years, from 2008 to next
    year), so no parameter can make a page draw half a million weeks or reach a date the database refuses."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # Bounded to the database's bigint: an out-of-range id is a malformed filter, not a database error.
    repo = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    author = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    bots = forms.BooleanField(required=False)

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        latest = timezone.localdate() + timedelta(days=366)
        if day is not None and not EARLIEST <= day <= latest:
            raise forms.ValidationError(f"Choose a date between {EARLIEST.isoformat()} and {latest.isoformat()}.")
        return day

    def clean_start(self) -> date | None:
        return self._clean_day("start")

    def clean_end(self) -> date | None:
        return self._clean_day("end")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError("The start date is after the end date.")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(f"Choose a period of at most {MAX_RANGE_DAYS} days (about three years).")
        return data


def filters_from_request(
    request: TeamRequest | APIRequest, inactive: InactiveRepositories | None = None
) -> tuple[DashboardFilters, DashboardFilterForm]:
    """Filters from the query string, and the form that says what was wrong with them.

    A malformed or out-of-range value is a form error shown on the page; the figures then show the default
    period (the last 30 days) rather than a guess. Untracked repositories are out of scope unless chosen.
    """
    form = DashboardFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    end = data.get("end") or timezone.localdate()
    start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    filters = DashboardFilters(
        start=start,
        end=end,
        repo_id=data.get("repo"),
        author_id=data.get("author"),
        include_bots=bool(data.get("bots")),
        untracked_repo_ids=(inactive or team_inactive_repositories(team=request.team)).untracked,
    )
    return filters, form


@team_member_required
def dashboard(request: TeamRequest) -> HttpResponse:
    """Days, windows and weekly buckets are the team's: the guard runs every team view in its zone."""
    team = request.team
    inactive = team_inactive_repositories(team=team)
    filters, form = filters_from_request(request, inactive)
    repos, authors = team_filter_options(team=team)
    sort = table_sort(request.GET.get("sort"))
    # Composed here, not in apps.metrics: the metrics core knows nothing of deliveries (docs/architecture.md).
    reads: dict[str, Callable[[], Any]] = {"freshness": lambda: team_freshness(team=team)}
    if repos:  # the panels, each on its own connection, the longest chain first (it runs in this thread)
        reads = {
            "summary_and_page": lambda: _summary_and_page(request, filters, sort),
            "reviewers": lambda: team_reviewer_load(team=team, filters=filters),
            "trends": lambda: team_weekly_trends(team=team, filters=filters),
            "pickup": lambda: team_pickup(team=team, filters=filters),
            "previous": lambda: team_previous_period(team=team, filters=filters),
        } | reads
    read = read_in_parallel(reads)
    context = {
        "filters": filters,
        "form": form,
        "excluded_author": _excluded_author(filters, authors),
        # The line above the figures names every chosen filter, in the menus' words.
        "chosen_repo": next((name for repo_id, name in repos if repo_id == filters.repo_id), None),
        "chosen_author": next((a for a in authors if a.pk == filters.author_id), None),
        "max_range_days": MAX_RANGE_DAYS,
        "repos": [(repo_id, name, repo_id in filters.untracked_repo_ids) for repo_id, name in repos],
        "deleted_repo_ids": inactive.deleted,
        # The author menu's options as (id, login, chosen), read by the template without a lookup per option; the id
        # as text, as the option's value is, not a number the template would localize.
        "authors": [(str(a.pk), a.github_username, a.pk == filters.author_id) for a in authors],
        "has_data": bool(repos),
        "freshness": read["freshness"],
    }
    if repos:
        summary, page = read["summary_and_page"]
        pickup, pickup_before = read["pickup"]
        context |= {
            "summary": summary,
            "pickup": pickup,
            "previous": read["previous"],
            "previous_pickup": pickup_before,
            "trends": read["trends"],
            "reviewers": read["reviewers"],
            "page": page,
            "sort": sort,
            "sort_columns": SORT_COLUMNS,
        }
    return render(request, "dashboard/dashboard.html", context)


def _summary_and_page(request: TeamRequest, filters: DashboardFilters, sort: str) -> tuple[FlowSummary, Page[Any]]:
    """The summary, then the table's page: the table counts its rows from the summary's merged count (one index
    range instead of two), and the page is read here, in the same parallel read (the table lists eagerly)."""
    summary = team_flow_summary(team=request.team, filters=filters)
    table = team_pull_request_table(team=request.team, filters=filters, sort=sort, merged_count=summary.merged)
    page = Paginator(cast(Sequence[Any], table), PAGE_SIZE).get_page(request.GET.get("page"))  # counted, sliced
    return summary, page


def _excluded_author(filters: DashboardFilters, authors: list[TeamMember]) -> TeamMember | None:
    """The chosen author when another filter leaves all their PRs out: a bot while bot-authored PRs are excluded.
    The page says so instead of showing zeros as if they had done nothing."""
    if filters.author_id is None or filters.include_bots:
        return None
    return next((a for a in authors if a.pk == filters.author_id and a.is_bot), None)


@team_member_required
def pull_request_panel(request: TeamRequest, pk: int) -> HttpResponse:
    try:
        explanation = pull_request_explanation(team=request.team, pull_request_id=pk)
    except PullRequest.DoesNotExist as missing:
        raise Http404("No such pull request.") from missing
    template = "dashboard/_pr_panel.html" if request.htmx else "dashboard/pr_detail.html"
    return render(request, template, {"explanation": explanation, "pr": explanation.pull_request})


UNDO_KEY = "people_undo"


@team_member_required
def people(request: TeamRequest) -> HttpResponse:
    context = {
        "people": team_people(team=request.team),
        "recomputes": team_recomputes_in_progress(team=request.team),
        "undo": request.session.pop(UNDO_KEY, None),  # shown once, right after the change it undoes
    }
    return render(request, "dashboard/people.html", context)


def _member_action(request: TeamRequest, member_id: int, field: str) -> HttpResponse:
    enabled = request.POST.get(field) == "1"
    action = team_member_set_visibility if field == "is_active" else team_member_mark_bot
    try:
        member = action(team=request.team, member_id=member_id, **{field: enabled})
    except TeamMember.DoesNotExist as missing:
        raise Http404("No such person.") from missing
    name = member.github_username
    if field == "is_bot":
        done = f"{name} is marked as a bot" if enabled else f"{name} is marked as a person"
        done += "; their pull requests are being recomputed."
    else:
        done = f"{name} is shown on the dashboard again." if enabled else f"{name} is hidden from the dashboard."
    # The page offers to undo it: the same change the other way, one click (Hide and Mark as bot act at once).
    request.session[UNDO_KEY] = {
        "text": done,
        "url": reverse(f"dashboard:{'member_bot' if field == 'is_bot' else 'member_visibility'}",
                       kwargs={"team_slug": request.team.slug, "member_id": member.pk}),
        "field": field,
        "value": "0" if enabled else "1",
    }  # fmt: skip
    return redirect("dashboard:people", team_slug=request.team.slug)


@team_admin_required
@require_POST
def member_visibility(request: TeamRequest, member_id: int) -> HttpResponse:
    """Hide a member from the dashboard (``is_active=0``) or show them again (``is_active=1``)."""
    return _member_action(request, member_id, "is_active")


@team_admin_required
@require_POST
def member_bot(request: TeamRequest, member_id: int) -> HttpResponse:
    """Mark an account as a bot (``is_bot=1``) or as a person (``is_bot=0``); metrics are recomputed."""
    return _member_action(request, member_id, "is_bot")


@team_member_required
def old_address(request: TeamRequest, rest: str) -> HttpResponse:
    """The team pages were under ``metrics/`` before "metrics" came to name only the domain: a bookmark or a shared
    figure link leads to the same page, query string and all, for the team's members as any page is."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"/a/{request.team.slug}/dashboard/{rest}" + (f"?{query}" if query else ""))
