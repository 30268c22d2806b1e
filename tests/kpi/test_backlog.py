"""Tests of kpi/backlog.py against hand-worked values (KPI-CATALOGUE.md, "Sales and showroom":
backlog_orders, backlog_unmatched, backlog_age_days and the allocation rule)."""

from __future__ import annotations

from datetime import date

import pytest

from kpi import backlog
from kpi.report import compute_kpis
from kpi.scope import Scope
from tests.helpers import insert

RUNNING = Scope.for_month("2026-09", today=date(2026, 9, 15), store="s1")  # as_of 09-15
COMPLETE = Scope.for_month("2026-09", today=date(2026, 10, 20), store="s1")  # as_of 09-30
LAVIDA, TIGUAN, PASSAT = "朗逸", "途观L", "帕萨特"


def order(oid, day, model=LAVIDA, vin=None, status="open", delivered=None, consultant="A"):
    return {
        "order_id": oid, "order_date": day, "delivery_date": delivered, "status": status,
        "customer_id": f"c-{oid}", "consultant": consultant, "model": model, "vin": vin,
        "sale_type": "retail", "buyer_type": "private", "channel": "autohome",
        "sale_price": 150000.0, "vehicle_cost": 140000.0, "rebate": 0.0, "finance": False,
        "insurance": False, "fi_income": 0.0, "trade_in": False,
        "accessories_revenue": 0.0, "accessories_cost": 0.0,
    }  # fmt: skip


def car(vin, model=LAVIDA, arrival=None, eta=None, ordered=None, sold=None):
    return {"vin": vin, "model": model, "arrival_date": arrival, "eta": eta,
            "ordered_date": ordered, "sold_date": sold, "cost": 140000.0}  # fmt: skip


@pytest.fixture
def data(con):
    insert(con, "orders", [
        order("O1", date(2026, 8, 1), vin="VA"),  # keeps its own VIN (in stock)
        order("O2", date(2026, 8, 5)),
        order("O3", date(2026, 8, 5), consultant="B"),  # same day as O2: after it (order_id)
        order("O4", date(2026, 9, 1)),
        order("O5", date(2026, 9, 2)),
        order("O6", date(2026, 9, 3)),
        order("O7", date(2026, 9, 4)),
        order("O8", date(2026, 9, 5), vin="VD", status="delivered",
              delivered=date(2026, 9, 20)),  # delivered after as_of 09-15: waits on 09-15
        order("O9", date(2026, 9, 6), model=TIGUAN, vin="VX"),  # VX was sold: no own VIN
        order("O10", date(2026, 9, 7), status="cancelled"),
        order("O11", date(2026, 8, 1), status="delivered", delivered=date(2026, 9, 10)),
        order("O12", date(2026, 9, 16)),  # after as_of 09-15
        order("O13", date(2026, 9, 8), model=PASSAT),  # no Passat anywhere
        order("O14", date(2026, 9, 9)),
    ])  # fmt: skip
    insert(con, "vehicles", [
        car("VA", arrival=date(2026, 8, 20)),
        car("VB", arrival=date(2026, 8, 10)),
        car("VC", arrival=date(2026, 8, 10)),  # same arrival as VB: VB first (vin)
        car("VD", arrival=date(2026, 9, 1)),  # O8's; sold 09-20 through O8's delivery
        car("VE", ordered=date(2026, 8, 1), eta=date(2026, 9, 25), arrival=date(2026, 9, 16)),
        car("VT1", ordered=date(2026, 8, 15), eta=date(2026, 9, 20)),
        car("VT2", ordered=date(2026, 8, 20)),  # no eta: last of the transit
        car("VT3", ordered=date(2026, 8, 25), eta=date(2026, 9, 18)),
        car("VF", ordered=date(2026, 9, 20)),  # ordered after 09-15
        car("VS", arrival=date(2026, 7, 1), sold=date(2026, 8, 30)),  # sold
        car("VX", model=TIGUAN, arrival=date(2026, 8, 1), sold=date(2026, 9, 10)),
        car("VG", model=TIGUAN, arrival=date(2026, 9, 12)),
    ])  # fmt: skip
    insert(con, "orders", [order("O1", date(2026, 9, 1))], store="s2")  # s2 has no cars
    return con


def test_allocation_while_the_month_runs(data):
    rows = {r["order_id"]: r for r in backlog.backlog_records(data, RUNNING)}
    # Backlog on 09-15: O1..O9, O13, O14 (O10 cancelled, O11 delivered 09-10, O12 after).
    assert sorted(rows, key=lambda o: int(o[1:])) == [
        "O1",
        "O2",
        "O3",
        "O4",
        "O5",
        "O6",
        "O7",
        "O8",
        "O9",
        "O13",
        "O14",
    ]
    got = {o: (r["vin"], r["allocated_from"]) for o, r in rows.items()}
    assert got == {
        "O1": ("VA", "own_vin"),
        "O8": ("VD", "own_vin"),  # VD is in stock on 09-15 (sold 09-20)
        "O2": ("VB", "stock"),  # free Lavida stock: VB, VC (both 08-10; by vin)
        "O3": ("VC", "stock"),
        # in transit on 09-15 by eta: VT3 09-18, VT1 09-20, VE 09-25 (arrives 09-16), VT2 none
        "O4": ("VT3", "transit"),
        "O5": ("VT1", "transit"),
        "O6": ("VE", "transit"),
        "O7": ("VT2", "transit"),
        "O9": ("VG", "stock"),  # VX was sold; the Tiguan in stock
        "O13": (None, None),  # no Passat
        "O14": (None, None),  # every Lavida taken (VF is ordered only on 09-20)
    }
    assert rows["O1"]["days_waiting"] == 45  # 08-01 .. 09-15
    assert (rows["O3"]["store"], rows["O3"]["consultant"], rows["O3"]["model"]) == (
        "s1",
        "B",
        LAVIDA,
    )
    s = backlog.summary(data, RUNNING)
    assert s["backlog_orders"] == 11
    assert s["backlog_unmatched"] == 2  # O13, O14
    # Ages: O1 45, O2 41, O3 41, O4 14, O5 13, O6 12, O7 11, O8 10, O9 9, O13 7, O14 6 = 209.
    assert s["backlog_age_days"] == pytest.approx(209 / 11)


