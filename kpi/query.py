"""Plumbing every KPI module shares: running a query with the parameters it names, reading
results as plain Python numbers, and the day weights that prorate monthly amounts.

pandas is imported only by the readers that return a DataFrame: the report command computes
its numbers without it (loading pandas costs a process more than some of its queries).
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import resources
from typing import TYPE_CHECKING, Any

import duckdb

from kpi.scope import Scope

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset()

if TYPE_CHECKING:
    import pandas as pd

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")

# The period's months with (days inside the period, days of the month): a monthly amount
# (target, campaign spend, expense) counts amount * inside / total (catalogue rules).
WEIGHTS_CTE = """weights AS (
    SELECT unnest($w_month) AS month, unnest($w_inside) AS inside, unnest($w_total) AS total
)"""


# Summary tables (warehouse.derived, names starting "summary_") keep the additive parts of KPIs
# per store and day, written with the data; a KPI reads them where no row-level filter applies.
# Inside raw_rows() every KPI reads the contract tables' rows instead: the tests compute each
# section both ways and require the same values.
_RAW_ROWS: ContextVar[bool] = ContextVar("raw_rows", default=False)


@contextmanager
def raw_rows() -> Iterator[None]:
    """Compute the KPIs of the block from the rows, not the summary tables (tests, audits)."""
    token = _RAW_ROWS.set(True)
    try:
        yield
    finally:
        _RAW_ROWS.reset(token)


def summaries_allowed(scope: Scope, filters: tuple[str, ...] = ()) -> bool:
    """Return True when a KPI may read summary tables: not inside raw_rows(), and none of
    the named scope filters (e.g. 'consultant', 'model') is set (summaries keep no such key)."""
    return not _RAW_ROWS.get() and all(getattr(scope, f) is None for f in filters)


def summaries_allowed_any() -> bool:
    """Return True outside raw_rows(): derived state that no filter restricts may be read."""
    return not _RAW_ROWS.get()


@functools.cache
def sql_file(name: str) -> str:
    """Return the text of the named query kpi/sql/<name>.sql (package data, read once).

    A module loads its queries when it is imported, into module constants: computing a KPI
    then opens no file (tests/kpi/test_audit.py).
    """
    return resources.files("kpi").joinpath("sql").joinpath(f"{name}.sql").read_text("utf-8")


def bind(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return only the parameters the statement names (DuckDB rejects unused ones)."""
    used = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in used}


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run a query with its bound parameters and return every row."""
    return con.execute(sql, bind(sql, params)).fetchall()


def records(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run a query with its bound parameters and return every row as {column: value}."""
    cur = con.execute(sql, bind(sql, params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run a query with its bound parameters and return its rows as a DataFrame."""
    return con.execute(sql, bind(sql, params)).df()


def plain(value: Any) -> Any:
    """Return a plain Python value: numpy scalars unwrapped, NULL, NA, NaT and NaN as None."""
    if value is None:
        return None
    # NA and NaT only exist once pandas is loaded; values from fetchall() are never them.
    pd = sys.modules.get("pandas")
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def prorate_params(scope: Scope) -> dict[str, Any]:
    """Return the scope's parameters plus its months and their day weights (WEIGHTS_CTE).

    The weights accrue to as_of: a running period's monthly amounts (expenses, campaign
    spend) count for the days from its start to as_of (catalogue, "A period still running").
    """
    weights = scope.known().month_days_in_period()
    p = dict(scope.params)
    p["w_month"] = list(weights)
    p["w_inside"] = [inside for inside, _ in weights.values()]
    p["w_total"] = [total for _, total in weights.values()]
    return p
