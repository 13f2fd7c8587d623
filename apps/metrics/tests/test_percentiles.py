"""The database's percentiles match the textbook continuous percentile, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models.functions import TruncWeek

from apps.metrics.models import PullRequest
from apps.metrics.selectors.percentiles import (
    grouped_percentiles,
    keyed_percentiles,
    keyed_rows_and_percentiles,
    percentiles,
    ranged_percentiles,
)
from apps.metrics.tests.factories import PullRequestFactory, TeamMemberFactory, at

pytestmark = pytest.mark.django_db


def reference(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def test_percentiles_interpolate_and_skip_missing_values(team):
    hours = [1.5, 40, 3.25, 8, 8, 120.75, 0.5]
    for h in hours:
        PullRequestFactory(team=team, cycle_time_seconds=round(h * 3600))
    PullRequestFactory(team=team, cycle_time_seconds=None)  # still open: not a zero

    result = percentiles(PullRequest.objects.for_team(team), value="cycle_time_seconds")

    assert result.count == len(hours)
    for p in (0.5, 0.75, 0.9):
        assert result[p] == pytest.approx(reference(hours, p) * 3600)


def test_percentiles_of_nothing_are_empty_not_zero(team):
    result = percentiles(PullRequest.objects.for_team(team), value="cycle_time_seconds")
    assert result.count == 0 and result.p50 is None and result.p90 is None


def test_grouped_percentiles_per_week(team):
    week_one = [2, 4, 6]
    week_two = [10]
    for h in week_one:
        PullRequestFactory(team=team, merged_at=at(1), cycle_time_seconds=h)
    for h in week_two:
        PullRequestFactory(team=team, merged_at=at(1) + timedelta(days=7), cycle_time_seconds=h)

    result = grouped_percentiles(
        PullRequest.objects.for_team(team), value="cycle_time_seconds", group=TruncWeek("merged_at"), ps=(0.5, 0.9)
    )

    weeks = sorted(result)
    assert [result[w].count for w in weeks] == [3, 1]
    assert result[weeks[0]].p50 == 4 and result[weeks[0]][0.9] == pytest.approx(5.6)
    assert result[weeks[1]].p50 == 10
    assert weeks[0].date() == at(0).date()


def test_ranged_percentiles_per_week_including_empty_weeks(team):
    """Each week's range of the merged index answers what a GROUP BY week answered, an empty week included."""
    for h in (2, 4, 6):
        PullRequestFactory(team=team, merged_at=at(1), cycle_time_seconds=h * 3600)
    PullRequestFactory(team=team, merged_at=at(1) + timedelta(days=14), cycle_time_seconds=10)
    PullRequestFactory(team=team, merged_at=at(1) + timedelta(days=14), cycle_time_seconds=None)  # no value: not a 0
    monday = at(1) - timedelta(days=at(1).weekday(), hours=at(1).hour, minutes=at(1).minute)
    weeks = [(monday + timedelta(weeks=n), monday + timedelta(weeks=n + 1)) for n in range(3)]

    result = ranged_percentiles(
        PullRequest.objects.for_team(team), value="cycle_time_seconds", column="merged_at", ranges=weeks, ps=(0.5, 0.9)
    )

    assert [r.count for r in result] == [3, 0, 1]
    assert result[0].p50 == 4 * 3600 and result[0][0.9] == pytest.approx(reference([2, 4, 6], 0.9) * 3600)
    assert result[1].p50 is None
    assert result[2].p50 == 10


def test_keyed_percentiles_equal_grouped_percentiles(team):
    """Per reviewer (a key known beforehand), the same medians as grouping the rows by reviewer, on either database."""
    first, second, absent = TeamMemberFactory(team=team), TeamMemberFactory(team=team), TeamMemberFactory(team=team)
    for author, hours in ((first, [1, 9, 3, 7]), (second, [5])):
        for h in hours:
            PullRequestFactory(team=team, author=author, cycle_time_seconds=h)
    prs = PullRequest.objects.for_team(team)
    keys = [first.pk, second.pk, absent.pk]

    keyed = keyed_percentiles(prs, value="cycle_time_seconds", column="author_id", keys=keys)
    grouped = grouped_percentiles(prs, value="cycle_time_seconds", group="author_id")

    assert {k: (v.count, v.values) for k, v in keyed.items() if v.count} == {
        k: (v.count, v.values) for k, v in grouped.items()
    }
    assert keyed[first.pk].p50 == 5 and keyed[absent.pk].count == 0 and keyed[absent.pk].p50 is None
    assert keyed_percentiles(prs, value="cycle_time_seconds", column="author_id", keys=[]) == {}


def test_keyed_rows_and_percentiles_count_every_row_and_take_percentiles_of_the_values(team):
    """Per key, how many rows it has (a value or not) and the percentiles of its values: a reviewer's reviews and
    the median of their first responses, from one read of their rows."""
    first, second, absent = TeamMemberFactory(team=team), TeamMemberFactory(team=team), TeamMemberFactory(team=team)
    for author, values in ((first, [1, None, 9, 3, None, 7]), (second, [None, None])):
        for v in values:
            PullRequestFactory(team=team, author=author, cycle_time_seconds=v)
    prs = PullRequest.objects.for_team(team)

    found = keyed_rows_and_percentiles(
        prs, value="cycle_time_seconds", column="author_id", keys=[first.pk, second.pk, absent.pk]
    )

    assert {key: (rows, stats.count, stats.p50) for key, (rows, stats) in found.items()} == {
        first.pk: (6, 4, 5),
        second.pk: (2, 0, None),
        absent.pk: (0, 0, None),
    }
    assert keyed_rows_and_percentiles(prs, value="cycle_time_seconds", column="author_id", keys=[]) == {}
