"""The lead KPIs from their summary tables and derived state equal the raw computation (issue 15).

(a) every lead KPI (kpi.leads, and the open-lead lists and counts of kpi.customers, which read
summary_lead_book) both ways, from the summaries and inside query.raw_rows(), on the demo and
on a generated group: complete, running (mid-month, so the month's own contacts are read),
custom and last year's periods, pooled and one store, the 12-month tallies, and filtered
scopes (a model filter takes lead capture's raw path; the consultant filter applies to the
stored rows' consultant);
(b) each summary table equals its SELECT recomputed from scratch after the real writers: an
import of a new month, an upsert that moves a loss to another day, an undo, a live entry;
(c) a small case checked against hand-worked literals.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from app import uploads
from kpi import customers, leads, query
from kpi.scope import Scope
from tests.both_ways import assert_fresh, assert_same, both_ways, period_scopes
from tests.helpers import copy_db, insert, memory_db
from warehouse import db, derived, live
from warehouse.auth import User
from warehouse.importer import import_files

TODAY = date(2026, 11, 25)
MID = date(2026, 11, 10)
MINE = [d for d in derived.DERIVED if d.name.startswith("summary_lead")]
BOSS = User("boss", "Boss", "manager")


def _scopes(con: duckdb.DuckDBPyConnection) -> dict[str, Scope]:
    store = con.execute("SELECT min(store) FROM stores").fetchone()[0]
    consultant = con.execute(
        "SELECT consultant FROM followups WHERE store = $s AND lead_level = 'F' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        {"s": store},
    ).fetchone()[0]
    model = con.execute(
        "SELECT model_interest FROM traffic GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()[0]
    october = Scope.for_month("2026-10", today=TODAY)
    running = Scope.for_month("2026-11", today=TODAY)
    mid = Scope.for_month("2026-11", today=MID)
    return {
        **period_scopes(TODAY),
        "running month, mid": mid,
        "one store, mid": replace(mid, store=store),
        "one store, complete": replace(october, store=store),
        "consultant filter": replace(october, store=store, consultant=consultant),
        "consultant filter, pooled, mid": replace(mid, consultant=consultant),
        "model filter": replace(running, model=model),
    }


def _calls(scope: Scope) -> dict:
    return {
        "leads.summary": lambda con: leads.summary(con, scope),
        "leads.summaries": lambda con: leads.summaries(con, scope),
        "leads.report": lambda con: leads.report(con, scope),
        "leads.lost_records": lambda con: leads.lost_records(con, scope),
        "leads.lost_tally": lambda con: leads.lost_tally(con, scope),
        "leads.lost_tally 12": lambda con: leads.lost_tally(con, scope, months=12),
        "leads.capture_by_consultant": lambda con: leads.capture_by_consultant(con, scope),
        "customers.open_lead_list": lambda con: customers.open_lead_list(con, scope),
        "customers.overdue_list": lambda con: customers.overdue_list(con, scope),
        "customers.overdue_list 5": lambda con: customers.overdue_list(con, scope, limit=5),
        "customers.lead_counts": lambda con: customers.lead_counts(con, scope),
        "customers.open_leads_by_level": lambda con: customers.open_leads_by_level(con, scope),
        "customers.summary": lambda con: customers.summary(con, scope),
    }


def _check(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        for d in MINE:
            assert con.execute(f"SELECT count(*) FROM {d.name}").fetchone()[0] > 0, d.name
    assert both_ways(path, _scopes, _calls) == 10 * 13


def test_every_lead_kpi_is_the_same_both_ways_on_the_demo(demo_db):
    _check(demo_db)


def test_every_lead_kpi_is_the_same_both_ways_on_a_generated_group(group_db):
    _check(group_db)


def test_the_lists_agree_with_the_counts_on_the_group(group_db):
    # The page counts a group's leads (lead_counts) and lists the most overdue (limit).
    scope = Scope.for_month("2026-11", today=MID)
    with duckdb.connect(str(group_db), read_only=True) as con:
        book = customers.open_lead_list(con, scope)
        counts = customers.lead_counts(con, scope)
        top = customers.overdue_list(con, scope, limit=7)
        late = customers.overdue_list(con, scope)
    assert counts["open_leads"].sum() == len(book)
    assert counts["overdue"].sum() == (book["days_overdue"] > 0).sum() == len(late)
    assert_same(top, late.head(7))


def test_the_summary_path_reads_the_summary_tables(demo_db, tmp_path):
    # Emptying the tables changes what the summary path gives, not the raw values.
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    scope = Scope.for_month("2026-10", today=TODAY)
    with duckdb.connect(str(path)) as con:
        before = leads.summary(con, scope)
        book = customers.open_lead_list(con, scope)
        for d in MINE:
            con.execute(f"DELETE FROM {d.name}")
        after = leads.summary(con, scope)
        assert customers.open_lead_list(con, scope).empty
        with query.raw_rows():
            assert leads.summary(con, scope) == before
            assert len(customers.open_lead_list(con, scope)) == len(book) > 0
    assert before["lost_leads"] > 0 and before["lead_capture_rate"] is not None
    assert after["lost_leads"] == 0 and after["lead_capture_rate"] is None


# ----------------------------------------------------------------- (b) refresh by the writers


def _assert_fresh(path: Path) -> None:
    """Each lead summary table equals its SELECT recomputed over every store."""
    assert_fresh(path, MINE)


TRAFFIC_HEADER = (
    "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
    "model_interest,test_drive\n"
)
FOLLOWUP_HEADER = (
    "followup_id,followup_date,customer_id,consultant,kind,lead_level,lost_reason,lost_to\n"
)


def _lost(path: Path, store: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT day, next_day, consultant, lost_reason, lost_to FROM summary_lead_lost "
            "WHERE store = $s AND day >= DATE '2026-12-01' ORDER BY ALL",
            {"s": store},
        ).fetchall()


def test_the_summaries_follow_imports_upserts_undo_and_live_entries(demo_db, tmp_path):
    path = copy_db(Path(demo_db), tmp_path / "demo.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        store = con.execute("SELECT min(store) FROM stores").fetchone()[0]
    _assert_fresh(path)

    # A new month for one store: two first visits (one captured), then one of them lost.
    visits = (
        TRAFFIC_HEADER
        + "XT1,2026-12-02,walk_in,true,web,Li,13900000001,H,X5,false\n"
        + "XT2,2026-12-02,walk_in,true,web,Li,,,X5,false\n"
    )
    report = import_files(path, "traffic", [("dec-t.csv", visits.encode())], store=store)
    assert report.committed, report
    calls = FOLLOWUP_HEADER + "XF1,2026-12-05,13900000001,Wang,lead_followup,F,price,Brand Y\n"
    report = import_files(path, "followups", [("dec-f.csv", calls.encode())], store=store)
    assert report.committed, report
    _assert_fresh(path)
    with duckdb.connect(str(path), read_only=True) as con:
        capture = con.execute(
            "SELECT captured, first_visits FROM summary_lead_capture "
            "WHERE store = $s AND day = DATE '2026-12-02'",
            {"s": store},
        ).fetchall()
    assert capture == [(1, 2)]
    assert _lost(path, store) == [(date(2026, 12, 5), None, "Wang", "price", "Brand Y")]

    # An upsert moves the loss to 12-09 and names another competitor.
    calls = FOLLOWUP_HEADER + "XF1,2026-12-09,13900000001,Wang,lead_followup,F,competitor,Brand Z\n"
    report = import_files(path, "followups", [("dec-f2.csv", calls.encode())], store=store)
    assert report.committed, report
    _assert_fresh(path)
    assert _lost(path, store) == [(date(2026, 12, 9), None, "Wang", "competitor", "Brand Z")]

    # Undo of that upsert puts the first version back.
    with db.connect(path) as con:
        uploads.undo_import(con, BOSS, report.import_ids[0])
    _assert_fresh(path)
    assert _lost(path, store) == [(date(2026, 12, 5), None, "Wang", "price", "Brand Y")]

    # A live visit of the lost customer at level B (traffic feeds all three tables): the
    # loss now holds until 12-20 only.
    with db.connect(path) as con:
        live.log_visit(con, store, BOSS, visit_date=date(2026, 12, 20), kind="walk_in",
                       first_visit=False, channel="web", consultant="Li",
                       customer_id="13900000001", lead_level="B", model_interest="X5",
                       test_drive=False)  # fmt: skip
    _assert_fresh(path)
    assert _lost(path, store) == [
        (date(2026, 12, 5), date(2026, 12, 20), "Wang", "price", "Brand Y")
    ]


# ---------------------------------------------------------------- (c) a hand-worked small case


def _visit(vid: str, day: date, customer: str | None, level: str | None = None,
           first: bool = True, consultant: str = "Li") -> dict:  # fmt: skip
    return {"visit_id": vid, "visit_date": day, "kind": "walk_in", "first_visit": first,
            "customer_id": customer, "lead_level": level, "consultant": consultant}  # fmt: skip


def _call(fid: str, day: date, customer: str, level: str | None, consultant: str = "Wang",
          reason: str | None = None, lost_to: str | None = None) -> dict:  # fmt: skip
    return {"followup_id": fid, "followup_date": day, "customer_id": customer,
            "kind": "lead_followup", "lead_level": level, "consultant": consultant,
            "lost_reason": reason, "lost_to": lost_to}  # fmt: skip


def d(day: int, month: int = 9) -> date:
    return date(2026, month, day)


def test_a_small_case_by_hand():
    con = memory_db()
    insert(con, "traffic", [
        _visit("T1", d(1), "c1", "H"),                 # captured
        _visit("T2", d(1), None),                      # anonymous: first visits only
        _visit("T3", d(2), "c2", "B"),                 # captured
        _visit("T4", d(2), "c2", "A", first=False),    # not a first visit
        _visit("T5", d(3), "c3", "F"),                 # lost on a visit, then an F call
        _visit("T6", d(4), "c4", "B", first=False),    # open until c4's order on 09-25
    ])  # fmt: skip
    insert(con, "orders", [
        {"order_id": "O1", "order_date": d(25), "status": "open", "customer_id": "c4"},
    ])  # fmt: skip
    insert(con, "followups", [
        _call("F1", d(5), "c1", "F", reason="price", lost_to="Y"),    # c1 lost 09-05 ...
        _call("F2", d(20), "c1", "A"),                                # ... came back 09-20
        _call("F3", d(3), "c3", "F", reason="competitor", lost_to="Z"),  # after T5, same day
        _call("F4", d(8), "c2", None),                                # no level: no change
        _call("F5", d(10), "c2", "F", consultant="Zhao"),             # c2 lost, no reason
    ])  # fmt: skip

    rows = con.execute("SELECT * FROM summary_lead_capture ORDER BY ALL").fetchall()
    # 09-01: T1 captured, T2 anonymous -> 1 of 2; 09-02: T3 -> 1 of 1 (T4 is a revisit);
    # 09-03: T5 -> 1 of 1.
    assert rows == [("s1", d(1), "Li", 1, 2), ("s1", d(2), "Li", 1, 1), ("s1", d(3), "Li", 1, 1)]
    rows = con.execute("SELECT * FROM summary_lead_lost ORDER BY ALL").fetchall()
    # c1's F of 09-05 holds until its A on 09-20; c2's F on 09-10 (the unleveled F4 is no
    # level); c3's visit T5 is followed by the call F3 the same day: F3 is the latest of 09-03.
    assert rows == [
        ("s1", "c1", d(5), d(20), "Wang", "price", "Y"),
        ("s1", "c2", d(10), None, "Zhao", None, None),
        ("s1", "c3", d(3), None, "Wang", "competitor", "Z"),
    ]
    rows = con.execute("SELECT * FROM summary_lead_book ORDER BY ALL").fetchall()
    # September (m = 2026 * 12 + 8 = 24320): c1 at A since 09-20 (its latest row, F2 by Wang);
    # c4 at B since 09-04, first order 09-25 (in the state's month: kept); c2 and c3 lost.
    assert rows == [
        ("s1", "c1", 24320, None, d(20), "A", "Wang", None),
        ("s1", "c4", 24320, None, d(4), "B", "Li", d(25)),
    ]

    # September as of 09-15: lost c1 (09-05, back only on 09-20), c2, c3 -> 3; no orders,
    # so lost_rate 3 / (3 + 0) = 1; capture 3 / 4 (T1, T3, T5 of T1, T2, T3, T5).
    sept_15 = Scope.for_month("2026-09", today=d(15))
    got = leads.summary(con, sept_15)
    assert got == {"lead_capture_rate": 3 / 4, "lost_leads": 3, "lost_rate": 1.0}
    # Complete September (as of its end, 09-30): c1 came back on 09-20 -> lost c2, c3 only.
    sept = Scope.for_month("2026-09", today=d(1, 10))
    assert leads.summary(con, sept)["lost_leads"] == 2
    assert leads.tables(con, sept) == {"lost_reasons": {"competitor": 1, "unknown": 1}}
    tally = leads.lost_tally(con, sept)
    got = [tuple(query.plain(v) for v in row) for row in tally.itertuples(index=False)]
    assert got == [("", "competitor", "Z", 1), ("", "unknown", None, 1)]
    # The consultant filter applies to the row that set F: Zhao lost c2 only.
    assert leads.summary(con, replace(sept, consultant="Zhao"))["lost_leads"] == 1
    # The open lead: c1 at A, last contact 09-20 with Wang; as of 09-30, 10 days > 7: overdue
    # by 10 - 7 = 3 days.
    listed = customers.overdue_list(con, sept)
    assert listed.values.tolist() == [["s1", "c1", "Wang", "A", d(20), 7, 3]]
    # As of 09-15 c1 is lost and c4 open at B (ordered only on 09-25): 15 - 4 = 11 days since
    # contact, cadence 14 -> 11 - 14 = -3, on time.
    listed = customers.open_lead_list(con, sept_15)
    assert listed.values.tolist() == [["s1", "c4", "Li", "B", d(4), 14, -3]]
    for scope in (sept_15, sept, replace(sept, consultant="Zhao")):
        with query.raw_rows():
            raw = (leads.summary(con, scope), customers.open_lead_list(con, scope))
        assert_same(leads.summary(con, scope), raw[0])
        assert_same(customers.open_lead_list(con, scope), raw[1])


@pytest.mark.parametrize("level", ["O", "H", "A", "B", "C"])
def test_the_lead_book_keeps_every_open_level(level):
    con = memory_db()
    insert(con, "traffic", [_visit("T1", d(1), "c1", level)])
    assert con.execute("SELECT level FROM summary_lead_book").fetchall() == [(level,)]


def test_a_schema_6_database_gets_the_lead_summaries_on_open(tmp_path):
    path = tmp_path / "store.duckdb"
    with db.connect(path) as con:
        insert(con, "traffic", [_visit("T1", d(1), "c1", "F")])
        for t in MINE:
            con.execute(f"DROP TABLE {t.name}")
        con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    with db.connect(path, read_only=True) as con:
        # T1: a first visit with a customer, lost on the spot
        assert con.execute(
            "SELECT captured, first_visits FROM summary_lead_capture"
        ).fetchall() == [(1, 1)]
        assert con.execute("SELECT customer_id, day FROM summary_lead_lost").fetchall() == [
            ("c1", d(1))
        ]
    _assert_fresh(path)
