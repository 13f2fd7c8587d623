"""The team home's setup checklist, composed from the integrations and metrics reads (metrics never imports
integrations: docs/architecture.md, the layers, so the web layer puts the two together).

Connect GitHub → choose repositories → first import → dashboard. Each step says whether it is done and what it
did; the first step not done is the next one, and its action is the page's primary button.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from apps.integrations.selectors import GitHubSetup
from apps.metrics.selectors.home import HomeSummary
from apps.teams.models import Team


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    detail: str  # what it did, or what it will do
    action: str  # the label of its button ("" when there is nothing to press)
    url: str  # where the button goes; a POST form when ``post``
    post: bool = False
    admin_only: bool = True


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _connect(team: Team, github: GitHubSetup) -> Step:
    if github.installations:
        names = []
        for installation in github.installations:
            by = f" by {installation.linked_by.email}" if installation.linked_by else ""
            names.append(f"{installation.account_login or 'an account'} connected{by}")
        detail = "; ".join(names) + "."
    else:
        detail = "Install the tformance GitHub App on your organization; GitHub sends you back here."
    url = reverse("integrations:github_connect", kwargs={"team_slug": team.slug})
    return Step("connect", "Connect GitHub", bool(github.installations), detail, "Connect GitHub", url, post=True)


def _repositories(team: Team, github: GitHubSetup) -> Step:
    done = github.tracked > 0
    if done:
        detail = f"{_plural(github.tracked, 'repository', 'repositories')} tracked."
    else:
        detail = "Choose which repositories count: their history is imported, then webhooks keep them current."
    url = reverse("integrations:github_repositories", kwargs={"team_slug": team.slug})
    return Step("repositories", "Choose repositories", done, detail, "Choose repositories", url)


def _import(team: Team, github: GitHubSetup, summary: HomeSummary) -> Step:
    done = github.tracked > 0 and github.importing == 0 and github.imported_once > 0
    if github.importing:
        total = f" of {github.total:,}" if github.total else ""
        detail = (
            f"Importing {_plural(github.importing, 'repository', 'repositories')}: "
            f"{github.imported:,}{total} pull requests read ({github.import_percent} %)."
        )
    elif done:
        detail = f"{_plural(summary.pull_requests, 'pull request', 'pull requests')} imported."
    else:
        detail = "Starts by itself when a repository is tracked."
    url = reverse("integrations:github_repositories", kwargs={"team_slug": team.slug})
    return Step("import", "First import", done, detail, "See the import's progress", url)


def _dashboard(team: Team, ready: bool, summary: HomeSummary) -> Step:
    detail = (
        "Review flow, cycle time and reviewer load of the tracked repositories."
        if ready
        else "Fills as soon as the first import has finished."
    )
    url = reverse("dashboard:index", kwargs={"team_slug": team.slug})
    done = ready and summary.pull_requests > 0
    return Step("dashboard", "Read the dashboard", done, detail, "Open the dashboard", url, admin_only=False)


def setup_checklist(*, team: Team, github: GitHubSetup, summary: HomeSummary) -> list[Step]:
    imported = _import(team, github, summary)
    return [_connect(team, github), _repositories(team, github), imported, _dashboard(team, imported.done, summary)]


def next_step(steps: list[Step]) -> Step | None:
    """The first step not done, or the dashboard's once everything is (the home's primary action)."""
    for step in steps:
        if not step.done:
            return step
    return steps[-1]


def is_set_up(steps: list[Step]) -> bool:
    return all(step.done for step in steps[:3])
