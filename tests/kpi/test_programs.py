"""Tests of kpi/programs.py against hand-worked values (KPI-CATALOGUE.md, "Manufacturer
programmes")."""

from __future__ import annotations

from datetime import date

import pytest

from kpi import programs
from kpi.report import compute_kpis, flatten, to_csv
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release

SEPT = Scope.for_month("2026-09", today=date(2026, 10, 20), store="s1")  # complete: as_of 09-30
SEPT_15 = Scope.for_month("2026-09", today=date(2026, 9, 15), store="s1")  # running: as_of 09-15
AUG = Scope.for_month("2026-08", today=date(2026, 10, 20), store="s1")
Q3_DAYS = 92  # 2026-07-01 .. 09-30: 31 + 31 + 30
ELAPSED_0915 = 77  # 07-01 .. 09-15: 31 + 31 + 15


def delivery(oid, day, cost, status="delivered", sale_type="retail"):
    return {
        "order_id": oid, "order_date": date(2026, 6, 1), "delivery_date": day,
        "status": status, "customer_id": oid, "consultant": "Li", "model": "M1",
        "sale_type": sale_type, "buyer_type": "private", "channel": "autohome",
        "sale_price": cost + 5000, "vehicle_cost": cost, "rebate": 0.0, "finance": False,
        "insurance": False, "fi_income": 0.0, "trade_in": False,
        "accessories_revenue": 0.0, "accessories_cost": 0.0,
    }  # fmt: skip


def vehicle(vin, cost, wholesale=None, arrival=None):
    return {"vin": vin, "model": "M1", "cost": cost, "wholesale_date": wholesale,
            "arrival_date": arrival}  # fmt: skip


def tier(pid, n, min_ach, per_unit=0.0, pct=0.0, *, start, end, basis, target):
    return {"program_id": pid, "name": f"{pid} 政策", "start_date": start, "end_date": end,
            "basis": basis, "target_units": target, "tier": n, "min_achievement": min_ach,
            "per_unit": per_unit, "pct_of_cost": pct}  # fmt: skip


Q3 = {"start": date(2026, 7, 1), "end": date(2026, 9, 30)}


