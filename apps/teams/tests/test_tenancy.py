"""Tenancy guards, checked over the whole project rather than page by page.

New models and new team pages are covered automatically: a model holding a team that does not subclass
``BaseTeamModel``, or a ``/a/<team_slug>/`` page without a team guard, fails here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter

from apps.teams.models import BaseTeamModel, Team

# Rows that point at a team without being owned by it, and why.
NOT_TEAM_OWNED = {
    "teams.Membership": "joins a user to a team; guarded by the team pages themselves",
    "integrations.GitHubAppInstallation": "exists before any team links it; team is empty until then",
}


def project_models():
    return [m for m in apps.get_models() if m.__module__.startswith("apps.")]


def test_every_model_that_holds_a_team_is_team_owned():
    offenders = []
    for model in project_models():
        label = model._meta.label
        holds_team = any(getattr(f, "related_model", None) is Team for f in model._meta.get_fields() if f.concrete)
        if holds_team and not issubclass(model, BaseTeamModel) and label not in NOT_TEAM_OWNED:
            offenders.append(label)
    assert offenders == []


def test_every_team_owned_model_requires_its_team():
    team_models = [m for m in project_models() if issubclass(m, BaseTeamModel)]
    assert team_models, "expected tenant models"
    for model in team_models:
        assert model._meta.get_field("team").null is False, model._meta.label


# Django's admin refuses a model with a composite primary key; its rows are shown on another model's page.
SHOWN_ON_ANOTHER_PAGE = {"integrations.WebhookPayload"}  # a delivery's page shows its body


def test_every_project_model_has_an_admin_page():
    missing = [m._meta.label for m in project_models() if m not in admin.site._registry]
    assert sorted(set(missing) - SHOWN_ON_ANOTHER_PAGE) == []


def _walk(patterns, prefix="") -> Iterator[tuple[str, URLPattern, dict]]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        else:
            yield route, p, _converters(p)


def _converters(p: URLPattern) -> dict:
    return getattr(p.pattern, "converters", {})


def team_patterns() -> list[tuple[str, URLPattern]]:
    return [(route, p) for route, p, _ in _walk(get_resolver().url_patterns) if "<slug:team_slug>" in route]


def _fill(route: str, team_slug: str) -> str:
    """Build a URL for a route, with the team's slug and harmless values for the other parameters."""
    import re

    def value(match: re.Match) -> str:
        conv, name = match.group(1) or "str", match.group(2)
        if name == "team_slug":
            return team_slug
        return {"int": "999999", "id": "999999", "uuid": str(uuid.uuid4())}.get(conv, "x")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_there_are_team_pages_to_check():
    assert len(team_patterns()) >= 3


@pytest.mark.parametrize("route,pattern", team_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_team_page_is_guarded(route, pattern):
    assert getattr(pattern.callback, "team_access", None) in {"member", "admin"}, route


@pytest.mark.django_db
@pytest.mark.parametrize("route,pattern", team_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_non_members_get_404_on_every_team_page(client, make_user, team, route, pattern):
    client.force_login(make_user("stranger@example.com"))
    url = _fill(route, team.slug)
    assert client.get(url).status_code == 404, url
    assert client.post(url).status_code == 404, url


def admin_team_patterns() -> list[tuple[str, URLPattern]]:
    return [(r, p) for r, p in team_patterns() if getattr(p.callback, "team_access", None) == "admin"]


@pytest.mark.django_db
@pytest.mark.parametrize("route,pattern", admin_team_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_members_are_refused_on_admin_pages(member_client, team, route, pattern):
    url = _fill(route, team.slug)
    assert member_client.post(url).status_code == 403, url


@pytest.mark.django_db
@pytest.mark.parametrize("route,pattern", team_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_anonymous_visitors_are_sent_to_log_in(client, team, route, pattern):
    response = client.get(_fill(route, team.slug))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_converters_used_in_team_routes_are_known():
    for _route, _p, convs in _walk(get_resolver().url_patterns):
        for conv in convs.values():
            assert conv.__class__.__name__ in {
                "SlugConverter",
                "StringConverter",
                "PathConverter",
                "IdConverter",
            } or isinstance(conv, IntConverter | UUIDConverter)


def id_team_patterns() -> list[tuple[str, URLPattern]]:
    return [(r, p) for r, p in team_patterns() if "<id:" in r or "<int:" in r]


@pytest.mark.django_db
@pytest.mark.parametrize("route,pattern", id_team_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_an_id_too_large_for_the_database_is_a_404_not_a_500(admin_client, team, route, pattern):
    url = _fill(route, team.slug).replace("999999", "9" * 30)
    assert admin_client.get(url).status_code == 404, url
    assert admin_client.post(url).status_code == 404, url
