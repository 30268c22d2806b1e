"""Finance from the summary tables (issue 15): the deliveries' gross comes from the delivered
orders' store-day summary (warehouse.summary_sales); every finance KPI is the same from the
rows (kpi.query.raw_rows()) on the demo and on a generated group."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from kpi import finance
from kpi.scope import Scope
from tests.both_ways import both_ways, period_scopes

END = date(2026, 11, 25)


def _calls(scope: Scope) -> dict[str, Any]:
    return {
        "summary": lambda con: finance.summary(con, scope),
        "summaries": lambda con: finance.summaries(con, scope),
        "by_store": lambda con: finance.by_store(con, scope, total=True),
        "by_region": lambda con: finance.by_store(con, scope, by="region", total=True),
        "monthly": lambda con: finance.monthly(con, scope),
        "gross_waterfall": lambda con: finance.gross_waterfall(con, scope),
        "expenses_by": lambda con: finance.expenses_by(con, scope),
    }


def _scopes(con: duckdb.DuckDBPyConnection) -> dict[str, Scope]:
    store = con.execute("SELECT min(store) FROM orders").fetchone()[0]
    return {
        **period_scopes(END),
        "one store": Scope.for_month("2026-11", today=END, store=store),
        "a consultant filter (ignored by finance)": Scope.for_month(
            "2026-10", today=END, store=store, consultant="nobody"
        ),
    }


def test_every_finance_kpi_is_the_same_both_ways_on_the_demo(demo_db):
    # 6 scopes x 7 calls
    assert both_ways(demo_db, _scopes, _calls) == 42


def test_every_finance_kpi_is_the_same_both_ways_on_a_group(group_db):
    assert both_ways(group_db, _scopes, _calls) == 42
