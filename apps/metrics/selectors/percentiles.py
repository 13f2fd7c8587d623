"""Percentiles computed by the database, one statement per call, optionally per group.

PostgreSQL has ``percentile_cont(p) WITHIN GROUP (ORDER BY …)``. SQLite has no percentile function, so the
same continuous percentile (linear interpolation between the two nearest ranks, as PostgreSQL does) is built
from window functions over the compiled queryset: ``ROW_NUMBER()`` and ``COUNT(*)`` per group, then the rows
at the two ranks around ``(n - 1) * p``. Rows whose value is NULL are left out rather than counted as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import Aggregate, Case, Count, Expression, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

DEFAULT_PS = (0.5, 0.75, 0.9)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate; ``percentile`` is a constant of our code, never user input."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, percentile: float, **extra: Any) -> None:
        super().__init__(expression, percentile=float(percentile), **extra)


@dataclass(frozen=True, slots=True)
class Percentiles:
    """How many values there were and the requested percentiles of them (None when there were none)."""

    count: int
    values: dict[float, float | None]

    def __getitem__(self, p: float) -> float | None:
        return self.values[p]  # a KeyError lets templates fall back to the attributes below

    @property
    def p50(self) -> float | None:
        return self.values.get(0.5)

    @property
    def p75(self) -> float | None:
        return self.values.get(0.75)

    @property
    def p90(self) -> float | None:
        return self.values.get(0.9)


def _label(p: float) -> str:
    return f"p{round(p * 1000)}"


def percentiles(queryset: QuerySet[Any], *, value: str | Expression, ps: Sequence[float] = DEFAULT_PS) -> Percentiles:
    """Percentiles of ``value`` over the whole queryset."""
    grouped = grouped_percentiles(queryset, value=value, group=Value(0), ps=ps)
    return grouped.get(0, Percentiles(count=0, values=dict.fromkeys(ps)))


def aggregate_with_percentiles(
    queryset: QuerySet[Any],
    *,
    aggregates: dict[str, Aggregate],
    values: dict[str, tuple[str | Expression, Sequence[float]]],
) -> tuple[dict[str, Any], dict[str, Percentiles]]:
    """Plain aggregates and the percentiles of several values over one queryset.

    PostgreSQL answers everything in one statement (``percentile_cont`` and ``count`` skip NULLs by themselves);
    SQLite needs one windowed statement per value on top of the plain aggregate.
    """
    if connections[queryset.db].vendor != "postgresql":
        totals = queryset.aggregate(**aggregates)
        return totals, {name: percentiles(queryset, value=expr, ps=ps) for name, (expr, ps) in values.items()}
    extra: dict[str, Aggregate] = {}
    for name, (expr, ps) in values.items():
        as_float = Cast(F(expr) if isinstance(expr, str) else expr, FloatField())
        extra[f"{name}__n"] = Count(as_float)
        extra |= {f"{name}__{_label(p)}": PercentileCont(as_float, p) for p in ps}
    # One row of aggregates over the whole queryset, grouped by a constant (no GROUP BY at all): ``aggregate()``
    # would first rewrite each aggregate's expression tree against the others (a walk that hashes every node), work
    # this single row does not need, on the dashboard's two largest statements.
    (row,) = queryset.order_by().values(one=Value(0)).annotate(**aggregates, **extra)
    found = {
        name: Percentiles(count=row[f"{name}__n"], values={p: row[f"{name}__{_label(p)}"] for p in ps})
        for name, (_expr, ps) in values.items()
    }
    return {key: row[key] for key in aggregates}, found


def grouped_percentiles(
    queryset: QuerySet[Any], *, value: str | Expression, group: str | Expression, ps: Sequence[float] = DEFAULT_PS
) -> dict[Any, Percentiles]:
    """Percentiles of ``value`` for each value of ``group`` (a field name or an expression such as a week)."""
    value_expr = F(value) if isinstance(value, str) else value
    group_expr = F(group) if isinstance(group, str) else group
    rows = queryset.order_by().annotate(pct_value=Cast(value_expr, FloatField()), pct_group=group_expr)
    rows = rows.filter(pct_value__isnull=False)
    if connections[queryset.db].vendor == "postgresql":
        aggregates: dict[str, Aggregate] = {_label(p): PercentileCont("pct_value", p) for p in ps}
        result = rows.values("pct_group").annotate(pct_n=Count("pct_value"), **aggregates)
        return {r["pct_group"]: Percentiles(r["pct_n"], {p: r[_label(p)] for p in ps}) for r in result}
    return _window_percentiles(rows.values("pct_group", "pct_value"), ps)


# One index range and one small sort per slice (a week, a reviewer), where a GROUP BY of the period sorts all its
# rows by the group and then each group again. Only our own constants are formatted in; the inner query and the
# slices' bounds or keys are parameters.
LATERAL_SQL = """
SELECT r.i, s.rows, s.n, {columns}
FROM unnest({arrays}) WITH ORDINALITY AS r({names}, i)
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS rows, COUNT(t.v) AS n, {aggregates}
    FROM ({inner}) AS t (v, c)
    WHERE {condition}
) AS s
"""


def ranged_percentiles(
    queryset: QuerySet[Any],
    *,
    value: str,
    column: str,
    ranges: Sequence[tuple[datetime, datetime]],
    ps: Sequence[float] = DEFAULT_PS,
) -> list[Percentiles]:
    """Percentiles of ``value`` for the rows whose ``column`` falls in each ``[lo, hi)`` of ``ranges``, in order.

    A week's median of a year's merges: on PostgreSQL each range is read as its own range of the index on
    ``column`` (a ``LATERAL`` subquery per range) and only its rows are sorted, so a year costs 53 sorts of a
    week's PRs instead of a sort of the year's PRs by week followed by each week's sort. Ranges are computed by
    the caller (a week's bounds in the team's time zone), the same bounds a week's PR list reads.
    """
    rows = queryset.order_by().filter(**{f"{value}__isnull": False})
    if connections[queryset.db].vendor != "postgresql":
        whens = [
            When(Q(**{f"{column}__gte": lo, f"{column}__lt": hi}), then=Value(i)) for i, (lo, hi) in enumerate(ranges)
        ]
        found = grouped_percentiles(rows, value=value, group=Case(*whens, output_field=IntegerField()), ps=ps)
        return [found.get(i, Percentiles(0, dict.fromkeys(ps))) for i in range(len(ranges))]
    slices = ("%s::timestamptz[], %s::timestamptz[]", "lo, hi", "t.c >= r.lo AND t.c < r.hi")
    arrays = [[lo for lo, _ in ranges], [hi for _, hi in ranges]]
    return [found for _rows, found in _lateral_percentiles(rows, value, column, slices, arrays, ps)]


def keyed_percentiles(
    queryset: QuerySet[Any], *, value: str, column: str, keys: Sequence[int], ps: Sequence[float] = DEFAULT_PS
) -> dict[int, Percentiles]:
    """Percentiles of ``value`` for each of ``keys`` (ids in ``column``): what ``grouped_percentiles`` answers
    for a group column, with the groups known beforehand (a team's reviewers).

    On PostgreSQL each key is its own range of an index that starts with (team, ``column``), and only its rows are
    sorted, instead of sorting the period's rows by the group first.
    """
    if not keys:
        return {}
    rows = queryset.order_by().filter(**{f"{value}__isnull": False})
    if connections[queryset.db].vendor != "postgresql":
        found = grouped_percentiles(rows.filter(**{f"{column}__in": keys}), value=value, group=column, ps=ps)
        return {key: found.get(key, Percentiles(0, dict.fromkeys(ps))) for key in keys}
    return {key: found for key, (_rows, found) in _keyed(rows, value, column, keys, ps).items()}


def keyed_rows_and_percentiles(
    queryset: QuerySet[Any], *, value: str, column: str, keys: Sequence[int], ps: Sequence[float] = DEFAULT_PS
) -> dict[int, tuple[int, Percentiles]]:
    """For each of ``keys``: how many rows it has, a ``value`` or not, and the percentiles of its values.

    A reviewer's reviews and the median of their first responses (set on some of them): on PostgreSQL one
    statement reads each key's rows once, where a count and ``keyed_percentiles`` would read them twice (the count
    hashing the period's rows by key). SQLite counts in a statement of its own.
    """
    if not keys:
        return {}
    rows = queryset.order_by()
    if connections[queryset.db].vendor != "postgresql":
        counted = dict(
            rows.filter(**{f"{column}__in": keys}).values(column).annotate(n=Count("*")).values_list(column, "n")
        )
        found = keyed_percentiles(rows, value=value, column=column, keys=keys, ps=ps)
        return {key: (counted.get(key, 0), found[key]) for key in keys}
    return _keyed(rows, value, column, keys, ps)


def _keyed(
    rows: QuerySet[Any], value: str, column: str, keys: Sequence[int], ps: Sequence[float]
) -> dict[int, tuple[int, Percentiles]]:
    found = _lateral_percentiles(rows, value, column, ("%s::bigint[]", "k", "t.c = r.k"), [list(keys)], ps)
    return dict(zip(keys, found, strict=True))


def _lateral_percentiles(
    rows: QuerySet[Any],
    value: str,
    column: str,
    slices: tuple[str, str, str],
    arrays: list[list[Any]],
    ps: Sequence[float],
) -> list[tuple[int, Percentiles]]:
    """Rows and percentiles per slice of ``rows``: ``slices`` is (the arrays' SQL types, their names, the condition
    a row of a slice meets), ``arrays`` one list per name, a slice per position."""
    types, names, condition = slices
    inner_sql, params = rows.values_list(Cast(F(value), FloatField()), F(column)).query.sql_with_params()
    sql = LATERAL_SQL.format(
        arrays=types,
        names=names,
        condition=condition,
        columns=", ".join(f"s.{_label(p)}" for p in ps),
        aggregates=", ".join(f"percentile_cont({float(p)!r}) WITHIN GROUP (ORDER BY t.v) AS {_label(p)}" for p in ps),
        inner=inner_sql,
    )
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, [*arrays, *params])
        fetched = {row[0]: row[1:] for row in cursor.fetchall()}
    return [
        (fetched[i][0], Percentiles(count=fetched[i][1], values=dict(zip(ps, fetched[i][2:], strict=True))))
        for i in range(1, len(arrays[0]) + 1)
    ]


def _window_percentiles(rows: QuerySet[Any], ps: Sequence[float]) -> dict[Any, Percentiles]:
    inner_sql, params = rows.query.sql_with_params()
    columns = []
    for p in ps:
        position = f"((w.n - 1) * {float(p)!r})"
        low = f"CAST({position} AS INTEGER)"
        at_low = f"MAX(CASE WHEN w.rn = {low} THEN w.v END)"
        at_high = f"COALESCE(MAX(CASE WHEN w.rn = {low} + 1 THEN w.v END), {at_low})"
        columns.append(f"{at_low} + ({position} - {low}) * ({at_high} - {at_low}) AS {_label(p)}")
    # Only our own constants are formatted in; the inner query keeps its parameters.
    sql = (
        f"SELECT w.g, MAX(w.n), {', '.join(columns)} FROM ("  # noqa: S608
        f'SELECT t."pct_group" AS g, t."pct_value" AS v, '
        f'ROW_NUMBER() OVER (PARTITION BY t."pct_group" ORDER BY t."pct_value") - 1 AS rn, '
        f'COUNT(*) OVER (PARTITION BY t."pct_group") AS n FROM ({inner_sql}) t'
        f") w GROUP BY w.g"
    )
    connection = connections[rows.db]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    converters = _group_converter(rows, connection)
    return {
        converters(row[0]): Percentiles(count=row[1], values=dict(zip(ps, row[2:], strict=True))) for row in fetched
    }


def _group_converter(rows: QuerySet[Any], connection: Any) -> Any:
    """Raw SQL skips Django's converters; apply them as the compiler would (SQLite returns dates as text)."""
    expression = rows.query.annotations["pct_group"]
    converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return convert
