"""Each KPI module declares the tables it reads (READS); ui.data keys its cache on them.

A result is recomputed when a table in its module's READS changes for its store, so a table
missing from the list would show stale numbers. This test reads each module's SQL (the table
after every FROM and JOIN, the tables behind views and derived state, the stores table
behind brand/region grouping) and the kpi modules it imports, and checks the declaration
holds them all.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import kpi
from kpi import query
from warehouse import db, derived
from warehouse.spec import TABLES

BEHIND = dict(db.VIEW_SOURCES) | {d.name: d.sources for d in derived.DERIVED}
KNOWN = {*TABLES, db.SETTINGS}
MODULES = sorted(m.name for m in pkgutil.iter_modules(kpi.__path__) if m.name != "__main__")
# Imports of constants and date helpers only (no query runs through them).
HELPERS_ONLY = {("service", "inventory"), ("finance", "inventory")}


def _named_tables(text: str) -> set[str]:
    found: set[str] = set()
    for name in re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", text):
        if name in KNOWN:
            found.add(name)
        found |= BEHIND.get(name, set())
    if re.search(r"\bgroup_key\(|\bgroups\(", text):
        found.add("stores")  # a brand or region breakdown reads the store settings
    return found


def _module_sql(text: str) -> str:
    """Return a module's source followed by the named queries it loads (kpi/sql/<name>.sql)."""
    names = re.findall(r"\bsql_file\(\"([a-z_]+)\"\)", text)
    return "\n".join([text, *(query.sql_file(n) for n in names)])


def _kpi_imports(text: str) -> set[str]:
    """Return the kpi modules a source imports, at the top or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module == "kpi":
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kpi."):
            out.add(node.module.split(".")[1])
    return out & set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_a_module_declares_every_table_it_reads(name):
    module = importlib.import_module(f"kpi.{name}")
    text = Path(module.__file__).read_text(encoding="utf-8")
    reads = module.READS
    assert reads <= KNOWN, reads - KNOWN
    if name != "scope":  # its groups() reads the stores for the caller, whose READS has them
        named = _named_tables(_module_sql(text))
        assert named <= reads, (name, named - reads)
    for other in _kpi_imports(text) - {b for a, b in HELPERS_ONLY if a == name}:
        extra = importlib.import_module(f"kpi.{other}").READS - reads
        assert not extra, f"kpi.{name} calls kpi.{other}, which reads {sorted(extra)}"


def test_the_scan_sees_the_sql():
    assert _named_tables("SELECT 1 FROM traffic t JOIN v_vehicles v ON true") == {
        "traffic", "vehicles", "orders",
    }  # fmt: skip
    assert _named_tables("FROM derived_lead_months d") == {"traffic", "followups"}
    assert kpi.sales.READS >= {"traffic", "orders"}
    inventory = Path(kpi.inventory.__file__).read_text(encoding="utf-8")
    assert "FROM v_vehicles" in _module_sql(inventory)  # the query in kpi/sql/