@pytest.fixture(scope="module")
def data():
    """Store s1 (and s2 for pooling): retail and wholesale programmes of Q3 2026 and others."""
    con = memory_db()  # read only: the module's tests share it
    insert(con, "orders", [
        delivery("D1", date(2026, 6, 30), 100000.0),  # before Q3
        delivery("D2", date(2026, 7, 10), 100000.0),
        delivery("D3", date(2026, 7, 20), 120000.0),
        delivery("D4", date(2026, 8, 5), 110000.0, sale_type="fleet"),  # every sale type counts
        delivery("D5", date(2026, 8, 20), 130000.0),
        delivery("D6", date(2026, 9, 10), 140000.0),
        delivery("D7", date(2026, 9, 25), 100000.0),  # after as_of 09-15
        delivery("D8", date(2026, 10, 2), 100000.0),  # after Q3
        delivery("X1", date(2026, 8, 10), 100000.0, status="cancelled"),
        delivery("X2", None, 100000.0, status="open"),
    ])  # fmt: skip
    insert(con, "orders", [delivery("E1", date(2026, 8, 1), 90000.0)], store="s2")
    insert(con, "vehicles", [
        vehicle("V1", 100000.0, wholesale=date(2026, 6, 28), arrival=date(2026, 7, 3)),  # June
        vehicle("V2", 100000.0, arrival=date(2026, 7, 5)),  # no wholesale date: arrival
        vehicle("V3", 120000.0, wholesale=date(2026, 7, 15), arrival=date(2026, 7, 25)),
        vehicle("V4", 110000.0, wholesale=date(2026, 8, 1)),  # in transit
        vehicle("V9", 120000.0, wholesale=date(2026, 9, 5)),
        vehicle("V5", 150000.0, wholesale=date(2026, 9, 30), arrival=date(2026, 10, 6)),
        vehicle("V8", 100000.0, wholesale=date(2026, 10, 1), arrival=date(2026, 9, 20)),
        vehicle("V7", 100000.0),  # ordered only
    ])  # fmt: skip
    r = {**Q3, "basis": "retail", "target": 5}
    w = {**Q3, "basis": "wholesale", "target": 5}
    w2 = {**Q3, "basis": "wholesale", "target": 10}
    span = {"start": date(2026, 8, 16), "end": date(2026, 9, 15), "basis": "retail", "target": 2}
    late = {"start": date(2026, 9, 20), "end": date(2026, 10, 19), "basis": "retail",
            "target": 4}  # fmt: skip
    zero = {**Q3, "basis": "retail", "target": 0}
    insert(con, "rebate_programs", [
        tier("R", 1, 0.8, 1000.0, **r),
        tier("R", 2, 1.0, 1000.0, 0.01, **r),
        tier("R", 3, 1.3, 3000.0, **r),
        tier("W", 1, 1.0, 1500.0, **w),
        tier("W", 2, 1.1, 1500.0, 0.005, **w),
        tier("W2", 1, 0.7, 1000.0, **w2),
        tier("W2", 2, 1.1, 2000.0, **w2),
        tier("AS", 1, 1.0, 500.0, **span),
        tier("LATE", 1, 1.0, 100.0, **late),
        tier("ZERO", 1, 0.8, 1000.0, **zero),
        tier("Q2", 1, 1.0, 1000.0, start=date(2026, 4, 1), end=date(2026, 6, 30),
             basis="retail", target=1),  # ends before September: not listed
    ])  # fmt: skip
    insert(con, "rebate_programs", [
        tier("R", 1, 1.0, 800.0, **{**Q3, "basis": "retail", "target": 1})
    ], store="s2")  # fmt: skip
    yield con
    release(con)


def test_complete_month(data):
    t = programs.report(data, SEPT)
    assert t["wholesale_units"] == 2  # V9 09-05, V5 09-30 (V8's wholesale date is 10-01)
    assert set(t["program_achievement"]) == {"R", "W", "W2", "AS", "LATE", "ZERO"}
    # R: D2..D7 = 6 deliveries of Q3 (D1 June, D8 October, cancelled and open not), target 5.
    assert t["program_achievement"]["R"] == pytest.approx(1.2)  # 6 / 5
    # Tier 2 (100 %) reached: 6 × (1,000 + 1 % × 700,000 / 6) = 6,000 + 7,000 = 13,000.
    assert t["rebate_earned"]["R"] == pytest.approx(13000.0)
    # Tier 3 (130 %): ceil(6.5) = 7 units, 1 more; 7 × 3,000 − 13,000 = 8,000.
    assert t["rebate_next_tier_units"]["R"] == 1
    assert t["rebate_next_tier_gain"]["R"] == pytest.approx(8000.0)
    assert t["rebate_projected"]["R"] == pytest.approx(13000.0)  # as_of = end_date: earned
    # W (wholesale): V2 (arrival 07-05), V3, V4, V9, V5 = 5 units, Σ cost 600,000, mean 120,000.
    assert t["program_achievement"]["W"] == pytest.approx(1.0)
    assert t["rebate_earned"]["W"] == pytest.approx(7500.0)  # tier 1: 5 × 1,500
    assert t["rebate_next_tier_units"]["W"] == 1  # ceil(1.1 × 5 − 1e-9) = 6 − 5
    # 6 × (1,500 + 0.5 % × 120,000) = 6 × 2,100 = 12,600; − 7,500 = 5,100.
    assert t["rebate_next_tier_gain"]["W"] == pytest.approx(5100.0)
    # W2: 0.7 × 10 is 7.000000000000001 in floating point: ceil(x − 1e-9) = 7, 2 more units.
    assert t["program_achievement"]["W2"] == pytest.approx(0.5)
    assert t["rebate_earned"]["W2"] == 0
    assert t["rebate_next_tier_units"]["W2"] == 2
    assert t["rebate_next_tier_gain"]["W2"] == pytest.approx(7000.0)  # 7 × 1,000 − 0
    # AS (08-16 .. 09-15) spans two months: D5 08-20 and D6 09-10 count in September's report.
    assert t["program_achievement"]["AS"] == pytest.approx(1.0)  # 2 / 2
    assert t["rebate_earned"]["AS"] == pytest.approx(1000.0)  # 2 × 500
    assert t["rebate_next_tier_units"]["AS"] is None  # top tier
    assert t["rebate_next_tier_gain"]["AS"] is None
    assert t["rebate_projected"]["AS"] == pytest.approx(1000.0)  # after end_date: earned
    # LATE (09-20 .. 10-19): D7 09-25 counts; 1 / 4 = 25 %; 3 more units to earn 4 × 100.
    assert t["program_achievement"]["LATE"] == pytest.approx(0.25)
    assert t["rebate_next_tier_units"]["LATE"] == 3
    assert t["rebate_next_tier_gain"]["LATE"] == pytest.approx(400.0)
    # Running on 09-30: 1 unit in 11 days × 30 days = 2.727 units, 68 %: no tier.
    assert t["rebate_projected"]["LATE"] == 0
    # ZERO: target 0 has no achievement, no tier and no next tier.
    assert t["program_achievement"]["ZERO"] is None
    assert t["rebate_earned"]["ZERO"] == 0
    assert t["rebate_next_tier_units"]["ZERO"] is None
    assert t["rebate_next_tier_gain"]["ZERO"] is None


