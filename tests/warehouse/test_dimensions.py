"""The sidebar filters' values stored with the data (warehouse.dimensions)."""

from __future__ import annotations

from datetime import date

from tests.helpers import insert, memory_db
from warehouse.dimensions import DIMENSIONS, options_sql


def options(con, name: str, store: str | None = None) -> list[str]:
    return [r[0] for r in con.execute(options_sql(name), {"store": store}).fetchall()]


def test_a_filter_offers_the_distinct_non_empty_values_of_its_columns_per_store():
    con = memory_db()
    d = date(2026, 11, 2)
    insert(con, "traffic", [
        {"visit_id": "V1", "visit_date": d, "kind": "walk_in", "consultant": "张伟",
         "model_interest": "Lavida", "channel": "walk_in"},
        {"visit_id": "V2", "visit_date": d, "kind": "walk_in", "consultant": "",
         "model_interest": "Tiguan", "channel": "wechat"},
        {"visit_id": "V3", "visit_date": d, "kind": "phone", "consultant": "李娜",
         "channel": "wechat", "store": "s2"},
    ])  # fmt: skip
    insert(con, "orders", [
        {"order_id": "O1", "order_date": d, "status": "open", "consultant": "张伟",
         "model": "Passat", "sale_type": "retail"},
    ])  # fmt: skip
    # consultants: 张伟 (traffic and orders of s1, once), 李娜 (s2); the empty one is none;
    # sorted by code point (张 U+5F20 before 李 U+674E)
    assert options(con, "consultant") == ["张伟", "李娜"]
    assert options(con, "consultant", "s1") == ["张伟"]
    assert options(con, "consultant", "s2") == ["李娜"]
    # models: traffic's model_interest and orders' model of s1
    assert options(con, "model", "s1") == ["Lavida", "Passat", "Tiguan"]
    assert options(con, "channel") == ["walk_in", "wechat"]
    assert options(con, "sale_type") == ["retail"]
    assert options(con, "advisor") == []


def test_the_stored_values_follow_an_update_and_a_delete():
    con = memory_db()
    d = date(2026, 11, 2)
    insert(con, "orders", [{"order_id": "O1", "order_date": d, "status": "open",
                            "consultant": "张伟"}])  # fmt: skip
    con.execute("UPDATE orders SET consultant = '王强'")
    from warehouse.derived import refresh

    refresh(con, tables={"orders"}, stores=["s1"])
    assert options(con, "consultant") == ["王强"]
    con.execute("DELETE FROM orders")
    refresh(con, tables={"orders"}, stores=["s1"])
    assert options(con, "consultant") == []


def test_every_filter_of_the_demo_offers_what_its_columns_hold(demo_db):
    import duckdb

    con = duckdb.connect(str(demo_db), read_only=True)
    for name, pairs in DIMENSIONS.items():
        for store in (None, "sh-pudong"):
            raw = sorted({
                r[0]
                for table, col in pairs
                for r in con.execute(
                    f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM {table} "
                    f"WHERE ($s::VARCHAR IS NULL OR store = $s) AND nullif({col}, '') IS NOT NULL",
                    {"s": store},
                ).fetchall()
            })  # fmt: skip
            assert options(con, name, store) == raw, (name, store)
            assert name == "department" or raw, name  # the demo has values for every filter
