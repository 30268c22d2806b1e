"""The after-sales KPIs read from the summary tables equal the KPIs read from the rows.

(a) every KPI of kpi.service both ways (default, and inside ``query.raw_rows()``) on the demo
and on a generated group, for complete, running, custom and last year's periods, pooled and
per store, by store, brand and region, the trends and filtered scopes; (b) each summary
table equals its SELECT recomputed from scratch after real imports, an upsert that moves rows
to other days and an undo; (c) a hand-worked summary row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from app import uploads
from kpi import query, service
from kpi.scope import Scope
from tests.both_ways import assert_same
from tests.helpers import copy_db, insert
from warehouse import db, derived, importer
from warehouse.auth import User
from warehouse.group import build_group

END = date(2026, 11, 25)
SERVICE_TABLES = [d for d in derived.DERIVED if d.name.startswith("summary_service")]
MANAGER = User("boss", "boss", "manager")


# Both ways compare alike: ints exactly, floats to 1e-12 relative (tests/both_ways.py).
_same = assert_same


def _every_kpi(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return every after-sales KPI call of the pages, the report and the group view."""
    out: dict[str, Any] = {
        "summaries": service.summaries(con, scope),
        "money": service.money(con, scope),
        "tables": service.tables(con, scope),
        "monthly": service.monthly(con, scope, months=13),
        "by_ro_type": service.by_ro_type(con, scope),
        "by_advisor": service.by_advisor(con, scope),
        "by_technician": service.by_technician(con, scope),
        "technician_trend": service.technician_trend(con, scope),
        "technician_monthly": service.technician_monthly(con, scope, months=3),
        "revenue_by_store": service.revenue_by_store(con, scope),
    }
    if scope.store is None:
        for by in ("store", "brand", "region"):
            out[f"by_{by}"] = service.by_store(con, scope, by=by, total=True)
    return out


