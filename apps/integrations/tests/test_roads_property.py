"""One truth whatever road the data took: webhooks, the history import, or both interleaved give the same figures.

Hypothesis draws pull-request histories GitHub could produce (``roads_world.histories``: opened ready or as a draft,
readied and drafted again, reviewers requested and withdrawn, reviews approving, asking for changes or commenting by
others and comments by the author, labels, closed, reopened, merged, reviews after the merge, a person renamed,
facts that tie to the second). Each history reaches a fresh team by three roads:

(a) **webhooks only**: the repository is tracked before the first fact, and every fact's delivery, signed, is posted
    in order to the real ``POST /webhooks/github/``;
(b) **the history import only**: the repository is tracked after the last fact, and the real import
    (``tracked_repository_import``) reads GitHub's GraphQL (``graphql_fake``) as it is then;
(c) **interleaved**: tracked at a drawn moment (deliveries before it are ignored, as in production), with catch-up
    imports at drawn moments, GitHub moving on while an import's page is on its way (fetched, not yet written; one
    PR per page), deliveries held back and
    delivered late (GitHub's redelivery of a failed one), deliveries posted twice (same delivery id), and the
    repository untracked and tracked again; every held delivery arrives in the end.

Every road ends knowing the whole history, so every figure a user can see must be the same: the dashboard's
summary, pickup and PR table, the weekly table, the people page, reviewer load, the open review requests, each PR's "why
these numbers" panel, the home summary, and every figure's PR list (its rows, in order, with what each
contributed, and what it left out by reason) and its CSV export. The server's clock follows GitHub's (an import
runs in the second of the last fact that happened), so catch-up windows mean what they mean in production.

Why: a team's data reaches us by every road over its life (history import at tracking, webhooks since, catch-ups
after outages and re-tracking), so a figure that depends on the road depends on luck. What is not demanded, because
no road can know it: the order of rows of equal value in a figure's list and of timeline items of one second (our
row ids break those ties); a rename that no later delivery tells (GitHub sends no webhook for it, so
``histories`` only draws renames a later event reveals).

``ROADS_EXAMPLES`` sets how many histories are drawn (default 20 per test; e.g. ``ROADS_EXAMPLES=5`` for a quick run);
``ROADS_SHRINK=1`` shrinks a failure to its smallest history (minutes). Examples are derandomized, so CI runs the
same histories on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from apps.integrations.models import TrackedRepository
from apps.integrations.selectors import team_untracked_repository_ids
from apps.integrations.services.import_run import tracked_repository_import
from apps.integrations.services.tracking import repository_track, repository_untrack, tracked_repository_import_schedule
from apps.integrations.tests.factories import InstallationFactory, InstallationRepositoryFactory
from apps.integrations.tests.graphql_fake import FULL_NAME, REPO_ID, FakeGraphQL
from apps.integrations.tests.roads_world import PEOPLE, START, Fact, GitHubWorld, histories
from apps.metrics.models import PullRequest, TeamMember
from apps.metrics.selectors.dashboard import (
    pending_review_requests,
    team_flow_summary,
    team_pickup,
    team_previous_period,
    team_reviewer_load,
    team_weekly_trends,
)
from apps.metrics.selectors.figures import FIGURES, FigureRequest, figure_exclusions, figure_export_rows, figure_for
from apps.metrics.selectors.home import team_home_summary
from apps.metrics.selectors.people import team_people
from apps.metrics.selectors.pull_requests import DEFAULT_SORT, pull_request_explanation, team_pull_request_table
from apps.metrics.selectors.scope import DashboardFilters
from apps.teams.models import Membership, Role, Team

pytestmark = pytest.mark.django_db

INSTALLATION_ID = 31
EXAMPLES = int(os.environ.get("ROADS_EXAMPLES", "20"))


class Clock:
    """The server's ``timezone.now``, kept at GitHub's time: the second of the last fact that happened."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self):
        return self.now


