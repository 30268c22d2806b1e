"""The customer KPIs from their summary tables equal the raw computation (issue 15).

(a) every customer KPI both ways (summaries, and inside query.raw_rows()) on the demo and on
a generated group, for complete, running, custom and last year's periods, pooled, one store,
by store and brand, the 13-month trend and filtered scopes (which take the raw path);
(b) each summary table equals its SELECT recomputed from scratch after the real writers:
an import of a new month, an upsert that moves rows between days, an undo, a live entry;
(c) a small case checked against hand-worked literals.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from app import uploads
from kpi import customers, query
from kpi.scope import Scope
from tests.both_ways import assert_fresh, both_ways, period_scopes
from tests.helpers import copy_db, insert, memory_db
from warehouse import db, derived, live
from warehouse.auth import User
from warehouse.importer import import_files

TODAY = date(2026, 11, 25)
MINE = [d for d in derived.DERIVED if d.name.startswith("summary_customer")]
BOSS = User("boss", "Boss", "manager")


def _calls(scope: Scope) -> dict:
    """Every customer KPI function of the pages, the report and the group view."""
    return {
        "summary": lambda con: customers.summary(con, scope),
        "summaries": lambda con: customers.summaries(con, scope),
        "by_store": lambda con: customers.by_store(con, scope, total=True),
        "by_brand": lambda con: customers.by_store(con, scope, by="brand"),
        "month_trend": lambda con: customers.month_trend(con, scope),
        "csi_monthly": lambda con: customers.csi_monthly(con, scope),
    }


def _scopes(con: duckdb.DuckDBPyConnection) -> dict[str, Scope]:
    store = con.execute("SELECT min(store) FROM stores").fetchone()[0]
    consultant = con.execute(
        "SELECT consultant FROM orders WHERE store = $s AND status = 'delivered' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        {"s": store},
    ).fetchone()[0]
    advisor = con.execute(
        "SELECT advisor FROM repair_orders WHERE store = $s GROUP BY 1 ORDER BY count(*) DESC, 1 "
        "LIMIT 1",
        {"s": store},
    ).fetchone()[0]
    october = Scope.for_month("2026-10", today=TODAY)
    running = Scope.for_month("2026-11", today=TODAY)
    return {
        **period_scopes(TODAY),
        "one store, running": replace(running, store=store),
        "one store, complete": replace(october, store=store),
        "consultant filter": replace(october, store=store, consultant=consultant),
        "advisor filter": replace(running, advisor=advisor),
    }


def _check_database(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM summary_customer_visits").fetchone()[0] > 0
    assert both_ways(path, _scopes, _calls) == 8 * 6  # 8 scopes, 6 calls each


def test_every_customer_kpi_is_the_same_both_ways_on_the_demo(demo_db):
    _check_database(demo_db)


@pytest.fixture(scope="module")
def group_path(tmp_path_factory) -> Path:
    """A generated group of four stores over four months to 2026-11-25."""
    from warehouse.group import build_group

    path = tmp_path_factory.mktemp("group") / "group.duckdb"
    build_group(path, stores=4, months=4, seed=7, end=TODAY, workers=1, quiet=True)
    return path


@pytest.mark.slow
def test_every_customer_kpi_is_the_same_both_ways_on_a_generated_group(group_path):
    _check_database(group_path)


def test_the_summary_path_reads_the_summary_tables(demo_db, tmp_path):
    # Emptying the summaries changes the values the summary path gives (and not the raw ones).
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    scope = Scope.for_month("2026-10", today=TODAY)
    with duckdb.connect(str(path)) as con:
        before = customers.summary(con, scope)
        for d in MINE:
            con.execute(f"DELETE FROM {d.name}")
        after = customers.summary(con, scope)
        with query.raw_rows():
            assert customers.summary(con, scope) == before
    assert after["return_visit_rate"] is None and after["csi_sales"] is None
    assert before["return_visit_rate"] is not None and before["csi_sales"] is not None


# ----------------------------------------------------------------- (b) refresh by the writers


def _assert_fresh(path: Path) -> None:
    """Each customer summary table equals its SELECT recomputed over every store."""
    assert_fresh(path, MINE)


RO_HEADER = (
    "ro_id,open_date,close_date,vin,customer_id,ro_type,advisor,technician,labor_hours,"
    "labor_revenue,labor_cost,parts_revenue,parts_cost,comeback\n"
)
FOLLOWUP_HEADER = "followup_id,followup_date,customer_id,consultant,kind,lead_level\n"


def _ro_line(ro_id: str, closed: str, customer: str, ro_type: str = "maintenance") -> str:
    return f"{ro_id},{closed},{closed},VIN{ro_id},{customer},{ro_type},Zhao,Sun,1,100,0,100,50,\n"


def _december_visits(path: Path, store: str) -> list[tuple]:
    """Return the store's (day, served, lag1, lag3) rows of summary_customer_visits in December."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT day, served, lag1, lag3 FROM summary_customer_visits WHERE store = $s "
            "AND day >= DATE '2026-12-01' ORDER BY ALL",
            {"s": store},
        ).fetchall()