def _both_ways(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    summary = _every_kpi(con, scope)
    with query.raw_rows():
        raw = _every_kpi(con, scope)
    _same(summary, raw, str(scope))


def _scopes(store: str, today: date = END) -> list[Scope]:
    return [
        Scope.for_month("2026-10", today=today),  # a complete month
        Scope.for_month("2026-11", today=date(2026, 11, 15)),  # running, as of mid-month
        Scope.for_month("2026-11", today=today),  # running, as of the data's last day
        Scope.for_range(date(2026, 9, 16), date(2026, 10, 15), today=today),  # crosses months
        Scope.for_month("2025-11", today=today),  # last year's month
        Scope.for_month("2026-10", today=today, store=store),  # one store
        Scope.for_month("2026-09", today=today, ro_type="repair"),  # the summaries' key
        Scope.for_month("2026-09", today=today, advisor="__none__"),  # raw path
    ]


@pytest.fixture(scope="module")
def group_db(tmp_path_factory) -> str:
    """A generated group of 4 stores over 15 months to 2026-11-25 (read it, do not write)."""
    path = tmp_path_factory.mktemp("group") / "group.duckdb"
    build_group(path, stores=4, months=15, seed=7, end=END, workers=1, quiet=True)
    return str(path)


def test_every_kpi_both_ways_on_the_demo(demo_db):
    with db.connect(demo_db, read_only=True) as con:
        store = db.list_stores(con)[0]
        advisor = con.execute("SELECT min(advisor) FROM repair_orders").fetchone()[0]
        technician = con.execute("SELECT min(technician) FROM repair_orders").fetchone()[0]
        for scope in _scopes(store):
            _both_ways(con, scope)
        month = Scope.for_month("2026-10", today=END)
        _both_ways(con, Scope.for_month("2026-10", today=END, advisor=advisor))
        _both_ways(con, Scope.for_month("2026-10", today=END, technician=technician))
        assert service.summary(con, month)["ro_count"] > 0


def test_the_running_month_reads_the_labour_summary_only_when_nothing_closed_after_as_of(
    demo_db,
):
    # The demo's ROs close up to END: as of END, November counts as a whole month of
    # summary_service_tech_months; as of the 15th, ROs closed on the 16th to the 25th are
    # in that month's summary rows, so the month's days come from the ROs.
    with db.connect(demo_db, read_only=True) as con:
        at_end = service._whole_months(con, Scope.for_month("2026-11", today=END))
        mid = service._whole_months(con, Scope.for_month("2026-11", today=date(2026, 11, 15)))
        store = db.list_stores(con)[0]
        one = service._whole_months(con, Scope.for_month("2026-11", today=END, store=store))
    assert at_end["w_first"] == at_end["w_last"] == date(2026, 11, 1)
    assert at_end["tail_start"] == date(2026, 12, 1)
    assert one["w_last"] == date(2026, 11, 1)
    assert mid["w_first"] > mid["w_last"]  # no whole month: every day from the ROs
    assert mid["head_end"] == date(2026, 11, 15)


def test_summaries_of_overlapping_periods_both_ways(demo_db):
    # _ro_periods sums every period in one join: a 75-day range and its shift by a month
    # share 45 days, which count in both; a period before the data has only zeros.
    scope = Scope.for_range(date(2026, 9, 1), date(2026, 11, 14), today=END)
    shifts = (0, -1, -12, -36)
    with db.connect(demo_db, read_only=True) as con:
        store = db.list_stores(con)[0]
        for one in (scope, replace(scope, store=store), replace(scope, ro_type="repair")):
            summary = service.summaries(con, one, shifts)
            with query.raw_rows():
                raw = service.summaries(con, one, shifts)
            _same(summary, raw, str(one))
            assert [row["ro_count"] > 0 for row in summary] == [True, True, True, False]
            _same(summary[0], service.summary(con, one), "one period")


def test_every_kpi_both_ways_on_a_group(group_db):
    with db.connect(group_db, read_only=True) as con:
        stores = db.list_stores(con)
        for scope in _scopes(stores[1]):
            _both_ways(con, scope)
        # Churn has a value (visits before the cut) and the group has several brands.
        assert (
            service.summary(con, Scope.for_month("2026-10", today=END))["customer_churn_rate"]
            is not None
        )
        assert len(service.by_store(con, Scope.for_month("2026-10", today=END), by="brand")) > 1


def _assert_tables_fresh(con: duckdb.DuckDBPyConnection) -> None:
    """Assert each summary table holds exactly its SELECT recomputed over every store."""
    for d in SERVICE_TABLES:
        n = len(con.execute(f"SELECT * FROM {d.name} LIMIT 0").description)
        order = ", ".join(str(i + 1) for i in range(n))
        stored = con.execute(f"SELECT * FROM {d.name} ORDER BY {order}").fetchall()
        fresh = con.execute(f"SELECT * FROM ({d.select('true')}) ORDER BY {order}").fetchall()
        _same(stored, fresh, d.name)


def _csv(rows: list[dict[str, Any]]) -> bytes:
    head = list(rows[0])
    lines = [",".join(head)] + [
        ",".join("" if r[c] is None else str(r[c]) for c in head) for r in rows
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _ro(rid: str, opened: str, closed: str | None, ro_type: str = "repair", vin: str = "V1"):
    return {
        "ro_id": rid, "open_date": opened, "close_date": closed, "vin": vin,
        "customer_id": "C-1", "ro_type": ro_type, "advisor": "A", "technician": "T",
        "labor_hours": 2.5, "labor_revenue": 400.0, "labor_cost": 50.0,
        "parts_revenue": 300.0, "parts_cost": 180.0, "comeback": None,
    }  # fmt: skip


def test_tables_follow_imports_upserts_and_undo(group_db, tmp_path):
    path = copy_db(Path(group_db), tmp_path / "group.duckdb")
    with db.connect(path) as con:
        store = db.list_stores(con)[0]
        moved = con.execute(
            "SELECT ro_id, vin FROM repair_orders WHERE store = $s AND close_date IS NOT NULL "
            "AND ro_type = 'repair' ORDER BY ro_id LIMIT 1",
            {"s": store},
        ).fetchone()
        _assert_tables_fresh(con)
    # A new month for one store: new ROs, one a comeback of another, one still open.
    new_month = [
        _ro("N-1", "2026-12-01", "2026-12-02", vin="NEW-1"),
        _ro("N-2", "2026-12-10", "2026-12-12", vin="NEW-1"),
        _ro("N-3", "2026-12-20", None, ro_type="maintenance", vin="NEW-2"),
    ]
    report = importer.import_files(path, "repair_orders", [("dec.csv", _csv(new_month))],
                                   store=store, user="test")  # fmt: skip
    assert report.ok, report
    with db.connect(path) as con:
        _assert_tables_fresh(con)
        assert con.execute(
            "SELECT comebacks FROM summary_service_days WHERE store = $s AND day = '2026-12-10'",
            {"s": store},
        ).fetchall() == [(1,)]
    # An upsert moving an existing RO to another day, type and VIN (the key is its ro_id).
    upsert = [_ro(moved[0], "2026-11-03", "2026-11-20", ro_type="warranty", vin="NEW-2")]
    second = importer.import_files(path, "repair_orders", [("fix.csv", _csv(upsert))],
                                   store=store, user="test")  # fmt: skip
    assert second.ok, second
    with db.connect(path) as con:
        _assert_tables_fresh(con)
        last = con.execute("SELECT max(import_id) FROM imports").fetchone()[0]
        uploads.undo_import(con, MANAGER, last)
        _assert_tables_fresh(con)
        assert con.execute(
            "SELECT vin FROM repair_orders WHERE store = $s AND ro_id = $r",
            {"s": store, "r": moved[0]},
        ).fetchone() == (moved[1],)
    # A parts snapshot of a new month for one store.
    parts = [
        {"month": "2026-12", "part_no": "P1", "qty": 2, "unit_cost": 10.0,
         "last_movement_date": "2026-01-05"},
        {"month": "2026-12", "part_no": "P2", "qty": 1, "unit_cost": 7.5,
         "last_movement_date": "2026-12-01"},
    ]  # fmt: skip
    third = importer.import_files(path, "parts_stock", [("p.csv", _csv(parts))],
                                  store=store, user="test")  # fmt: skip
    assert third.ok, third
    with db.connect(path) as con:
        _assert_tables_fresh(con)
        # 2 x 10.0 + 1 x 7.5 = 27.5; P1 idle from 2026-01-05 to 2026-12-31 (> 180 days): 20.0
        assert con.execute(
            "SELECT snapshot_rows, stock_value, obsolete_value FROM summary_service_parts "
            "WHERE store = $s AND month = '2026-12'",
            {"s": store},
        ).fetchall() == [(2, 27.5, 20.0)]


def _hand_ro(rid, opened, closed, ro_type="repair", vin="V1", tech="T1"):
    return {
        "ro_id": rid, "open_date": opened, "close_date": closed, "vin": vin,
        "customer_id": "C1", "ro_type": ro_type, "advisor": "A1", "technician": tech,
        "labor_hours": 2.0, "labor_revenue": 300.0, "labor_cost": 40.0,
        "parts_revenue": 500.0, "parts_cost": 350.0,
    }  # fmt: skip


def test_a_hand_worked_summary(con):
    insert(
        con,
        "repair_orders",
        [
            _hand_ro("R1", date(2026, 9, 1), date(2026, 9, 3)),
            # Opened 09-10, within 30 days of R1's close: a comeback; closed 10-02.
            _hand_ro("R2", date(2026, 9, 10), date(2026, 10, 2)),
            _hand_ro("R3", date(2026, 9, 10), None, ro_type="warranty", vin="V2"),
            _hand_ro("R4", date(2026, 9, 10), date(2026, 9, 10), ro_type="internal", vin="V3"),
        ],
    )
    rows = con.execute(
        "SELECT day, ro_type, ro_count, ftf_base, comebacks, closed_ro_count, service_revenue,"
        " service_gross, warranty_gross, parts_cost, settled FROM summary_service_days"
        " ORDER BY day, ro_type"
    ).fetchall()
    # R1 opened 09-01; closed 09-03: revenue 300 + 500 = 800, gross 800 - 40 - 350 = 410.
    # 09-10: R2 (a comeback) and R3 opened; R4 is internal and counts nowhere.
    # R2 closed and settled 10-02; R3 is still open.
    assert rows == [
        (date(2026, 9, 1), "repair", 1, 1, 0, 0, 0.0, 0.0, 0.0, 0.0, 0),
        (date(2026, 9, 3), "repair", 0, 0, 0, 1, 800.0, 410.0, 0.0, 350.0, 1),
        (date(2026, 9, 10), "repair", 1, 1, 1, 0, 0.0, 0.0, 0.0, 0.0, 0),
        (date(2026, 9, 10), "warranty", 1, 1, 0, 0, 0.0, 0.0, 0.0, 0.0, 0),
        (date(2026, 10, 2), "repair", 0, 0, 0, 1, 800.0, 410.0, 0.0, 350.0, 1),
    ]
    # Churn changes: V1's visit of 09-01 (none before) is its first of the 24 months for
    # as_of 2026-09-01 .. 2028-08-31 (b = as_of - 24 months < 09-01), of the 12 months for
    # 2026-09-01 .. 2027-09-01; its visit of 09-10 (09-01 before) takes over from 2028-09-01
    # (b >= 09-01) to 2028-09-09, and from 2027-09-02 to 2027-09-10 for the 12 months. V2
    # (09-10, none before): 2026-09-10 .. 2028-09-09 and .. 2027-09-10. Days where the +1 and
    # -1 cancel have no row.
    assert con.execute(
        "SELECT day, base_delta, kept_delta, first_visits FROM summary_service_churn ORDER BY day"
    ).fetchall() == [
        (date(2026, 9, 1), 1, 1, 1),
        (date(2026, 9, 10), 1, 1, 1),
        (date(2027, 9, 11), 0, -2, 0),
        (date(2028, 9, 10), -2, 0, 0),
    ]
    # September as of 09-30: 3 opened; 1 closed (800); open on 09-30: R2 and R3 (3 - 1
    # settled); first-time fix 1 - 1 / 3 (R2 a comeback of R1).
    sept = Scope.for_month("2026-09", today=date(2026, 10, 15))
    got = service.summary(con, sept)
    assert (got["ro_count"], got["service_revenue"], got["open_ros"]) == (3, 800.0, 2)
    assert got["first_time_fix_rate"] == pytest.approx(1 - 1 / 3, rel=1e-12)
    # The KPI reads the summary: a summary row changed by hand changes it (raw does not).
    con.execute("UPDATE summary_service_days SET ro_count = 5 WHERE day = '2026-09-01'")
    assert service.summary(con, sept)["ro_count"] == 7
    with query.raw_rows():
        assert service.summary(con, sept)["ro_count"] == 3
    # An advisor filter reads the rows (the summaries keep no advisor).
    by_advisor = Scope.for_month("2026-09", today=date(2026, 10, 15), advisor="A1")
    assert service.summary(con, by_advisor)["ro_count"] == 3


@pytest.mark.slow  # every day of two years both ways: the full gate
def test_churn_both_ways_on_every_day(con):
    # Visits on month ends and leap days, where as_of - 12 or 24 months clamps its day.
    days = {
        "A": ["2024-02-29", "2025-02-28", "2026-03-01"],
        "B": ["2024-03-31", "2026-02-28", "2026-02-28", "2028-02-29"],
        "C": ["2025-01-31", "2025-12-31", "2027-02-28"],
        "D": ["2024-02-28", "2026-08-31"],
        "E": ["2025-06-30", "2026-06-30", "2027-06-29"],
    }
    rows = [
        _hand_ro(f"{vin}{i}", date.fromisoformat(d), None, ro_type=kind, vin=vin)
        for vin, dates in days.items()
        for i, d in enumerate(dates)
        for kind in (["repair"] if vin != "E" or i else ["internal"])
    ]
    insert(con, "repair_orders", rows)
    as_ofs = [date.fromordinal(n) for n in range(date(2024, 2, 1).toordinal(),
                                                 date(2030, 4, 1).toordinal())]  # fmt: skip
    for i in range(0, len(as_ofs), 100):
        scopes = [Scope.for_range(a, a, today=a) for a in as_ofs[i : i + 100]]
        summary = service._churn_rates(con, scopes)
        with query.raw_rows():
            raw = service._churn_rates(con, scopes)
        _same(summary, raw, f"churn from {as_ofs[i]}")
    # As of 2026-03-01 the 24 months are (2024-03-01, 2026-03-01], the 12 from 2025-03-01:
    # A (last 2026-03-01), B (2026-02-28) and C (2025-12-31) are in the base and kept; D's
    # 2024-02-28 is before it, E's first visit counted (2025-06-30) is internal: 0 / 3 lost.
    as_of = date(2026, 3, 1)
    assert service._churn_rates(con, [Scope.for_range(as_of, as_of, today=as_of)]) == [0.0]