class Road:
    """One team receiving one history; ``k`` facts have happened on GitHub so far."""

    def __init__(self, facts: list[Fact], gql: FakeGraphQL, post: Callable, clock: Clock, team: Team) -> None:
        self.world, self.gql, self.post, self.clock, self.team = GitHubWorld(facts), gql, post, clock, team
        self.n, self.k = len(facts), 0
        self.tracked: TrackedRepository | None = None
        self.sent: list[int] = []
        self.in_flight: Callable[[int], None] | None = None

    def happen(self) -> int:
        """The next fact happens on GitHub; returns its index."""
        i, self.k = self.k, self.k + 1
        self.clock.now = max(self.clock.now, self.world.facts[i].at)
        return i

    def deliver(self, i: int) -> None:
        """GitHub posts fact ``i``'s delivery (again, with the same id, when it was sent before)."""
        delivery = self.world.delivery(i, INSTALLATION_ID)
        if delivery is not None:
            response = self.post(delivery[0], delivery[1], delivery_id=f"fact-{i}")
            assert response.status_code in {200, 202}, response.content
            self.sent.append(i)

    def import_now(self) -> None:
        """Track the repository (its first import), or catch up; the run pages through GitHub as it is meanwhile."""

        def before_page(page: int) -> None:
            self.gql.nodes = self.world.graphql_nodes(self.k)  # GitHub answers the page as it is now,
            if self.in_flight is not None:
                self.in_flight(page)  # and facts may happen, and be delivered, before the import writes it

        self.gql.before_page = before_page
        if self.tracked is None or not self.tracked.is_active:
            self.tracked = repository_track(team=self.team, github_repo_id=REPO_ID)
        else:
            assert tracked_repository_import_schedule(tracked_repository=self.tracked)
        assert tracked_repository_import(tracked_repository_id=self.tracked.pk).status == "done"
        self.gql.before_page = None
        self.tracked.refresh_from_db()

    def untrack(self) -> None:
        repository_untrack(team=self.team, github_repo_id=REPO_ID)
        assert self.tracked is not None
        self.tracked.refresh_from_db()


def webhooks_only(road: Road, data: st.DataObject | None) -> None:
    road.import_now()  # tracked before anything happened: the import finds nothing
    while road.k < road.n:
        road.deliver(road.happen())


def import_only(road: Road, data: st.DataObject | None) -> None:
    while road.k < road.n:
        road.happen()
    road.import_now()


def interleaved(road: Road, data: st.DataObject) -> None:
    """Tracked at a drawn moment; imports, late and repeated deliveries and untracking at drawn moments."""
    held: list[int] = []
    track_at = data.draw(st.integers(0, road.n), label="tracked after fact")

    def happen_and_maybe_deliver() -> None:
        i = road.happen()
        if data.draw(st.integers(0, 3), label="delivery held back") == 0:
            held.append(i)
        else:
            road.deliver(i)

    def in_flight(page: int) -> None:
        for _ in range(data.draw(st.integers(0, 2), label="facts while a page is on its way")):
            if road.k < road.n:
                happen_and_maybe_deliver()

    road.in_flight = in_flight
    while road.k < road.n or road.tracked is None or not road.tracked.is_active:
        if road.tracked is None and road.k >= track_at:
            road.import_now()
            continue
        steps = ["happen", "happen", "happen", "release", "redeliver", "import", "untrack"]
        step = data.draw(st.sampled_from(steps), label="step") if road.k < road.n else "import"
        if step == "happen":
            happen_and_maybe_deliver()
        elif step == "release" and held:
            road.deliver(held.pop(data.draw(st.integers(0, len(held) - 1), label="which held")))
        elif step == "redeliver" and road.sent:
            road.deliver(data.draw(st.sampled_from(road.sent), label="redelivered"))
        elif step == "import" and road.tracked is not None:
            road.import_now()
        elif step == "untrack" and road.tracked is not None and road.tracked.is_active:
            road.untrack()
    while held:
        road.deliver(held.pop(data.draw(st.integers(0, len(held) - 1), label="late delivery")))


