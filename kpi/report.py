"""The KPI report: every implemented KPI for one period and store, as a dict or CSV text.

The command line (`python -m kpi report`) lives in kpi/__main__.py, the one module of kpi/
that touches files.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from importlib import import_module
from typing import Any

import duckdb

from kpi.scope import Scope
from warehouse.spec import TABLES

# The tables this module reads (ui.data caches its results on their versions): every
# section's, so any write refreshes it.
READS: frozenset[str] = frozenset(TABLES) | {"stores"}

# Section modules in catalogue order; each has summary(con, scope) and optionally tables(),
# and optionally report(con, scope): both at once, from passes they share.
SECTIONS = (
    "sales", "targets", "programs", "inventory", "service", "marketing", "customers", "finance",
)  # fmt: skip


def _clean(value: Any) -> Any:
    """Return a JSON-safe value: numpy scalars unwrapped, NaN/inf as None, nested dicts cleaned."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def compute_kpis(
    con: duckdb.DuckDBPyConnection, scope: Scope, sections: tuple[str, ...] = SECTIONS
) -> dict[str, Any]:
    """Return every implemented KPI of the sections: scalars, then table KPIs as nested dicts."""
    kpis: dict[str, Any] = {}
    for name in sections:
        module = import_module(f"kpi.{name}")
        if hasattr(module, "report"):
            kpis.update(module.report(con, scope))
            continue
        kpis.update(module.summary(con, scope))
        if hasattr(module, "tables"):
            kpis.update(module.tables(con, scope))
    return _clean(kpis)


def build_report(
    con: duckdb.DuckDBPyConnection, scope: Scope, sections: tuple[str, ...] = SECTIONS
) -> dict[str, Any]:
    """Return the report document: period, as_of, store and the KPI values (every section)."""
    return {
        "period": {"start": scope.start.isoformat(), "end": scope.end.isoformat()},
        "as_of": scope.as_of.isoformat(),
        "store": scope.store,
        "kpis": compute_kpis(con, scope, sections),
    }


def flatten(kpis: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Return (id, value) rows; nested table KPIs become `id.key` rows."""
    rows: list[tuple[str, Any]] = []
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


def to_csv(report: dict[str, Any]) -> str:
    """Return the report as CSV: one row per KPI (`id`, `value`), empty for no value."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "value"])
    for key, value in flatten(report["kpis"]):
        writer.writerow(
            [key, "" if value is None else repr(value) if isinstance(value, float) else value]
        )
    return buf.getvalue()
