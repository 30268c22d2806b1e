"""The sales section's summary tables (issue 15): the same KPIs as from the rows, kept current.

(a) every KPI of kpi.sales computed both ways (the summary tables by default, the rows inside
query.raw_rows()) on the demo and on a generated group; (b) each summary table equals its
SELECT recomputed from scratch after imports, upserts, an undo and live entries; (c) a small
hand-computed case.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from app import uploads
from kpi import query, sales
from kpi.scope import Scope
from tests.both_ways import assert_same, both_ways, period_scopes
from tests.helpers import copy_db, insert, memory_db
from warehouse import derived, live, summary_sales
from warehouse.auth import User
from warehouse.db import connect
from warehouse.importer import import_files

END = date(2026, 11, 25)
BOSS = User("boss", "Boss", "manager")
STAFF = User("amy", "Amy Zhou", "staff")
SUMMARY_NAMES = [s.name for s in summary_sales.SUMMARIES] + [
    summary_sales.COHORTS_NAME,
    summary_sales.CONSULTANT_DAYS_NAME,
]


# ------------------------------------------------------------------ comparing both ways


def _calls(scope: Scope) -> dict[str, Any]:
    """Return every public KPI function of kpi.sales with its argument variants."""
    return {
        "summary": lambda con: sales.summary(con, scope),
        "summaries": lambda con: sales.summaries(con, scope),
        "summaries_light": lambda con: sales.summaries(con, scope, cohorts=False),
        "by_store": lambda con: sales.by_store(con, scope, total=True),
        "by_store_light": lambda con: sales.by_store(con, scope, cohorts=False),
        "by_brand": lambda con: sales.by_store(con, scope, by="brand", total=True),
        "by_region": lambda con: sales.by_store(con, scope, by="region", cohorts=False),
        "monthly": lambda con: sales.monthly(con, scope),
        "monthly_light": lambda con: sales.monthly(con, scope, cohorts=False),
        "daily": lambda con: sales.daily(con, scope),
        "funnel": lambda con: sales.funnel(con, scope),
        "report": lambda con: sales.report(con, scope),
        "counts_by": lambda con: sales.counts_by(con, scope, "store"),
        "counts_by_consultant": lambda con: sales.counts_by(con, scope, "consultant"),
        "by_consultant": lambda con: sales.by_consultant(con, scope),
        "by_model": lambda con: sales.by_model(con, scope),
        "by_channel": lambda con: sales.by_channel(con, scope),
        "traffic_counts": lambda con: sales._traffic_counts(con, scope),
        "order_counts": lambda con: sales._order_counts(con, scope),
    }


def _scopes(con: duckdb.DuckDBPyConnection) -> dict[str, Scope]:
    store, consultant = con.execute(
        "SELECT store, consultant FROM orders WHERE status = 'delivered' "
        "ORDER BY store, consultant LIMIT 1"
    ).fetchone()
    october = Scope.for_month("2026-10", today=END)
    return {
        **period_scopes(END),
        "one store": Scope.for_month("2026-11", today=END, store=store),
        "consultant (raw)": october.with_filters(store=store, consultant=consultant),
        "sale type (orders raw)": october.with_filters(sale_type="fleet"),
        "buyer type (raw)": october.with_filters(buyer_type="corporate"),
    }


def _both_ways(path: Path) -> None:
    both_ways(path, _scopes, _calls)


def test_every_sales_kpi_is_the_same_from_the_summaries_and_the_rows_on_the_demo(demo_db):
    _both_ways(demo_db)


def test_every_sales_kpi_is_the_same_from_the_summaries_and_the_rows_on_a_group(group_db):
    _both_ways(group_db)


def test_consultant_ranking_is_the_same_both_ways_on_the_demo(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        scope = Scope.for_month("2026-11", today=END)
        summed = sales.consultant_ranking(con, scope, months=3)
        with query.raw_rows():
            assert_same(summed, sales.consultant_ranking(con, scope, months=3))


# ------------------------------------------------------------------ kept current


def _fresh(con: duckdb.DuckDBPyConnection) -> None:
    """Assert every sales summary table equals its SELECT recomputed from every row."""
    for d in derived.DERIVED:
        if d.name not in SUMMARY_NAMES:
            continue
        kept = con.execute(f"SELECT * FROM {d.name} ORDER BY ALL").fetchall()
        recomputed = con.execute(f"SELECT * FROM ({d.select('true')}) ORDER BY ALL").fetchall()
        assert_same(kept, recomputed, d.name)


TRAFFIC_HEADER = (
    "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
    "model_interest,test_drive"
)
ORDERS_HEADER = (
    "order_id,order_date,delivery_date,status,customer_id,consultant,model,sale_type,"
    "buyer_type,channel,sale_price,vehicle_cost,rebate,finance,insurance,fi_income,trade_in,"
    "accessories_revenue,accessories_cost"
)


def _csv(header: str, *rows: str) -> tuple[str, bytes]:
    return "file.csv", ("\n".join([header, *rows]) + "\n").encode()


def _import(path: Path, table: str, store: str, *rows: str) -> int:
    header = TRAFFIC_HEADER if table == "traffic" else ORDERS_HEADER
    report = import_files(path, table, [_csv(header, *rows)], store=store, user="boss")
    assert report.committed
    return report.import_ids[-1]


@pytest.mark.slow  # four kinds of write on a file database: the full gate
def test_imports_upserts_an_undo_and_live_entries_keep_the_summaries_current(tmp_path):
    path = tmp_path / "store.duckdb"
    for store in ("s1", "s2"):
        _import(path, "traffic", store,
                "T1,2026-09-02,walk_in,1,autohome,Li,c1,A,X5,1",
                "T2,2026-09-02,phone,1,outdoor_event,Li,c2,B,X3,0",
                "T3,2026-09-03,walk_in,0,showroom_event,Wu,c1,A,X5,0")  # fmt: skip
        _import(path, "orders", store,
                "O1,2026-09-05,2026-09-20,delivered,c1,Li,X5,retail,private,autohome,"
                "200000,185000,1000,1,1,1500,0,3000,1200",
                "O2,2026-09-06,,open,c2,Wu,X3,fleet,corporate,wechat,150000,140000,0,0,0,0,0,0,0",
                "O3,2026-09-07,,cancelled,c3,Wu,X3,retail,private,wechat,1,1,0,0,0,0,0,0,0",
                )  # fmt: skip
    with connect(path) as con:
        _fresh(con)
    # A new month for s1 only, then an upsert that moves O2 to a delivery in October and
    # cancels O1 (rows leave one day and land on another).
    _import(path, "traffic", "s1", "T4,2026-10-01,walk_in,1,autohome,Li,c4,H,X5,1")
    _import(path, "orders", "s1",
            "O4,2026-10-02,,open,c4,Li,X5,retail,private,autohome,0,0,0,0,0,0,0,0,0")  # fmt: skip
    with connect(path) as con:
        _fresh(con)
    upsert = _import(path, "orders", "s1",
                     "O1,2026-09-05,,cancelled,c1,Li,X5,retail,private,autohome,"
                     "200000,185000,1000,1,1,1500,0,3000,1200",
                     "O2,2026-09-06,2026-10-09,delivered,c2,Wu,X3,fleet,corporate,wechat,"
                     "150000,140000,0,0,0,0,0,0,0")  # fmt: skip
    with connect(path) as con:
        _fresh(con)
        assert con.execute(
            "SELECT delivery_date, deliveries, fleet FROM summary_sales_delivered "
            "WHERE store = 's1' ORDER BY 1"
        ).fetchall() == [(date(2026, 10, 9), 1, 1)]  # O1 no longer delivered on 09-20
        uploads.undo_import(con, BOSS, upsert)
        _fresh(con)
        # O1 delivered again on 09-20, O2 open again
        assert con.execute(
            "SELECT delivery_date, deliveries FROM summary_sales_delivered "
            "WHERE store = 's1' ORDER BY 1"
        ).fetchall() == [(date(2026, 9, 20), 1)]
        visit = live.log_visit(con, "s2", STAFF, visit_date=date(2026, 10, 3), consultant="Li",
                               channel="autohome", first_visit=True, test_drive=True,
                               lead_level="A", model_interest="X5")  # fmt: skip
        order = live.log_order(con, "s2", STAFF, order_date=date(2026, 10, 3), consultant="Li",
                               model="X5", customer_id="c9", channel="wechat")  # fmt: skip
        _fresh(con)
        live.update_entry(con, "traffic", "s2", visit, {"visit_date": "2026-10-04"}, BOSS)
        live.update_entry(con, "orders", "s2", order, {"status": "cancelled"}, BOSS)
        _fresh(con)
        live.delete_entry(con, "traffic", "s2", visit, BOSS)
        _fresh(con)
        assert con.execute(
            "SELECT order_date, orders, all_orders, cancelled FROM summary_sales_placed "
            "WHERE store = 's2' AND order_date = '2026-10-03'"
        ).fetchall() == [(date(2026, 10, 3), 0, 1, 1)]


def test_a_copy_of_the_demo_keeps_its_summaries_through_an_import(demo_build, tmp_path):
    # The demo's own exports imported again for one store (an upsert of every row): unchanged
    # rows, refreshed tables, still equal to the rows' SELECT.
    path = copy_db(Path(demo_build["db"]), tmp_path / "store.duckdb")
    with connect(path) as con:
        _fresh(con)
        store = con.execute("SELECT min(store) FROM stores").fetchone()[0]
    _import(path, "traffic", store, "TX-1,2026-11-24,walk_in,1,autohome,Li,cx,A,X5,1")
    with connect(path) as con:
        _fresh(con)


# ------------------------------------------------------------------ by hand


def test_summary_rows_hold_the_days_counts_and_sums():
    con = memory_db()
    day, other = date(2026, 9, 2), date(2026, 9, 3)
    insert(con, "traffic", [
        {"visit_id": "T1", "visit_date": day, "kind": "walk_in", "first_visit": True,
         "test_drive": True, "channel": "autohome"},
        {"visit_id": "T2", "visit_date": day, "kind": "walk_in", "first_visit": False,
         "test_drive": False, "channel": "outdoor_event"},
        {"visit_id": "T3", "visit_date": day, "kind": "phone", "first_visit": True,
         "test_drive": False, "channel": "autohome", "event_id": "E1"},
        {"visit_id": "T4", "visit_date": other, "kind": "walk_in", "first_visit": True,
         "test_drive": False, "channel": "autohome", "event_id": "E1"},
    ])  # fmt: skip
    insert(con, "orders", [
        {"order_id": "O1", "order_date": day, "status": "delivered", "delivery_date": other,
         "sale_type": "retail", "buyer_type": "private", "sale_price": 200000.0,
         "vehicle_cost": 185000.0, "rebate": 1000.0, "fi_income": 1500.0, "finance": True,
         "insurance": True, "trade_in": False, "accessories_revenue": 3000.0,
         "accessories_cost": 1200.0},
        {"order_id": "O2", "order_date": day, "status": "delivered", "delivery_date": other,
         "sale_type": "fleet", "buyer_type": "corporate", "sale_price": 150000.0,
         "vehicle_cost": 140000.0, "finance": False, "insurance": False, "trade_in": True},
        {"order_id": "O3", "order_date": day, "status": "cancelled", "sale_type": "retail"},
        {"order_id": "O4", "order_date": other, "status": "open", "sale_type": "retail"},
    ])  # fmt: skip
    rows = con.execute("SELECT * FROM summary_sales_traffic ORDER BY visit_date").fetchall()
    # 09-02: walk-ins T1, T2 = 2; first visits T1 = 1; calls T3 = 1; test drives T1 = 1;
    #        event walk-ins T2 (outdoor_event channel) = 1 (T3 is a call, not a walk-in).
    # 09-03: T4 a first-visit walk-in with an event id: 1, 1, 0, 0, 1.
    assert rows == [("s1", day, 2, 1, 1, 1, 1), ("s1", other, 1, 1, 0, 0, 1)]
    rows = con.execute("SELECT * FROM summary_sales_placed ORDER BY order_date").fetchall()
    # 09-02: O1, O2 not cancelled = 2; retail and not cancelled O1 = 1; all 3; cancelled O3 = 1.
    # 09-03: O4 open retail: 1, 1, 1, 0.
    assert rows == [("s1", day, 2, 1, 3, 1), ("s1", other, 1, 1, 1, 0)]
    rows = con.execute("SELECT * FROM summary_sales_delivered").fetchall()
    # 09-03 (both delivered): deliveries 2, fleet O2 1, corporate O2 1, retail O1 1,
    # financed 1, insured 1, traded in 0 (O2 traded in but is fleet);
    # front gross (200000 - 185000) + (150000 - 140000) = 25000;
    # total gross 15000 + 1000 + 1500 + 3000 - 1200 = 19300, plus O2's 10000 = 29300;
    # accessories revenue 3000 (+ 0), accessories gross 3000 - 1200 = 1800;
    # finance's gross skips a row missing a part (O2 has no rebate, F&I or accessories):
    # vehicle 200000 - 185000 + 1000 = 16000, F&I 1500, accessories 1800.
    assert rows == [("s1", other, 2, 1, 1, 1, 1, 1, 0, 25000.0, 29300.0, 3000.0, 1800.0,
                     16000.0, 1500.0, 1800.0)]  # fmt: skip


def test_cohort_starts_and_consultant_days_hold_each_customers_and_consultants_days():
    con = memory_db()
    aug1, sep1, sep2, sep5 = date(2026, 8, 1), date(2026, 9, 1), date(2026, 9, 2), date(2026, 9, 5)
    sep8, sep10, sep15 = date(2026, 9, 8), date(2026, 9, 10), date(2026, 9, 15)
    sep20, sep25 = date(2026, 9, 20), date(2026, 9, 25)

    def visit(vid, day, kind, customer, consultant, first=True):
        return {
            "visit_id": vid,
            "visit_date": day,
            "kind": kind,
            "first_visit": first,
            "customer_id": customer,
            "consultant": consultant,
            "test_drive": False,
        }

    insert(con, "traffic", [
        visit("T1", sep2, "walk_in", "c1", "Li"),
        visit("T2", sep10, "walk_in", "c1", "Wu"),
        visit("T3", sep20, "walk_in", "c1", "Li"),
        visit("T4", sep5, "phone", "c2", "Li"),  # a call: no consultant day
        visit("T5", sep8, "walk_in", "c2", "Wu", first=False),  # not a start; c2's visit
        visit("T6", aug1, "walk_in", "c3", "Li"),
        visit("T7", sep1, "walk_in", "c3", "Li"),
    ])  # fmt: skip
    insert(con, "orders", [
        {"order_id": "O1", "order_date": sep25, "status": "open", "customer_id": "c1",
         "consultant": "Li", "sale_type": "retail"},
        {"order_id": "O2", "order_date": sep1, "delivery_date": date(2026, 9, 3),
         "status": "delivered", "customer_id": "c9", "consultant": "Zhao",
         "sale_type": "retail"},
        {"order_id": "O3", "order_date": sep15, "status": "open", "customer_id": "c3",
         "consultant": "Li", "sale_type": "retail"},
    ])  # fmt: skip
    rows = con.execute(
        f"SELECT * EXCLUDE (store) FROM {summary_sales.COHORTS_NAME} ORDER BY kind, customer_id, 1"
    ).fetchall()
    # (visit_date, kind, customer, next_date, prev_date, conv_date, prev_conv):
    # c1's starts 09-02, 09-10, 09-20 all go on to O1 (09-25), within 30 days of each;
    # c3's 08-01 goes on to O3 (09-15) 45 days later: no conv_date, so 09-01 (14 days
    # before 09-15) has no previous converting start; c2's call 09-05 walks in 09-08.
    assert rows == [
        (sep5, "phone", "c2", sep8, None, sep8, None),
        (sep2, "walk_in", "c1", sep25, None, sep25, None),
        (sep10, "walk_in", "c1", sep25, sep2, sep25, sep2),
        (sep20, "walk_in", "c1", sep25, sep10, sep25, sep10),
        (aug1, "walk_in", "c3", sep15, None, None, None),
        (sep1, "walk_in", "c3", sep15, aug1, sep15, None),
    ]
    rows = con.execute(
        f"SELECT consultant, visit_date, prev_date FROM {summary_sales.CONSULTANT_DAYS_NAME} "
        "ORDER BY 1, 2"
    ).fetchall()
    # Walk-ins by visit_date (T4 is a call) and O2's delivery (09-03), each day once.
    assert rows == [
        ("Li", aug1, None), ("Li", sep1, aug1), ("Li", sep2, sep1), ("Li", sep20, sep2),
        ("Wu", sep8, None), ("Wu", sep10, sep8),
        ("Zhao", date(2026, 9, 3), None),
    ]  # fmt: skip
    for raw in (False, True):
        with query.raw_rows() if raw else contextlib.nullcontext():
            # September 05-30: c1 (first start in it 09-10; 09-02 is before) is the only
            # walk-in customer (c3's 09-01 is outside), closed by O1: 1 / 1.
            late = sales.summary(con, Scope.for_range(sep5, date(2026, 9, 30), END))
            assert late["cohort_close_rate"] == 1.0
            # Consultants 09-05..09-30: Li (09-20), Wu (09-08, 09-10); no delivery: 0 / 2.
            assert late["units_per_consultant"] == 0.0
            month = sales.summary(con, Scope.for_month("2026-09", today=END))
            # c1 and c3 (09-01) each closed: 2 / 2; c2's call visited: 1 / 1;
            # O2 delivered ÷ Li, Wu, Zhao = 1 / 3.
            assert month["cohort_close_rate"] == 1.0
            assert month["phone_to_visit_rate"] == 1.0
            assert month["units_per_consultant"] == pytest.approx(1 / 3)
            # August: c3's 08-01 did not close within 30 days: 0 / 1; Li alone, no delivery.
            aug = sales.monthly(con, Scope.for_month("2026-09", today=END), months=2)
            assert aug.loc[0, "cohort_close_rate"] == 0.0
            assert aug.loc[1, "units_per_consultant"] == pytest.approx(1 / 3)


def test_a_row_filter_reads_the_rows_not_the_summaries():
    con = memory_db()
    insert(con, "traffic", [
        {"visit_id": "T1", "visit_date": date(2026, 9, 2), "kind": "walk_in",
         "first_visit": True, "test_drive": True, "consultant": "Li"},
    ])  # fmt: skip
    scope = Scope.for_month("2026-09", today=END)
    con.execute("DELETE FROM summary_sales_traffic")  # stale on purpose: only summaries see it
    assert sales.summary(con, scope)["walk_in_batches"] == 0
    assert sales.summary(con, scope.with_filters(consultant="Li"))["walk_in_batches"] == 1
    with query.raw_rows():
        assert sales.summary(con, scope)["walk_in_batches"] == 1