# --- what a user sees -------------------------------------------------------------------------------------------


def _who(member: TeamMember | None) -> Any:
    return None if member is None else (member.github_id, member.github_username)


def _percentiles(p) -> tuple:
    return (p.count, p.p50, p.p75, p.p90)


def panels(team: Team, client, period: tuple[date, date]) -> dict[str, Any]:
    """Every figure of every page, with the ids that differ between teams (rows' pk) replaced by GitHub's."""
    untracked = team_untracked_repository_ids(team=team)
    filters = DashboardFilters(start=period[0], end=period[1], untracked_repo_ids=untracked)
    seen: dict[str, Any] = {}
    with timezone.override(team.tzinfo):
        s = team_flow_summary(team=team, filters=filters)
        seen["summary"] = (s.merged, s.merged_without_review, s.reverts, s.hotfixes, _percentiles(s.cycle),
                           _percentiles(s.size), s.breakdown, s.cycle_mean)  # fmt: skip
        before = team_previous_period(team=team, filters=filters)
        seen["previous"] = (before.merged, before.merged_without_review, before.reverts, _percentiles(before.cycle),
                            _percentiles(before.size))  # fmt: skip
        seen["pickup"] = [_percentiles(p) for p in team_pickup(team=team, filters=filters)]
        weeks = team_weekly_trends(team=team, filters=filters)
        seen["weekly"] = [(w.week, w.merged, w.cycle_p50, w.partial) for w in weeks]
        seen["reviewer load"] = [
            (_who(r.member), r.reviews, r.response_p50, r.responses, r.open_requests)
            for r in team_reviewer_load(team=team, filters=filters)
        ]
        table = team_pull_request_table(team=team, filters=filters, sort=DEFAULT_SORT)
        rows = [
            (pr.number, pr.state, pr.is_draft, pr.merged_at, pr.cycle_time_seconds, pr.review_time_seconds,
             pr.additions, pr.deletions, pr.author.github_username if pr.author else None)
            for pr in table[0 : table.count()]
        ]  # fmt: skip
        seen["PR table"] = sorted(rows, key=repr)  # rows of one merge second in any order
        pending = pending_review_requests(team=team, prs=PullRequest.objects.for_team(team))
        seen["open requests"] = sorted(pending.values_list("pull_request__number", "subject__github_id"))
        seen["people"] = [
            (m.github_id, m.github_username, m.is_bot, m.is_active, m.pr_count, m.review_count)
            for m in team_people(team=team)
        ]
        home = team_home_summary(team=team, untracked_repo_ids=filters.untracked_repo_ids)
        seen["home"] = (home.pull_requests, home.merged_this_week, home.waiting_for_review,
                        home.longest_waiting.number if home.longest_waiting else None)  # fmt: skip
        for pr in PullRequest.objects.for_team(team).order_by("number"):
            explanation = pull_request_explanation(team=team, pull_request_id=pr.pk)
            seen[f"why #{pr.number}"] = (
                [(r.label, r.value, r.because) for r in explanation.reasons],
                sorted((t.at, t.text, t.note) for t in explanation.timeline),  # items of one second in any order
            )
        seen |= figure_lists(team, filters, client)
    return seen


