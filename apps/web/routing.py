"""Team URL wiring: every app's team pages hang under ``/a/<team_slug>/``."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from django.urls import include, path
from django.urls.resolvers import URLPattern, URLResolver

TEAM_PREFIX = "a/<slug:team_slug>/"


def app_urls(module: ModuleType) -> tuple[Sequence[URLPattern | URLResolver], str | None, str | None]:
    """Include an app's global ``urlpatterns`` and its ``team_urlpatterns`` (under the team prefix) in one
    namespace, so ``reverse("teams:members", kwargs={"team_slug": ...})`` works like any other name."""
    patterns: list[URLPattern | URLResolver] = list(getattr(module, "urlpatterns", []))
    team_patterns = getattr(module, "team_urlpatterns", [])
    if team_patterns:
        patterns.append(path(TEAM_PREFIX, include(team_patterns)))
    return include((patterns, module.app_name))


class IdConverter:
    """A database id in a URL: digits that fit PostgreSQL's bigint. A longer number is no match (404), never an
    integer the database refuses (which would be a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