def test_running_month(data):
    t = programs.report(data, SEPT_15)
    assert t["wholesale_units"] == 1  # V9 09-05 (V5 09-30 is after as_of)
    # R to 09-15: D2..D6 = 5 units, Σ cost 600,000, mean 120,000; 5 / 5 = 100 %: tier 2.
    assert t["program_achievement"]["R"] == pytest.approx(1.0)
    assert t["rebate_earned"]["R"] == pytest.approx(11000.0)  # 5 × (1,000 + 1,200)
    assert t["rebate_next_tier_units"]["R"] == 2  # 7 − 5
    assert t["rebate_next_tier_gain"]["R"] == pytest.approx(10000.0)  # 7 × 3,000 − 11,000
    # Pace: 5 / 77 days × 92 days = 5.974 units (119 %, tier 2) × 2,200 = 1,012,000 / 77.
    assert t["rebate_projected"]["R"] == pytest.approx(5 / ELAPSED_0915 * Q3_DAYS * 2200)
    assert t["rebate_projected"]["R"] == pytest.approx(13142.857142857)
    # W to 09-15: V2, V3, V4, V9 = 4 units, 80 %: no tier; 1 more unit for 5 × 1,500.
    assert t["program_achievement"]["W"] == pytest.approx(0.8)
    assert t["rebate_earned"]["W"] == 0
    assert t["rebate_next_tier_units"]["W"] == 1
    assert t["rebate_next_tier_gain"]["W"] == pytest.approx(7500.0)
    assert t["rebate_projected"]["W"] == 0  # 4 / 77 × 92 = 4.78 units, 96 %: no tier
    # AS ends on as_of: its projection is what it earned (D5, D6: 2 × 500).
    assert t["rebate_projected"]["AS"] == pytest.approx(1000.0)
    # LATE starts 09-20, after as_of: nothing counted, no projection yet.
    assert t["program_achievement"]["LATE"] == 0
    assert t["rebate_earned"]["LATE"] == 0
    assert t["rebate_next_tier_units"]["LATE"] == 4
    assert t["rebate_projected"]["LATE"] is None