def figure_requests(team: Team, filters: DashboardFilters) -> list[tuple[str, FigureRequest, dict[str, str]]]:
    """Every figure of the dashboard (its first percentile only: the others are on the summary and list the same
    rows): (name without team ids, request, query string of its list)."""
    members = TeamMember.objects.for_team(team).filter(is_bot=False).order_by("github_id")
    monday = filters.start - timedelta(days=filters.start.weekday())
    weeks = [monday + timedelta(weeks=n) for n in range((filters.end - monday).days // 7 + 1)]
    out = []
    for key, (_, ps, needs_week, needs_member) in FIGURES.items():
        for p in ps[:1] if ps else (None,):  # a figure's percentiles share its rows: p75 and p90 list what p50 does
            for week in weeks if needs_week else (None,):
                for member in members if needs_member else (None,):
                    query = {"p": str(p)} if p else {}
                    query |= {"week": week.isoformat()} if week else {}
                    query |= {"member": str(member.pk)} if member else {}
                    name = f"{key} p{p} {week or ''} {member.github_id if member else ''}"
                    request = FigureRequest(key, p, week, member.pk if member else None)
                    out.append((name, request, query))
    return out


# Figures whose CSV is also fetched through the export view (the rest are read through the same selector it streams).
CSV_THROUGH_THE_VIEW = {"merged", "pickup", "response"}


def figure_lists(team: Team, filters: DashboardFilters, client: Client) -> dict[str, Any]:
    """Each figure's list: its rows with what each contributed, in value order, and what it left out by reason.

    Rows of equal value may come in any order (the lists break ties by our row id, which depends on the order
    rows were written in): the values' order and the set of rows are compared, not the order within a tie.
    """
    seen = {}
    period = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    for name, request, query in figure_requests(team, filters):
        figure = figure_for(team=team, filters=filters, request=request)
        exclusions = figure_exclusions(figure)
        rows = [(r.number, r.author, r.opened, r.merged, r.value, r.submitted) for r in figure_export_rows(figure)]
        values = [row[4] for row in rows]
        rows.sort(key=repr)
        seen[f"figure {name}"] = (exclusions.all_rows, exclusions.counted, exclusions.by_reason, values, rows)
        if request.key in CSV_THROUGH_THE_VIEW and request.percentile in {None, 50}:
            url = reverse("dashboard:figure_csv", kwargs={"team_slug": team.slug, "key": request.key})
            response = client.get(url, period | query)
            assert response.status_code == 200, (name, response.status_code)
            header, *lines = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
            seen[f"csv {name}"] = (header, [line[7] for line in lines], sorted(line[1:] for line in lines))
    return seen


# --- running the roads ------------------------------------------------------------------------------------------


@pytest.fixture
def world(github, settings, signed_webhook, admin_user, admin_client):
    """What every example needs: GitHub's GraphQL (fake), imports one PR per page, the server clock."""
    settings.IMPORT_HISTORY_DAYS = 0
    settings.IMPORT_PAGE_SIZE = settings.IMPORT_MIN_PAGE_SIZE = 1
    github.installation_token(INSTALLATION_ID)
    gql = FakeGraphQL(github.mock, [])
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        yield gql, clock, signed_webhook, admin_user, admin_client


def travel(facts: list[Fact], how: Callable[[Road, Any], None], world, data: st.DataObject | None) -> dict[str, Any]:
    """The figures a fresh team shows after ``facts`` reached it by road ``how`` (rolled back afterwards)."""
    gql, clock, post, user, client = world
    clock.now = START - timedelta(hours=1)
    cache.clear()
    with transaction.atomic():
        team = Team.objects.create(name="Roads", slug="roads")
        Membership.objects.create(team=team, user=user, role=Role.ADMIN)
        installation = InstallationFactory(installation_id=INSTALLATION_ID, team=team, account_login="acme")
        InstallationRepositoryFactory(installation=installation, github_repo_id=REPO_ID, full_name=FULL_NAME)
        how(Road(facts, gql, post, clock, team), data)
        clock.now = max(clock.now, facts[-1].at) + timedelta(hours=1)
        seen = panels(team, client, (START.date(), facts[-1].at.date()))  # the weeks the history spans
        transaction.set_rollback(True)
    return seen


def differences(expected: dict[str, Any], found: dict[str, Any]) -> str:
    """Each panel that differs, as webhooks show it and as the other road does ("" when none differs)."""
    lines = []
    for key in sorted(set(expected) | set(found)):
        if expected.get(key) != found.get(key):
            lines += [f"{key}:", f"  by webhooks: {expected.get(key)!r}", f"  other road:  {found.get(key)!r}"]
    return "\n".join(lines)


# Shrinking a failure to its smallest history replays it hundreds of times (minutes): asked for with ROADS_SHRINK=1.
PHASES = [p for p in Phase if p is not Phase.shrink or os.environ.get("ROADS_SHRINK") == "1"]
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip


def _at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


# Histories every run tries first: two reviewers requested of an open PR, one answering 2 h after her request and
# 6 h after the PR was opened; a PR opened as a draft and readied in the same second, reviewed 2 h later, merged.
REQUESTED = [
    Fact("open", _at(0), 1), Fact("request", _at(0), 1, whom="bob"), Fact("request", _at(4), 1, whom="alice"),
    Fact("review", _at(6), 1, "alice", what="APPROVED"),
]  # fmt: skip
READIED_AT_ONCE = [
    Fact("open", _at(0), 1, what="draft"), Fact("ready", _at(0), 1),
    Fact("review", _at(2), 1, "alice", what="COMMENTED"), Fact("merge", _at(3), 1),
]  # fmt: skip


@SETTINGS
@given(facts=histories())
@example(facts=REQUESTED)
@example(facts=READIED_AT_ONCE)
def test_the_history_import_shows_what_the_webhooks_show(world, facts):
    by_webhooks = travel(facts, webhooks_only, world, None)
    by_import = travel(facts, import_only, world, None)

    assert by_import == by_webhooks, differences(by_webhooks, by_import)


@SETTINGS
@given(facts=histories(), data=st.data())
def test_imports_interleaved_with_late_and_repeated_deliveries_show_what_the_webhooks_show(world, facts, data):
    by_webhooks = travel(facts, webhooks_only, world, data)
    interleaved_roads = travel(facts, interleaved, world, data)

    assert interleaved_roads == by_webhooks, differences(by_webhooks, interleaved_roads)


def test_a_drawn_history_is_told_alike_by_its_webhooks_and_by_graphql(world):
    """The generator's two voices agree on one small history: the delivery of each fact carries the PR GraphQL
    shows right after it (state, draft, times, labels, requested reviewers, reviews)."""
    facts = [
        Fact("open", START, 1, "ada", what="draft"),
        Fact("request", START, 1, "ada", whom="alice"),
        Fact("ready", START + timedelta(hours=1), 1, "ada"),
        Fact("review", START + timedelta(hours=3), 1, "alice", what="APPROVED"),
        Fact("rename", START + timedelta(hours=3), 0, "alice"),
        Fact("merge", START + timedelta(hours=3), 1, "ada"),
    ]
    world_ = GitHubWorld(facts)
    event, review = world_.delivery(3, INSTALLATION_ID)
    assert event == "pull_request_review" and review["review"]["user"]["login"] == "alice"
    assert review["pull_request"]["requested_reviewers"] == [] and "additions" not in review["pull_request"]
    event, merged = world_.delivery(5, INSTALLATION_ID)
    assert (merged["action"], merged["pull_request"]["merged"], merged["pull_request"]["updated_at"]) == (
        "closed", True, "2026-10-02T03:00:00Z",
    )  # fmt: skip
    node = world_.graphql_nodes(6)[0]
    assert (node["state"], node["isDraft"], node["mergedAt"]) == ("MERGED", False, "2026-10-02T03:00:00Z")
    assert [r["author"]["login"] for r in node["all_reviews"]] == ["alice-renamed"]  # GraphQL: today's login
    assert [i["__typename"] for i in node["all_timeline"]] == [
        "ReviewRequestedEvent",
        "ReadyForReviewEvent",
        "ClosedEvent",
    ]
    assert world_.graphql_nodes(3)[0]["reviewRequests"]["nodes"][0]["requestedReviewer"]["databaseId"] == 12
    assert PEOPLE["alice"][0] == 12 and date(2026, 10, 2) == START.date()
