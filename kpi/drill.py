"""The records behind a KPI: the rows it counts or sums, for a scope (issue 17, drill-down).

`parts(kpi_id)` says which drill-downs a KPI offers, `records(...)` returns the rows and
`measure(kpi_id, part)` names the column whose sum is the value (None: the row count).
`applies(kpi_id, filter_name)` says whether a scope filter restricts a KPI at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpi.scope import Scope

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

PARTS = ("value", "numerator", "denominator")
BY = ("consultant", "model", "channel", "advisor", "technician", "ro_type", "store", "month",
      "reason", "level")


def parts(kpi_id: str) -> tuple[str, ...]:
    """Return the drill-downs a KPI offers: ("value",), ("numerator", "denominator") or ()."""
    raise NotImplementedError


def records(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    kpi_id: str,
    part: str = "value",
    key: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Return the rows behind a KPI's value (or its numerator / denominator) for the scope."""
    raise NotImplementedError


def measure(kpi_id: str, part: str = "value") -> str | None:
    """Return the column of records() whose sum is the value, None when it is the row count."""
    raise NotImplementedError


def applies(kpi_id: str, filter_name: str) -> bool:
    """Return True when the scope filter `filter_name` restricts the KPI."""
    raise NotImplementedError