def test_a_programme_spanning_two_months_in_august(data):
    t = programs.report(data, AUG)
    assert t["wholesale_units"] == 1  # V4 08-01
    # AS 08-16 .. 09-15 on 08-31: D5 only; 1 / 2 = 50 %; 1 more unit for 2 × 500.
    assert t["program_achievement"]["AS"] == pytest.approx(0.5)
    assert t["rebate_earned"]["AS"] == 0
    assert t["rebate_next_tier_units"]["AS"] == 1
    assert t["rebate_next_tier_gain"]["AS"] == pytest.approx(1000.0)
    # Pace: 1 unit in 16 days × 31 days = 1.9375 units, 96.9 %: no tier.
    assert t["rebate_projected"]["AS"] == 0
    # R on 08-31: D2..D5 = 4 units, 80 %: tier 1, 4 × 1,000.
    assert t["rebate_earned"]["R"] == pytest.approx(4000.0)
    # Pace: 4 / 62 days × 92 = 5.935 units, 118.7 %: tier 2 at a mean cost of 460,000 / 4 =
    # 115,000: 5.935 × (1,000 + 1,150) = 368 / 62 × 2,150.
    assert t["rebate_projected"]["R"] == pytest.approx(4 / 62 * 92 * 2150)
    assert "LATE" not in t["program_achievement"]  # starts after August


def test_detail_for_the_manufacturer_page(data):
    detail = {d["program_id"]: d for d in programs.programs_detail(data, SEPT_15)}
    r = detail["R"]
    assert (r["name"], r["basis"], r["start_date"], r["end_date"], r["target_units"]) == (
        "R 政策",
        "retail",
        date(2026, 7, 1),
        date(2026, 9, 30),
        5,
    )
    assert (r["units"], r["tier_reached"], r["next_tier"]) == (5, 2, 3)
    assert (r["days_total"], r["days_elapsed"], r["days_left"]) == (92, 77, 15)
    # Tier thresholds: ceil(0.8 × 5) = 4, 5, ceil(6.5) = 7 units; amounts at mean cost 120,000.
    assert [(t["tier"], t["min_achievement"], t["units"], t["amount"]) for t in r["tiers"]] == [
        (1, 0.8, 4, 4000.0),  # 4 × 1,000
        (2, 1.0, 5, pytest.approx(11000.0)),  # 5 × (1,000 + 1,200)
        (3, 1.3, 7, 21000.0),  # 7 × 3,000
    ]
    assert detail["LATE"]["days_left"] == 30  # 09-20 .. 10-19, not started
    assert detail["LATE"]["projected"] is None


def test_pooled_stores_key_by_store_and_programme(data):
    pooled = Scope.for_month("2026-09", today=date(2026, 10, 20))
    t = programs.report(data, pooled)
    assert t["wholesale_units"] == 2  # s2 has no vehicles
    assert t["rebate_earned"]["s1/R"] == pytest.approx(13000.0)
    # s2: E1 08-01, 1 / 1 = 100 %: 800 for the one unit.
    assert t["rebate_earned"]["s2/R"] == pytest.approx(800.0)
    assert t["program_achievement"]["s2/R"] == pytest.approx(1.0)
    assert "R" not in t["rebate_earned"]


def test_report_json_and_csv_carry_every_programme_id(data):
    kpis = compute_kpis(data, SEPT)
    for kpi_id in ("wholesale_units", *programs.TABLE_IDS):
        assert kpi_id in kpis
    rows = dict(flatten(kpis))
    assert rows["rebate_earned.R"] == pytest.approx(13000.0)
    assert rows["program_achievement.ZERO"] is None
    text = to_csv({"kpis": kpis})
    assert "rebate_next_tier_units.W2,2\n" in text
    assert "program_achievement.ZERO,\n" in text  # no value: empty


def test_empty_database(con):
    t = programs.report(con, SEPT)
    assert t == {"wholesale_units": 0, **{k: {} for k in programs.TABLE_IDS}}
    assert programs.programs_detail(con, SEPT) == []
