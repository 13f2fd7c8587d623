"""The read API: a team's token reads that team's dashboard numbers as JSON, and nothing else."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from apps.metrics.models import TeamMember
from apps.teams.models import APIToken
from apps.teams.services import api_token_create, api_token_revoke
from apps.web.tests.figure_world import API, PERIOD, seed_figure_world
from apps.web.tests.test_deployments_page import PERIOD as WEEKS
from apps.web.tests.test_deployments_page import deployed, page_url

pytestmark = pytest.mark.django_db
FLOW = "/api/v1/flow/"


def api_get(token: str | None, params: dict | None = None, **headers):
    if token is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {token}")
    return Client().get(FLOW, params or {}, **headers)  # no session: the token is the only credential


@pytest.fixture
def token(team, admin_user):
    return api_token_create(team=team, name="weekly report", created_by=admin_user)[1]


def _p(found):
    return {"p50": found.p50, "p75": found.p75, "p90": found.p90, "n": found.count}


def test_the_api_answers_what_the_dashboard_shows_for_the_same_query(admin_client, team, token):
    """The figures of a world with every kind of PR (bots, hidden people, an untracked repository, reverts,
    hotfixes, open requests) in a team whose days are not UTC's, compared with the page's own context."""
    team.timezone = "Pacific/Auckland"
    team.save()
    people = seed_figure_world(team)
    alice = TeamMember.objects.get(team=team, github_id=people["alice"].github_id)
    for query in (PERIOD, PERIOD | {"author": str(alice.pk)}, PERIOD | {"repo": str(API[0]), "bots": "on"}):
        page = admin_client.get(f"/a/{team.slug}/dashboard/", query).context
        answer = api_get(token, query)
        assert answer.status_code == 200, answer.content
        data = answer.json()
        summary, previous = page["summary"], page["previous"]
        assert data["period"] == {"start": query["start"], "end": query["end"]}
        assert data["time_zone"] == "Pacific/Auckland"
        assert (data["merged"], data["merged_without_review"], data["reverts"], data["hotfixes"]) == (
            summary.merged, summary.merged_without_review, summary.reverts, summary.hotfixes,
        )  # fmt: skip
        assert data["cycle_time_seconds"] == _p(summary.cycle)
        assert data["size_lines"] == {"p50": summary.size.p50, "p90": summary.size.p90, "n": summary.size.count}
        assert data["pickup_seconds"] == _p(page["pickup"])
        assert data["cycle_time_breakdown_mean_seconds"] == summary.breakdown
        assert data["previous_period"]["merged"] == previous.merged
        assert data["previous_period"]["cycle_time_seconds"] == {"p50": previous.cycle.p50, "n": previous.cycle.count}
        assert data["previous_period"]["pickup_seconds"]["p50"] == page["previous_pickup"].p50
        assert [(w["week"], w["merged"], w["cycle_time_seconds_p50"], w["partial"]) for w in data["weekly"]] == [
            (p.week.isoformat(), p.merged, p.cycle_p50_seconds, p.partial) for p in page["trends"]
        ]
        reviewers = [
            (r["login"], r["reviews"], r["response_seconds"]["p50"], r["open_requests"]) for r in data["reviewers"]
        ]
        assert reviewers == [
            (r.member.github_username, r.reviews, r.response_p50, r.open_requests) for r in page["reviewers"]
        ]
    assert data["filters"]["repository"] == {"id": API[0], "name": API[1]} and data["filters"]["bots"] is True


def test_the_first_query_of_the_comparison_is_not_empty(team, token):
    """Guards the comparison above against comparing nothing with nothing."""
    seed_figure_world(team)
    data = api_get(token, PERIOD).json()
    assert data["merged"] > 5 and data["cycle_time_seconds"]["p50"] > 0 and data["reviewers"]
    assert any(r["login"] == "grace" and r["open_requests"] == 1 for r in data["reviewers"])


@pytest.mark.parametrize(
    "authorization",
    [None, "tfk_unknown", "Token tfk_x", "Bearer", "Bearer tfk_" + "A" * 43, "Basic dXNlcjpwYXNz"],
)
def test_no_valid_token_is_401_with_how_to_authenticate(team, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    answer = Client().get(FLOW, **headers)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Bearer realm="tformance"'
    assert "Authorization: Bearer" in answer.json()["error"]


def test_a_revoked_token_is_refused_at_once(team, admin_user, token):
    assert api_get(token).status_code == 200
    api_token_revoke(team=team, token_id=APIToken.objects.get().pk)
    assert api_get(token).status_code == 401


def test_a_token_reads_its_own_team_only(team, other_team, token, admin_user):
    seed_figure_world(team)
    other_token = api_token_create(team=other_team, name="theirs", created_by=admin_user)[1]
    theirs = api_get(other_token, PERIOD).json()
    assert theirs["team"] == other_team.slug and theirs["merged"] == 0 and theirs["reviewers"] == []
    assert theirs["cycle_time_seconds"] == {"p50": None, "p75": None, "p90": None, "n": 0}  # null, never 0
    assert api_get(token, PERIOD).json()["merged"] > 0


@pytest.mark.parametrize(
    ("query", "field"),
    [({"start": "2026-13-01"}, "start"), ({"start": "2026-11-20", "end": "2026-11-01"}, "__all__"),
     ({"repo": "x"}, "repo"), ({"start": "1999-01-01"}, "start")],
)  # fmt: skip
def test_a_bad_query_is_400_naming_the_field_never_a_default_period(team, token, query, field):
    answer = api_get(token, query)
    assert answer.status_code == 400
    assert field in answer.json()["fields"]


def test_only_get_is_answered(team, token):
    assert Client().post(FLOW, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


def test_use_is_noted_on_the_token(team, token):
    assert APIToken.objects.get().last_used_at is None
    api_get(token)
    assert APIToken.objects.get().last_used_at is not None


# The settings page where an admin makes, sees and revokes tokens.


def test_an_admin_makes_a_token_that_is_shown_once_and_stored_as_a_digest(admin_client, team):
    page = f"/a/{team.slug}/team/settings/api-tokens/"
    made = admin_client.post(page, {"name": "grafana"})
    html = made.content.decode()
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    secret = re.search(r'value="(tfk_[^"]+)" id="new-token-value"', html).group(1)
    row = APIToken.objects.get()
    assert row.name == "grafana" and secret.startswith(row.prefix) and secret not in (row.digest, row.prefix)
    assert api_get(secret).status_code == 200

    again = admin_client.get(page).content.decode()
    assert secret not in again and f"{row.prefix}…" in again and "grafana" in again


def test_a_token_needs_a_name(admin_client, team):
    answer = admin_client.post(f"/a/{team.slug}/team/settings/api-tokens/", {"name": "   "})
    assert answer.status_code == 400 and not APIToken.objects.exists()


def test_revoking_from_the_page_stops_the_token_and_keeps_its_row(admin_client, team, token):
    row = APIToken.objects.get()
    answer = admin_client.post(f"/a/{team.slug}/team/settings/api-tokens/{row.pk}/revoke/", follow=True)
    assert "is revoked" in answer.content.decode() and "revoked " in answer.content.decode()
    assert api_get(token).status_code == 401
    assert APIToken.objects.get().revoked_at is not None


def test_another_teams_token_cannot_be_revoked_from_this_team(admin_client, team, other_team, admin_user):
    theirs, secret = api_token_create(team=other_team, name="theirs", created_by=admin_user)
    answer = admin_client.post(f"/a/{team.slug}/team/settings/api-tokens/{theirs.pk}/revoke/")
    assert answer.status_code == 404
    assert api_get(secret).status_code == 200


def test_members_see_that_tokens_exist_but_only_admins_manage_them(member_client, team):
    assert "A team admin makes them" in member_client.get(f"/a/{team.slug}/team/settings/").content.decode()
    assert member_client.get(f"/a/{team.slug}/team/settings/api-tokens/").status_code == 403


# GET /api/v1/deployments/: the deployments page's figures.


def test_deployment_frequency_is_the_deployments_pages_count_in_the_teams_weeks(member_client, team, token):
    """Hand-computed: two successful production deployments, one a week; a failure, staging and a transient preview
    are not counted and the last two are named with why. The team's day decides the week of a 23:30 UTC success."""
    team.timezone = "Europe/Berlin"
    team.save()
    t = datetime(2026, 3, 3, 9, tzinfo=UTC)
    deployed(team, 1, created=t, states=[("failure", t)])
    deployed(team, 2, created=t, states=[("success", t)])
    late_sunday = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin: the second week
    deployed(team, 3, created=late_sunday, states=[("success", late_sunday)])
    deployed(team, 4, environment="staging", production=False, created=t, states=[("success", t)])
    deployed(team, 5, environment="pr-7", transient=True, production=False, created=t, states=[("success", t)])

    answer = Client().get("/api/v1/deployments/", WEEKS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200
    data = answer.json()
    assert data["deployment_frequency"] == {
        "production_deployments": 2,
        "days": 14,
        "per_week": 1.0,
        "weekly": [
            {"week": "2026-03-02", "deployments": 1, "partial": False},
            {"week": "2026-03-09", "deployments": 1, "partial": False},
        ],
    }
    assert sorted((e["environment"], e["reason"], e["deployments"]) for e in data["environments_left_out"]) == [
        ("pr-7", "transient", 1),
        ("staging", "none", 1),
    ]
    frequency = member_client.get(page_url(team), WEEKS).context["frequency"]
    weekly = [w["deployments"] for w in data["deployment_frequency"]["weekly"]]
    assert weekly == [w.deployments for w in frequency.weeks]


def test_deployments_need_a_token_and_a_good_query(team, token):
    assert Client().get("/api/v1/deployments/").status_code == 401
    bad = Client().get("/api/v1/deployments/", {"end": "soon"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bad.status_code == 400 and "end" in bad.json()["fields"]