def test_allocation_at_the_month_end(data):
    got = {r["order_id"]: (r["vin"], r["allocated_from"])
           for r in backlog.backlog_records(data, COMPLETE)}  # fmt: skip
    # On 09-30: O8 delivered (09-20), O12 (09-16) waits. VE arrived (stock), VF in transit.
    assert got == {
        "O1": ("VA", "own_vin"),
        "O2": ("VB", "stock"),
        "O3": ("VC", "stock"),
        "O4": ("VE", "stock"),  # stock before transit
        "O5": ("VT3", "transit"),  # eta 09-18
        "O6": ("VT1", "transit"),  # eta 09-20
        "O7": ("VF", "transit"),  # no eta, like VT2: by vin, VF first
        "O9": ("VG", "stock"),
        "O14": ("VT2", "transit"),
        "O12": (None, None),
        "O13": (None, None),
    }
    s = backlog.summary(data, COMPLETE)
    assert (s["backlog_orders"], s["backlog_unmatched"]) == (11, 2)


def test_a_consultant_filter_reports_their_orders_after_the_whole_allocation(data):
    scope = RUNNING.with_filters(consultant="B")
    (row,) = backlog.backlog_records(data, scope)
    assert (row["order_id"], row["vin"]) == ("O3", "VC")  # O2 (older) still took VB
    assert backlog.summary(data, scope) == {
        "backlog_orders": 1,
        "backlog_unmatched": 0,
        "backlog_age_days": 41.0,
    }


def test_pooled_stores_allocate_within_each_store(data):
    pooled = Scope.for_month("2026-09", today=date(2026, 9, 15))
    s = backlog.summary(data, pooled)
    assert s["backlog_orders"] == 12  # 11 in s1 + s2's O1
    assert s["backlog_unmatched"] == 3  # O13, O14 and s2's O1 (s1's cars are not s2's)
    # (209 + 14) / 12: s2's O1 ordered 09-01 waits 14 days.
    assert s["backlog_age_days"] == pytest.approx(223 / 12)


def test_the_report_carries_the_backlog_in_sales(data):
    kpis = compute_kpis(data, RUNNING, sections=("sales",))
    assert (kpis["backlog_orders"], kpis["backlog_unmatched"]) == (11, 2)


def test_empty_database(con):
    assert backlog.summary(con, RUNNING) == {
        "backlog_orders": 0,
        "backlog_unmatched": 0,
        "backlog_age_days": None,
    }
    assert backlog.backlog_list(con, RUNNING).empty
    assert list(backlog.backlog_list(con, RUNNING).columns) == list(backlog.LIST_COLUMNS)


def test_summaries_allocate_on_each_periods_as_of_in_one_pass(data):
    october = Scope.for_month("2026-10", today=date(2026, 10, 15), store="s1")
    now, before, year_ago = backlog.summaries(data, october)
    # The previous period is September 1-15, as_of 09-15: RUNNING's allocation.
    assert before == {"backlog_orders": 11, "backlog_unmatched": 2,
                      "backlog_age_days": pytest.approx(209 / 11)}  # fmt: skip
    # September 2025: no order yet.
    assert year_ago == {"backlog_orders": 0, "backlog_unmatched": 0, "backlog_age_days": None}
    assert now == backlog.summary(data, october)
    # The earliest as_of (09-15) bounds what DuckDB reads: O8 (delivered 09-20) and its VD
    # (sold 09-20) are still read for it.
    assert backlog.summaries(data, october, shifts=(0, -1)) == [now, before]
    (complete,) = backlog.summaries(data, COMPLETE, shifts=(0,))
    assert (complete["backlog_orders"], complete["backlog_unmatched"]) == (11, 2)
    assert backlog.summaries(data, RUNNING.with_filters(consultant="B"), shifts=(0,)) == [
        {"backlog_orders": 1, "backlog_unmatched": 0, "backlog_age_days": 41.0}
    ]


@pytest.mark.parametrize(
    "scope",
    [
        RUNNING,
        COMPLETE,
        RUNNING.with_filters(consultant="B"),
        RUNNING.with_filters(model=LAVIDA),
        Scope.for_month("2026-09", today=date(2026, 9, 15)),  # both stores
        Scope.for_month("2026-09", today=date(2026, 9, 3), store="s1"),
    ],
)
def test_the_summary_counts_what_the_allocation_lists(data, scope):
    """summary() counts the free vehicles per model instead of allocating them one by one
    (kpi/backlog.py, _counted): its figures are those of the list's rows."""
    rows = backlog.backlog_records(data, scope)
    s = backlog.summary(data, scope)
    assert s["backlog_orders"] == len(rows)
    assert s["backlog_unmatched"] == sum(r["vin"] is None for r in rows)
    assert [s] == backlog.summaries(data, scope, shifts=(0,))
