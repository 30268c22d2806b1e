"""A small hand-made store 's1' (测试店) with figures worked out by hand in the tests.

Morning of 2026-03-11, so "yesterday" is 2026-03-10 and the month so far is March 1-10.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.helpers import insert
from warehouse.db import ensure_schema

TODAY = "2026-03-11"


def fill(con: duckdb.DuckDBPyConnection) -> None:
    """Insert the store's rows into a connection that has the schema."""
    walk = {"kind": "walk_in", "first_visit": True, "channel": "walk_in"}
    insert(con, "traffic", [
        # yesterday: two walk-ins (one with a test drive) and a call
        {"visit_id": "v1", "visit_date": "2026-03-10", **walk, "consultant": "张三",
         "customer_id": "c1", "lead_level": "H", "test_drive": True},
        {"visit_id": "v2", "visit_date": "2026-03-10", **walk, "consultant": "李四",
         "customer_id": "c2", "lead_level": "A", "test_drive": False},
        {"visit_id": "v3", "visit_date": "2026-03-10", "kind": "phone", "consultant": "张三",
         "customer_id": "c3", "lead_level": "B"},
        # earlier this month, not followed up since: overdue by 10 March
        {"visit_id": "v4", "visit_date": "2026-03-01", **walk, "consultant": "张三",
         "customer_id": "c4", "lead_level": "H", "test_drive": False},
        {"visit_id": "v5", "visit_date": "2026-03-02", **walk, "consultant": "李四",
         "customer_id": "c5", "lead_level": "A", "test_drive": False},
    ])  # fmt: skip
    sold = {"status": "delivered", "sale_type": "retail", "buyer_type": "individual",
            "model": "M1", "sale_price": 200000, "vehicle_cost": 190000, "finance": True,
            "insurance": True}  # fmt: skip
    insert(con, "orders", [
        {"order_id": "o1", "order_date": "2026-03-10", "delivery_date": "2026-03-10",
         "consultant": "张三", "customer_id": "c1", **sold},
        {"order_id": "o2", "order_date": "2026-03-03", "delivery_date": "2026-03-05",
         "consultant": "李四", "customer_id": "c6", **sold},
        {"order_id": "o3", "order_date": "2026-02-20", "delivery_date": "2026-03-10",
         "consultant": "李四", "customer_id": "c7", **sold},
    ])  # fmt: skip
    insert(con, "targets", [{"month": "2026-03", "metric": "deliveries", "target": 31}])
    insert(con, "vehicles", [
        {"vin": "VIN00000000000001", "model": "M1", "arrival_date": "2025-11-01",
         "cost": 100000},
        {"vin": "VIN00000000000002", "model": "M1", "arrival_date": "2026-03-01",
         "cost": 150000},
    ])  # fmt: skip
    insert(con, "repair_orders", [
        {"ro_id": "r1", "open_date": "2026-03-01", "ro_type": "repair", "vin": "V9",
         "labor_revenue": 0, "parts_revenue": 0, "parts_cost": 0},
        {"ro_id": "r2", "open_date": "2026-03-02", "close_date": "2026-03-03", "ro_type": "repair",
         "vin": "V8", "labor_revenue": 1000, "labor_cost": 300, "parts_revenue": 1000,
         "parts_cost": 600},
    ])  # fmt: skip
    con.execute("UPDATE stores SET name = '测试店' WHERE store = 's1'")


def build(path: Path) -> Path:
    """Write the small store to a database file and return its path."""
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        fill(con)
    finally:
        con.close()
    return path
