"""Computing KPIs both ways: from the summary tables and derived state (the default) and from
the rows (inside kpi.query.raw_rows()); issue 15 requires the same values."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from kpi import query
from kpi.scope import Scope


def assert_same(a: Any, b: Any, where: str = "") -> None:
    """Assert two KPI results are equal: ints exactly, floats to 1e-12 (sums' order differs)."""
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), where
        assert list(a.columns) == list(b.columns), where
        assert list(a.dtypes) == list(b.dtypes), where
        assert len(a) == len(b), where
        assert_same(a.to_dict("records"), b.to_dict("records"), where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float | np.floating) and not isinstance(a, bool):
        assert isinstance(b, float | np.floating), (where, a, b)
        if math.isnan(a):
            assert math.isnan(b), (where, a, b)
        else:
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9), (where, a, b)
    else:
        assert type(a) is type(b) and a == b, (where, a, b)


def period_scopes(today: date) -> dict[str, Scope]:
    """The periods every section's both-ways test covers, all stores, as of ``today``."""
    return {
        "complete month": Scope.for_month("2026-10", today=today),
        "running month": Scope.for_month("2026-11", today=today),
        "range across months": Scope.for_range(date(2026, 9, 16), date(2026, 10, 15), today),
        "last year's month": Scope.for_month("2025-11", today=today),
    }


def both_ways(
    path: Path,
    scopes: Callable[[duckdb.DuckDBPyConnection], dict[str, Scope]],
    calls: Callable[[Scope], dict[str, Callable[[duckdb.DuckDBPyConnection], Any]]],
) -> int:
    """Compute every call of every scope both ways on the database at ``path``; assert the
    results are the same; return how many results were compared."""
    n = 0
    with duckdb.connect(str(path), read_only=True) as con:
        for name, scope in scopes(con).items():
            for call, fn in calls(scope).items():
                summed = fn(con)
                with query.raw_rows():
                    raw = fn(con)
                assert_same(summed, raw, f"{name} {call}")
                n += 1
    assert n > 0
    return n


def assert_fresh(path: Path, tables: list) -> None:
    """Assert each derived table (warehouse.derived.Derived) equals its SELECT recomputed over
    every store: what the writers left is what the rows give now."""
    with duckdb.connect(str(path), read_only=True) as con:
        for d in tables:
            stored = con.execute(f"SELECT * FROM {d.name} ORDER BY ALL").fetchall()
            again = con.execute(f"SELECT * FROM ({d.select('true')}) ORDER BY ALL").fetchall()
            assert stored == again, d.name
