"""The team's repository page: choose tracked repositories, watch their imports, Import now.

Rows come from our mirror of the installations' repositories (no GitHub call per page view). With htmx a
change answers with the changed row (or the table, for bulk actions); without it, a redirect back to the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.integrations.forms import RepositoryBulkForm, RepositoryFilterForm
from apps.integrations.models import TrackedRepository
from apps.integrations.selectors import team_repositories, team_repository_row, team_repository_rows
from apps.integrations.selectors_freshness import team_freshness
from apps.integrations.services.repositories import repository_drop_from_figures
from apps.integrations.services.tracking import (
    TrackingError,
    repositories_track,
    repositories_untrack,
    repository_track,
    repository_untrack,
    tracked_repository_import_schedule,
)
from apps.teams.decorators import TeamRequest, team_admin_required, team_member_required

PER_PAGE = 50


def _table_context(request: TeamRequest, params: QueryDict) -> dict[str, Any]:
    form = RepositoryFilterForm(params)
    search, show = form.cleaned() if form.is_valid() else ("", "all")
    paginator = Paginator(team_repositories(team=request.team, search=search, show=show), PER_PAGE)
    page = paginator.get_page(params.get("page"))
    return {
        "filter_form": form,
        "search": search,
        "show": show,
        "page_obj": page,
        "rows": team_repository_rows(team=request.team, repositories=list(page.object_list)),
        "is_admin": request.membership.is_admin,
    }


@team_member_required
@require_GET
def github_repositories(request: TeamRequest) -> HttpResponse:
    context = _table_context(request, request.GET)
    shown = [row.repository.github_repo_id for row in context["rows"]]
    context["freshness"] = team_freshness(team=request.team, github_repo_ids=shown)
    return render(request, "integrations/repositories.html", context)


def _row_response(request: TeamRequest, github_repo_id: int) -> HttpResponse:
    row = team_repository_row(team=request.team, github_repo_id=github_repo_id)
    if row is None:
        raise Http404("No such repository.")
    context = {"row": row, "is_admin": request.membership.is_admin}
    return render(request, "integrations/repositories_row.html", context)


@team_member_required
@require_GET
def github_repository_row(request: TeamRequest, github_repo_id: int) -> HttpResponse:
    """The live fragment an importing row polls every ~2 s."""
    return _row_response(request, github_repo_id)


# The event every htmx answer that changes what is tracked sends (HX-Trigger): the freshness card reads itself again.
CHANGED = "repositories-changed"


def _after_change(request: TeamRequest, github_repo_id: int) -> HttpResponse:
    if request.htmx:
        response = _row_response(request, github_repo_id)
        response.headers["HX-Trigger"] = CHANGED
        return response
    return redirect(reverse("integrations:github_repositories", kwargs={"team_slug": request.team.slug}))


@team_admin_required
@require_POST
def github_repository_track(request: TeamRequest, github_repo_id: int) -> HttpResponse:
    try:
        repository_track(team=request.team, github_repo_id=github_repo_id)
    except TrackingError:
        raise Http404("No such repository.") from None
    return _after_change(request, github_repo_id)


@team_admin_required
@require_POST
def github_repository_untrack(request: TeamRequest, github_repo_id: int) -> HttpResponse:
    if team_repository_row(team=request.team, github_repo_id=github_repo_id) is None:
        raise Http404("No such repository.")
    repository_untrack(team=request.team, github_repo_id=github_repo_id)
    return _after_change(request, github_repo_id)


@team_admin_required
@require_POST
def github_repository_drop(request: TeamRequest, github_repo_id: int) -> HttpResponse:
    """A repository deleted on GitHub: drop its history from the figures (``drop=1``) or count it again (``drop=0``).
    Nothing is deleted; past periods change only by this choice."""
    dropped = request.POST.get("drop") != "0"
    if not repository_drop_from_figures(team=request.team, github_repo_id=github_repo_id, dropped=dropped):
        raise Http404("No repository deleted on GitHub with this id.")
    return _after_change(request, github_repo_id)


@team_admin_required
@require_POST
def github_repository_import(request: TeamRequest, github_repo_id: int) -> HttpResponse:
    """Import now: PRs updated since the last successful import (or the rest of an unfinished history import)."""
    tracked = TrackedRepository.objects.for_team(request.team).filter(github_repo_id=github_repo_id).first()
    if tracked is None or not tracked.is_active:
        raise Http404("No such tracked repository.")
    started = tracked_repository_import_schedule(tracked_repository=tracked, interactive=True)
    if not request.htmx:  # with htmx the row itself says what runs (``RepositoryRow.import_description``)
        row = team_repository_row(team=request.team, github_repo_id=github_repo_id)
        if started and row is not None:
            messages.info(request, f"Import started for {tracked.full_name}. {row.import_description}.")
        else:
            messages.info(request, f"{tracked.full_name} is already being imported.")
    return _after_change(request, github_repo_id)


@team_admin_required
@require_POST
def github_repositories_bulk(request: TeamRequest) -> HttpResponse:
    """Track or untrack the checked repositories; answers with the table as filtered before."""
    form = RepositoryBulkForm(request.POST)
    if form.is_valid():
        ids = form.cleaned_data["repositories"]
        if form.cleaned_data["action"] == "track":
            done = len(repositories_track(team=request.team, github_repo_ids=ids))
            message = f"Tracking {done} more repositor{'y' if done == 1 else 'ies'}."
        else:
            done = repositories_untrack(team=request.team, github_repo_ids=ids)
            message = f"Stopped tracking {done} repositor{'y' if done == 1 else 'ies'}; their history is kept."
    else:
        message = "Choose repositories and an action."
    if request.htmx:
        context = {**_table_context(request, request.POST), "notice": message}
        response = render(request, "integrations/repositories_table.html", context)
        response.headers["HX-Trigger"] = CHANGED
        return response
    messages.info(request, message)
    return redirect(reverse("integrations:github_repositories", kwargs={"team_slug": request.team.slug}))
