"""Plumbing every KPI module shares: running a query with the parameters it names, reading
results as plain Python numbers, and the day weights that prorate monthly amounts.
"""

from __future__ import annotations

import math
import re
from typing import Any

import duckdb
import pandas as pd

from kpi.scope import Scope

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")

# The period's months with (days inside the period, days of the month): a monthly amount
# (target, campaign spend, expense) counts amount * inside / total (catalogue rules).
WEIGHTS_CTE = """weights AS (
    SELECT unnest($w_month) AS month, unnest($w_inside) AS inside, unnest($w_total) AS total
)"""


def bind(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return only the parameters the statement names (DuckDB rejects unused ones)."""
    used = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in used}


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run a query with its bound parameters and return every row."""
    return con.execute(sql, bind(sql, params)).fetchall()


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run a query with its bound parameters and return its rows as a DataFrame."""
    return con.execute(sql, bind(sql, params)).df()


def plain(value: Any) -> Any:
    """Return a plain Python value: numpy scalars unwrapped, NULL, NA, NaT and NaN as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def prorate_params(scope: Scope) -> dict[str, Any]:
    """Return the scope's parameters plus its months and their day weights (WEIGHTS_CTE)."""
    weights = scope.month_days_in_period()
    p = dict(scope.params)
    p["w_month"] = list(weights)
    p["w_inside"] = [inside for inside, _ in weights.values()]
    p["w_total"] = [total for _, total in weights.values()]
    return p