def test_the_summaries_follow_imports_upserts_undo_and_live_entries(demo_db, tmp_path):
    path = copy_db(Path(demo_db), tmp_path / "demo.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        store = con.execute("SELECT min(store) FROM stores").fetchone()[0]
    _assert_fresh(path)

    # A new month for one store: December's repair orders and their return visits.
    ros = RO_HEADER + _ro_line("XR1", "2026-12-02", "cx1") + _ro_line("XR2", "2026-12-03", "cx2")
    report = import_files(path, "repair_orders", [("dec.csv", ros.encode())], store=store)
    assert report.committed, report
    visits = (
        FOLLOWUP_HEADER
        + "XF1,2026-12-05,cx1,Li,return_visit,\n"
        + "XF2,2026-12-20,cx2,Li,return_visit,\n"
    )
    report = import_files(path, "followups", [("dec-f.csv", visits.encode())], store=store)
    assert report.committed, report
    _assert_fresh(path)
    rows = _december_visits(path, store)
    # XR1 closed 12-02, visited 12-05: lag 3; XR2 closed 12-03, visited 12-20 (17 days): none.
    assert rows == [(date(2026, 12, 2), 1, 0, 1), (date(2026, 12, 3), 1, 0, 0)]

    # An upsert moves XR1 to 12-04 (the visit now 1 day after) and XR2 becomes internal.
    ros = (
        RO_HEADER
        + _ro_line("XR1", "2026-12-04", "cx1")
        + _ro_line("XR2", "2026-12-03", "cx2", "internal")
    )
    report = import_files(path, "repair_orders", [("dec2.csv", ros.encode())], store=store)
    assert report.committed, report
    _assert_fresh(path)
    rows = _december_visits(path, store)
    assert rows == [(date(2026, 12, 4), 1, 1, 0)]

    # Undo of that upsert puts the first version back.
    with db.connect(path) as con:
        uploads.undo_import(con, BOSS, report.import_ids[0])
    _assert_fresh(path)
    rows = _december_visits(path, store)
    assert rows == [(date(2026, 12, 2), 1, 0, 1), (date(2026, 12, 3), 1, 0, 0)]

    # A live order (orders feed the served events) refreshes them too.
    with db.connect(path) as con:
        live.log_order(con, store, BOSS, order_date=date(2026, 11, 25), consultant="Li",
                       model="X5", customer_id="cx1", channel="wechat")  # fmt: skip
    _assert_fresh(path)


# ---------------------------------------------------------------- (c) a hand-worked small case


def _ro(ro_id: str, closed: date, customer: str | None, ro_type: str = "maintenance") -> dict:
    return {"ro_id": ro_id, "open_date": closed, "close_date": closed, "vin": f"V{ro_id}",
            "customer_id": customer, "ro_type": ro_type}  # fmt: skip


def _visit(fid: str, day: date, customer: str, kind: str = "return_visit") -> dict:
    return {"followup_id": fid, "followup_date": day, "customer_id": customer, "kind": kind}


def test_a_small_case_by_hand():
    con = memory_db()
    d = date(2026, 9, 10)
    insert(con, "repair_orders", [
        _ro("R1", d, "c1"),                            # c1 visited 09-13: lag 3
        _ro("R2", d, "c2"),                            # c2 visited 09-20, 10 days: none
        _ro("R3", date(2026, 9, 12), None),            # no customer: none
        _ro("R4", date(2026, 9, 15), "c3"),            # c3 visited the same day: lag 0
        _ro("R5", d, "c1", "internal"),                # internal: not served
    ])  # fmt: skip
    insert(con, "orders", [
        {"order_id": "O1", "order_date": date(2026, 9, 1), "delivery_date": d,
         "status": "delivered", "customer_id": "c1"},  # served with R1: lag 3
    ])  # fmt: skip
    insert(con, "followups", [
        _visit("F1", date(2026, 9, 13), "c1"), _visit("F2", date(2026, 9, 20), "c2"),
        _visit("F3", date(2026, 9, 15), "c3"), _visit("F4", date(2026, 9, 11), "c1", "other"),
    ])  # fmt: skip
    rows = con.execute("SELECT * FROM summary_customer_visits ORDER BY ALL").fetchall()
    # store, day, served, lag0 .. lag7
    assert rows == [
        ("s1", d, 3, 0, 0, 0, 2, 0, 0, 0, 0),  # R1, O1 (lag 3) and R2 (none)
        ("s1", date(2026, 9, 12), 1, 0, 0, 0, 0, 0, 0, 0, 0),  # R3
        ("s1", date(2026, 9, 15), 1, 1, 0, 0, 0, 0, 0, 0, 0),  # R4 (lag 0)
    ]
    # September complete: 5 served, 3 followed (R1, O1, R4) -> 3 / 5 = 0.6.
    sept = Scope.for_month("2026-09", today=date(2026, 10, 30))
    assert customers.summary(con, sept)["return_visit_rate"] == 0.6
    # Running to 09-12: R1, O1, R2, R3 served (4); R1's and O1's visit came 09-13, after as_of.
    running = Scope.for_month("2026-09", today=date(2026, 9, 12))
    assert customers.summary(con, running)["return_visit_rate"] == 0.0

    insert(con, "surveys", [
        {"survey_id": "V1", "survey_date": d, "department": "sales", "score": 8.0,
         "recommend": 10.0},
        {"survey_id": "V2", "survey_date": d, "department": "sales", "score": 9.0,
         "recommend": 6.0},
        {"survey_id": "V3", "survey_date": d, "department": "service", "score": 7.0,
         "recommend": None},
        {"survey_id": "V4", "survey_date": d, "department": "service", "score": None,
         "recommend": 9.0},
    ])  # fmt: skip
    rows = con.execute("SELECT * FROM summary_customer_surveys").fetchall()
    # sales 8 + 9 = 17 over 2, service 7 over 1; promoters 10 and 9, detractor 6, 3 answers
    assert rows == [("s1", d, 17.0, 2, 7.0, 1, 2, 1, 3)]
    kpis = customers.summary(con, sept)
    # CSI sales 17 / 2 * 10 = 85, service 7 / 1 * 10 = 70, NPS 100 * (2 - 1) / 3 = 33.33…
    assert kpis["csi_sales"] == 85.0 and kpis["csi_service"] == 70.0
    assert math.isclose(kpis["nps"], 100 / 3, rel_tol=1e-12)

    insert(con, "complaints", [
        {"complaint_id": "K1", "opened_date": date(2026, 9, 1), "closed_date": date(2026, 9, 5),
         "satisfied": True},
        {"complaint_id": "K2", "opened_date": date(2026, 9, 3), "closed_date": date(2026, 9, 5),
         "satisfied": None},
    ])  # fmt: skip
    rows = con.execute("SELECT * FROM summary_customer_complaints").fetchall()
    # 1 satisfied of 1 answered; closing took 4 + 2 = 6 days over 2 complaints
    assert rows == [("s1", date(2026, 9, 5), 1, 1, 6, 2)]
    kpis = customers.summary(con, sept)
    assert kpis["complaint_satisfaction"] == 1.0 and kpis["complaint_close_days"] == 3.0
    with query.raw_rows():
        raw = customers.summary(con, sept)
    assert raw["return_visit_rate"] == 0.6 and raw["complaint_close_days"] == 3.0


def test_the_lead_changes_by_hand():
    con = memory_db()
    insert(con, "traffic", [
        {"visit_id": "T1", "visit_date": date(2026, 9, 1), "kind": "walk_in",
         "customer_id": "c1", "lead_level": "H"},
        {"visit_id": "T2", "visit_date": date(2026, 9, 5), "kind": "walk_in",
         "customer_id": "c2", "lead_level": "F"},  # lost: never open
        {"visit_id": "T3", "visit_date": date(2026, 9, 3), "kind": "walk_in",
         "customer_id": "c3", "lead_level": "B"},
    ])  # fmt: skip
    insert(con, "followups", [
        {"followup_id": "F1", "followup_date": date(2026, 9, 10), "customer_id": "c1",
         "kind": "lead_followup", "lead_level": "A"},
    ])  # fmt: skip
    insert(con, "orders", [
        {"order_id": "O1", "order_date": date(2026, 9, 20), "status": "open",
         "customer_id": "c1"},
    ])  # fmt: skip
    rows = con.execute("SELECT day, opened, overdue FROM summary_customer_leads ORDER BY day")
    # c1: H from 09-01 to 09-10 (overdue from 09-01 + 2 + 1 = 09-04), A from 09-10 to its
    #     order on 09-20 (overdue from 09-10 + 7 + 1 = 09-18);
    # c3: B from 09-03 on (overdue from 09-03 + 14 + 1 = 09-18).
    assert rows.fetchall() == [
        (date(2026, 9, 1), 1, 0),
        (date(2026, 9, 3), 1, 0),
        (date(2026, 9, 4), 0, 1),
        (date(2026, 9, 10), 0, -1),  # c1's H span ends, its A span starts: open 1 - 1 + 1
        (date(2026, 9, 18), 0, 2),
        (date(2026, 9, 20), -1, -1),
    ]
    # As of 09-19: open 1 + 1 = 2 (c1, c3), overdue 1 - 1 + 2 = 2 -> compliance 0.
    scope = Scope.for_month("2026-09", today=date(2026, 9, 19))
    kpis = customers.summary(con, scope)
    assert (kpis["open_leads"], kpis["overdue_followups"]) == (2, 2)
    with query.raw_rows():
        raw = customers.summary(con, scope)
    assert (raw["open_leads"], raw["overdue_followups"]) == (2, 2)
    # As of 09-30 only c3 is open (c1 ordered on 09-20), overdue.
    kpis = customers.summary(con, Scope.for_month("2026-09", today=date(2026, 10, 5)))
    assert (kpis["open_leads"], kpis["overdue_followups"]) == (1, 1)


def test_the_lead_summary_uses_the_catalogue_cadence_and_yields_to_overrides(con):
    from kpi.catalogue import DEFAULT_CADENCE
    from warehouse.summary_customers import LEAD_CADENCE_DAYS

    assert dict(LEAD_CADENCE_DAYS) == DEFAULT_CADENCE
    insert(con, "traffic", [
        {"visit_id": "T1", "visit_date": date(2026, 9, 1), "kind": "walk_in",
         "customer_id": "c1", "lead_level": "H"},
    ])  # fmt: skip
    scope = Scope.for_month("2026-09", today=date(2026, 9, 5))
    # H (2 days): last contact 09-01 < 09-05 - 2: overdue.
    assert customers.summary(con, scope)["overdue_followups"] == 1
    con.execute("""UPDATE stores SET cadence = '{"H": 10}'""")
    # The store's own cadence (10 days) is read from the rows: on time.
    assert customers.summary(con, scope)["overdue_followups"] == 0


def test_a_schema_6_database_gets_the_customer_summaries_on_open(tmp_path):
    path = tmp_path / "store.duckdb"
    with db.connect(path) as con:
        insert(con, "repair_orders", [_ro("R1", date(2026, 9, 10), "c1")])
        insert(con, "followups", [_visit("F1", date(2026, 9, 12), "c1")])
        insert(
            con,
            "surveys",
            [
                {
                    "survey_id": "V1",
                    "survey_date": date(2026, 9, 10),
                    "department": "sales",
                    "score": 9.0,
                    "recommend": 10.0,
                }
            ],
        )
        for d in MINE:
            con.execute(f"DROP TABLE {d.name}")
        con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    with db.connect(path, read_only=True) as con:
        # R1 closed 09-10, its return visit 09-12: served 1, lag2 1
        assert con.execute("SELECT served, lag2 FROM summary_customer_visits").fetchall() == [
            (1, 1)
        ]
    _assert_fresh(path)
