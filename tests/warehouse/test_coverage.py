"""Rows per store and month of every table, kept with the data (warehouse.coverage)."""

from __future__ import annotations

from datetime import date

import duckdb

from tests.helpers import insert, memory_db
from warehouse.coverage import month_sql, union_sql
from warehouse.spec import DATE_COLUMNS


def rows(con, where: str = "true") -> list[tuple]:
    return con.execute(f"SELECT * FROM ({union_sql()}) WHERE {where} ORDER BY ALL").fetchall()


def test_rows_are_counted_per_store_and_month_with_the_newest_date():
    con = memory_db()
    insert(con, "orders", [
        {"order_id": "O1", "order_date": date(2026, 10, 30), "status": "open"},
        {"order_id": "O2", "order_date": date(2026, 11, 2), "status": "open"},
        {"order_id": "O3", "order_date": date(2026, 11, 9), "status": "open"},
        {"order_id": "O4", "order_date": date(2026, 11, 3), "status": "open", "store": "s2"},
    ])  # fmt: skip
    insert(con, "expenses", [{"month": "2026-11", "department": "sales", "category": "rent",
                              "amount": 1.0, "fixed": True}])  # fmt: skip
    # s1: October 1 row (newest 10-30), November 2 rows (newest 11-09); s2: November 1 row
    assert rows(con, "table_name = 'orders'") == [
        ("orders", "s1", "2026-10", 1, "2026-10-30"),
        ("orders", "s1", "2026-11", 2, "2026-11-09"),
        ("orders", "s2", "2026-11", 1, "2026-11-03"),
    ]
    # a month table keeps its month as it is, and as its newest
    assert rows(con, "table_name = 'expenses'") == [("expenses", "s1", "2026-11", 1, "2026-11")]
    con.execute("DELETE FROM orders WHERE order_id = 'O1'")
    from warehouse.derived import refresh

    refresh(con, tables={"orders"}, stores=["s1"])
    assert [r[2] for r in rows(con, "table_name = 'orders' AND store = 's1'")] == ["2026-11"]


def test_the_demo_coverage_is_what_its_tables_hold(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    for table, col in DATE_COLUMNS.items():
        raw = con.execute(
            f"SELECT '{table}', store, {month_sql(table, table)} AS month, count(*), "
            f"CAST(max({col}) AS VARCHAR) FROM {table} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        assert rows(con, f"table_name = '{table}'") == raw, table
        assert raw or table == "rebate_programs", table  # the demo fills every table
