"""A cached KPI result keys on the versions of the tables it reads, for its store, only."""

from __future__ import annotations

from datetime import date

from kpi import inventory, report, sales
from kpi.scope import Scope
from tests.helpers import insert, memory_db
from ui import data
from warehouse import db
from warehouse.spec import TABLES


def test_each_write_records_its_tables_and_stores_at_the_new_version():
    con = memory_db()
    assert db.table_versions(con) == ()
    assert db.bump_data_version(con, tables={"traffic"}, stores=["s1", "s2"]) == 1
    assert db.bump_data_version(con, tables={"stores"}, stores=["s2"]) == 2
    assert db.table_versions(con) == (
        ("stores", "s2", 2),
        ("traffic", "s1", 1),
        ("traffic", "s2", 1),
    )
    db.bump_data_version(con)  # anything, every store: '*' for all 13 tables and the settings
    found = db.table_versions(con)
    assert len(found) == 3 + len(TABLES) + 1 == 3 + 14
    assert {(t, s) for t, s, v in found if v == 3} == {(t, "*") for t in [*TABLES, "stores"]}
    db.bump_data_version(con, tables={"traffic"}, stores=["s1"])  # replaces s1's traffic row
    assert ("traffic", "s1", 4) in db.table_versions(con)
    assert ("traffic", "s1", 1) not in db.table_versions(con)


def test_a_settings_only_write_refreshes_no_derived_table():
    con = memory_db()
    assert db.derived.refresh(con, tables={"stores"}, stores=["s1"]) == []


def test_reads_are_what_each_module_declares():
    # kpi.inventory queries vehicles (through v_vehicles, which reads orders) and the settings.
    assert data.reads(inventory) == {"orders", "stores", "vehicles"}
    # kpi.sales reads traffic, orders, the backlog's vehicles and the settings, never the
    # after-sales tables (tests/kpi/test_reads.py checks each declaration against the SQL).
    assert {"traffic", "orders"} <= data.reads(sales)
    assert not {"repair_orders", "followups", "technicians"} & data.reads(sales)
    # kpi.report loads its sections by name at run time: it declares every table.
    assert data.reads(report) == {*TABLES, "stores"}


SOURCE = data.Source(
    "x.duckdb",
    "ok",
    version=9,
    tables=(
        ("orders", "*", 2),  # a group-wide load
        ("traffic", "s1", 3),  # a walk-in logged at s1
        ("vehicles", "s2", 7),  # s2's stock export
        ("repair_orders", "s2", 9),
    ),
)


def test_the_key_holds_the_newest_version_of_each_table_read_for_the_store():
    # inventory reads orders, stores, vehicles: s1 saw orders change at 2 ('*'), nothing else
    assert data.version_key(inventory, "s1", SOURCE) == (("orders", 2),)
    assert data.version_key(inventory, "s2", SOURCE) == (("orders", 2), ("vehicles", 7))
    # pooled over every store: the newest change of each table anywhere
    assert data.version_key(inventory, None, SOURCE) == (("orders", 2), ("vehicles", 7))
    # the report reads every table: s1's orders and traffic
    assert data.version_key(report, "s1", SOURCE) == (("orders", 2), ("traffic", 3))


def test_a_walk_in_at_one_store_leaves_other_results_cached():
    after = data.Source(
        SOURCE.path, "ok", version=10, tables=(*SOURCE.tables[:1], ("traffic", "s1", 10),
                                               *SOURCE.tables[2:]),
    )  # fmt: skip
    for module, store in ((inventory, "s1"), (inventory, None), (sales, "s2")):
        assert data.version_key(module, store, after) == data.version_key(module, store, SOURCE)
    for module, store in ((sales, "s1"), (sales, None)):
        assert data.version_key(module, store, after) != data.version_key(module, store, SOURCE)


def test_probe_reads_the_table_versions(tmp_path):
    path = tmp_path / "v.duckdb"
    with db.connect(path) as con:
        insert(con, "traffic", [{"visit_id": "T1", "visit_date": date(2026, 11, 2),
                                 "kind": "walk_in", "consultant": "c1"}])  # fmt: skip
        db.bump_data_version(con, tables={"traffic"}, stores=["s1"])
    src = data.probe(str(path))
    assert (src.state, src.version, src.tables) == ("ok", 1, (("traffic", "s1", 1),))
    scope = Scope.for_month("2026-11", today=date(2026, 11, 25))
    assert data.version_key(sales, scope.store, src) == (("traffic", 1),)
