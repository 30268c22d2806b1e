"""Tests of kpi/finance.py against hand-worked values (KPI-CATALOGUE.md, "Finance")."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kpi import finance
from kpi.scope import Scope
from tests.helpers import insert

SEPT = Scope.for_month("2026-09", today=date(2026, 10, 5))


def order(oid, delivered, status="delivered", sale=100000.0, cost=95000.0, rebate=0.0,
          fi=0.0, acc_rev=0.0, acc_cost=0.0, sale_type="retail", consultant="Li"):  # fmt: skip
    """Return an orders row delivered on `delivered` (None: not delivered)."""
    return {
        "order_id": oid, "order_date": date(2026, 8, 20), "delivery_date": delivered,
        "status": status, "customer_id": oid, "consultant": consultant, "model": "M1",
        "sale_type": sale_type, "buyer_type": "private", "channel": "autohome",
        "sale_price": sale, "vehicle_cost": cost, "rebate": rebate, "finance": fi > 0,
        "insurance": False, "fi_income": fi, "trade_in": False,
        "accessories_revenue": acc_rev, "accessories_cost": acc_cost,
    }  # fmt: skip


def ro(rid, closed, labor=0.0, parts=0.0, labor_cost=0.0, parts_cost=0.0, ro_type="repair"):
    """Return a repair_orders row closed on `closed` (None: still open)."""
    return {
        "ro_id": rid, "open_date": date(2026, 8, 25), "close_date": closed, "vin": f"V{rid}",
        "customer_id": rid, "ro_type": ro_type, "advisor": "Zhao", "technician": "Sun",
        "labor_hours": 1.0, "labor_revenue": labor, "labor_cost": labor_cost,
        "parts_revenue": parts, "parts_cost": parts_cost, "comeback": False,
    }  # fmt: skip


def expense(month, department, category, amount, fixed):
    return {"month": month, "department": department, "category": category,
            "amount": amount, "fixed": fixed}  # fmt: skip


@pytest.fixture
def store(con):
    """September 2026 of store s1: two deliveries, two service ROs and four expenses."""
    insert(con, "orders", [
        # (100000 − 95000 + 2000) = 7000; F&I 1500; accessories 3000 − 1000 = 2000
        order("o1", date(2026, 9, 1), sale=100000.0, cost=95000.0, rebate=2000.0, fi=1500.0,
              acc_rev=3000.0, acc_cost=1000.0),
        # (200000 − 190000 + 1000) = 11000; F&I 2500; accessories 2000 − 1500 = 500 (fleet)
        order("o2", date(2026, 9, 30), sale=200000.0, cost=190000.0, rebate=1000.0, fi=2500.0,
              acc_rev=2000.0, acc_cost=1500.0, sale_type="fleet", consultant="Wang"),
        order("o3", date(2026, 10, 1), rebate=9000.0),  # October
        order("o4", date(2026, 9, 10), status="cancelled", rebate=9000.0),
        order("o5", None, status="open", rebate=9000.0),
    ])  # fmt: skip
    insert(con, "repair_orders", [
        ro("r1", date(2026, 9, 5), 1000.0, 2000.0, 300.0, 1200.0),  # 3000 − 1500 = 1500
        ro("r2", date(2026, 9, 30), 500.0, 500.0, 0.0, 400.0, "warranty"),  # 1000 − 400 = 600
        ro("r3", date(2026, 9, 6), 9000.0, 9000.0, ro_type="internal"),  # left out
        ro("r4", date(2026, 10, 1), 9000.0),  # October
        ro("r5", None, 9000.0),  # still open
    ])  # fmt: skip
    insert(con, "expenses", [
        expense("2026-09", "sales", "salaries", 10000.0, True),
        expense("2026-09", "sales", "advertising", 3000.0, False),
        expense("2026-09", "service", "rent", 4000.0, True),
        expense("2026-09", "admin", "salaries", 2000.0, True),
        expense("2026-08", "admin", "salaries", 99999.0, True),  # August
    ])  # fmt: skip
    return con


def test_empty_database(con):
    assert finance.summary(con, SEPT) == {
        "vehicle_gross": 0.0, "fi_gross": 0.0, "accessories_gross": 0.0, "total_gross": 0.0,
        "total_expenses": 0.0, "net_profit": 0.0, "service_absorption": None,
        "break_even_units": None, "fixed_expenses": 0.0,
    }  # fmt: skip
    assert finance.expenses_by(con, SEPT).empty
    assert finance.gross_waterfall(con, SEPT)["amount_cny"].tolist() == [0.0] * 6


def test_summary(store):
    r = finance.summary(store, SEPT)
    assert r["vehicle_gross"] == pytest.approx(18000.0)  # 7000 + 11000
    assert r["fi_gross"] == pytest.approx(4000.0)  # 1500 + 2500
    assert r["accessories_gross"] == pytest.approx(2500.0)  # 2000 + 500
    # 18000 + 4000 + 2500 + service 2100 (1500 + 600)
    assert r["total_gross"] == pytest.approx(26600.0)
    assert r["total_expenses"] == pytest.approx(19000.0)  # 10000 + 3000 + 4000 + 2000
    assert r["fixed_expenses"] == pytest.approx(16000.0)  # 10000 + 4000 + 2000
    assert r["net_profit"] == pytest.approx(7600.0)  # 26600 − 19000
    assert r["service_absorption"] == pytest.approx(0.13125)  # 2100 / 16000
    # (19000 − 2100) / (18000 + 4000 + 2500) × 2 deliveries = 16900 / 24500 × 2
    assert r["break_even_units"] == pytest.approx(1.3795918367346939)


def test_filters_are_ignored(store):
    # expenses cannot be split by consultant, so finance is always store-wide
    scope = SEPT.with_filters(consultant="Wang", advisor="Nobody", model="M9")
    assert finance.summary(store, scope) == finance.summary(store, SEPT)


def test_negative_break_even(con):
    insert(con, "orders", [order("o1", date(2026, 9, 3), sale=110000.0, cost=100000.0)])
    insert(con, "repair_orders", [ro("r1", date(2026, 9, 3), 3000.0, 0.0)])
    insert(con, "expenses", [expense("2026-09", "admin", "rent", 1000.0, True)])
    r = finance.summary(con, SEPT)
    # after-sales covers every expense: (1000 − 3000) / 10000 × 1 = −0.2 (not clamped)
    assert r["break_even_units"] == pytest.approx(-0.2)
    assert r["service_absorption"] == pytest.approx(3.0)  # 3000 / 1000
    assert r["net_profit"] == pytest.approx(12000.0)  # 10000 + 3000 − 1000


def test_zero_denominators(con):
    # service gross but no delivery and only variable expenses
    insert(con, "repair_orders", [ro("r1", date(2026, 9, 3), 500.0, 0.0)])
    insert(con, "expenses", [expense("2026-09", "sales", "advertising", 800.0, False)])
    r = finance.summary(con, SEPT)
    assert r["break_even_units"] is None  # no sales gross
    assert r["service_absorption"] is None  # no fixed expenses
    assert r["net_profit"] == pytest.approx(-300.0)  # 500 − 800


def test_break_even_with_zero_sales_gross(con):
    # a delivery sold at cost: sales gross 0 -> no value even though deliveries = 1
    insert(con, "orders", [order("o1", date(2026, 9, 3), sale=95000.0, cost=95000.0)])
    insert(con, "expenses", [expense("2026-09", "admin", "rent", 1000.0, True)])
    assert finance.summary(con, SEPT)["break_even_units"] is None


def test_expenses_prorated_over_a_custom_range(con):
    insert(con, "expenses", [
        expense("2026-09", "admin", "rent", 3000.0, True),
        expense("2026-10", "sales", "advertising", 6200.0, False),
        expense("2026-11", "admin", "rent", 5000.0, True),  # not touched
    ])  # fmt: skip
    insert(con, "repair_orders", [ro("r1", date(2026, 10, 15), 750.0)])
    insert(con, "orders", [
        order("o1", date(2026, 9, 15), sale=99999.0),  # the day before the range
        order("o2", date(2026, 9, 16), sale=96000.0),  # gross 1000
    ])  # fmt: skip
    scope = Scope.for_range(date(2026, 9, 16), date(2026, 10, 15), today=date(2026, 12, 1))
    r = finance.summary(scope=scope, con=con)
    # September 3000 × 15/30 + October 6200 × 15/31 = 1500 + 3000
    assert r["total_expenses"] == pytest.approx(4500.0)
    assert r["fixed_expenses"] == pytest.approx(1500.0)
    assert r["service_absorption"] == pytest.approx(0.5)  # 750 / 1500
    assert r["vehicle_gross"] == pytest.approx(1000.0)
    # (4500 − 750) / 1000 × 1
    assert r["break_even_units"] == pytest.approx(3.75)
    got = finance.expenses_by(con, scope)
    assert got.values.tolist() == [["sales", "advertising", False, 3000.0],
                                   ["admin", "rent", True, 1500.0]]  # fmt: skip


def test_period_running_past_today(store):
    # today 2026-09-10, the rows of the whole month already stored: read as known that day.
    scope = Scope.for_month("2026-09", today=date(2026, 9, 10))
    r = finance.summary(store, scope)
    # expenses accrue to as_of: 19000 × 10/30 days
    assert r["total_expenses"] == pytest.approx(6333.333333333333)
    assert r["fixed_expenses"] == pytest.approx(5333.333333333333)  # 16000 × 10/30
    assert r["vehicle_gross"] == pytest.approx(7000.0)  # o1 (1 Sep) only; o2 is dated 30 Sep
    assert r["fi_gross"] == pytest.approx(1500.0)
    assert r["accessories_gross"] == pytest.approx(2000.0)
    # r1 closed 5 Sep (1500); r2 closes 30 Sep, after as_of
    assert r["total_gross"] == pytest.approx(12000.0)  # 7000 + 1500 + 2000 + 1500
    assert r["net_profit"] == pytest.approx(5666.666666666667)  # 12000 − 6333.33
    assert r["service_absorption"] == pytest.approx(0.28125)  # 1500 / 5333.33
    # (6333.33 − 1500) / (7000 + 1500 + 2000) × 1 delivery
    assert r["break_even_units"] == pytest.approx(0.46031746031746035)


@pytest.mark.parametrize(
    ("today", "expenses", "vehicle_gross"),
    [
        (date(2026, 9, 1), 19000.0 / 30, 7000.0),  # day 1: a 30th of the month, o1 of 1 Sep
        (date(2026, 9, 29), 19000.0 * 29 / 30, 7000.0),  # the day before month end
        (date(2026, 9, 30), 19000.0, 18000.0),  # the last day: the complete month
    ],
)
def test_running_month_first_and_last_days(store, today, expenses, vehicle_gross):
    r = finance.summary(store, Scope.for_month("2026-09", today=today))
    assert r["total_expenses"] == pytest.approx(expenses)
    assert r["vehicle_gross"] == pytest.approx(vehicle_gross)


def test_two_stores_pooled(store):
    insert(store, "orders", [order("o1", date(2026, 9, 2), sale=101000.0, cost=100000.0)],
           store="s2")  # fmt: skip
    insert(store, "expenses", [expense("2026-09", "admin", "rent", 4000.0, True)], store="s2")
    r = finance.summary(store, SEPT)
    assert r["vehicle_gross"] == pytest.approx(19000.0)  # 18000 + 1000
    assert r["total_expenses"] == pytest.approx(23000.0)  # 19000 + 4000
    # pooled: 2100 / (16000 + 4000), not a mean of the stores' ratios
    assert r["service_absorption"] == pytest.approx(0.105)
    # (23000 − 2100) / (19000 + 4000 + 2500) × 3 deliveries = 20900 / 25500 × 3
    assert r["break_even_units"] == pytest.approx(2.458823529411765)
    s2 = finance.summary(store, SEPT.with_filters(store="s2"))
    assert s2["break_even_units"] == pytest.approx(4.0)  # 4000 / 1000 × 1
    assert s2["service_absorption"] == pytest.approx(0.0)  # 0 / 4000


def test_expenses_by(store):
    got = finance.expenses_by(store, SEPT)
    expected = pd.DataFrame(
        {
            "department": ["sales", "service", "sales", "admin"],
            "category": ["salaries", "rent", "advertising", "salaries"],
            "fixed": [True, True, False, True],
            "amount_cny": [10000.0, 4000.0, 3000.0, 2000.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_gross_waterfall(store):
    got = finance.gross_waterfall(store, SEPT)
    expected = pd.DataFrame(
        {
            "step": ["vehicle_gross", "fi_gross", "accessories_gross", "service_gross",
                     "total_expenses", "net_profit"],
            "amount_cny": [18000.0, 4000.0, 2500.0, 2100.0, -19000.0, 7600.0],
        }
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expected)


def test_monthly(store):
    got = finance.monthly(store, SEPT, months=3)
    assert got["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    july, august, september = (got.iloc[i] for i in range(3))
    assert july["total_expenses"] == 0.0 and pd.isna(july["break_even_units"])
    assert august["total_expenses"] == pytest.approx(99999.0)
    assert august["net_profit"] == pytest.approx(-99999.0)
    assert august["service_absorption"] == pytest.approx(0.0)  # 0 / 99999
    # September equals summary: 26600 gross, 19000 expenses, 2 deliveries
    assert september[["deliveries", "service_gross", "total_gross", "net_profit"]].tolist() == (
        pytest.approx([2, 2100.0, 26600.0, 7600.0])
    )
    assert september["break_even_units"] == pytest.approx(1.3795918367346939)
    # October's figures appear in a window ending in October
    october = Scope.for_month("2026-10", today=date(2026, 10, 5))
    last = finance.monthly(store, october, months=1).iloc[0]
    # o3: 100000 − 95000 + 9000 = 14000; r4: 9000 labour
    assert (last["month"], last["vehicle_gross"], last["service_gross"]) == (
        "2026-10",
        14000.0,
        9000.0,
    )


def test_summaries_this_period_the_previous_and_last_year(store):
    october = Scope.for_month("2026-10", today=date(2026, 11, 5))
    now, prev, last_year = finance.summaries(store, october)
    # October: o3 100000 − 95000 + 9000 = 14000; r4 9000 of labour; no expenses
    assert now["vehicle_gross"] == pytest.approx(14000.0)
    assert now["net_profit"] == pytest.approx(23000.0)  # 14000 + 9000 − 0
    assert now["service_absorption"] is None  # no fixed expenses
    assert now["break_even_units"] == pytest.approx(-9000 / 14000)  # (0 − 9000) / 14000 × 1
    # September as summary(): 18000 + 4000 + 2500 + service 1500 + 600 − expenses 19000
    assert prev["total_gross"] == pytest.approx(26600.0)
    assert prev["net_profit"] == pytest.approx(7600.0)
    assert prev["service_absorption"] == pytest.approx(2100 / 16000)
    assert prev["fixed_expenses"] == pytest.approx(16000.0)
    assert last_year["total_gross"] == 0.0  # October 2025
    assert last_year["break_even_units"] is None
    assert list(now) == list(finance.summary(store, SEPT))
