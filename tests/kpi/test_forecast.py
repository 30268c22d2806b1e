"""Tests for kpi/forecast.py: the month-end delivery forecast, its interval and the backtest."""

from __future__ import annotations

import math
from datetime import date, timedelta

import duckdb
import pytest

from kpi import forecast
from kpi.__main__ import main
from tests.helpers import insert

MARCH_10 = date(2026, 3, 10)  # 31-day month: 21 days still to come after as_of
MARCH_31 = date(2026, 3, 31)
Z80 = 1.2815515655446004  # normal 90th percentile


def d(year: int, month: int, day: int) -> date:
    return date(year, month, day)


def order(order_id: str, ordered: date, delivered: date | None, status: str | None = None,
          store: str = "s1") -> dict:  # fmt: skip
    """Return a retail order; delivered None = still open."""
    return {
        "store": store,
        "order_id": order_id,
        "order_date": ordered,
        "delivery_date": delivered,
        "status": status or ("open" if delivered is None else "delivered"),
        "consultant": "Li",
        "model": "A6",
        "sale_type": "retail",
        "buyer_type": "private",
    }


def slow_store() -> list[dict]:
    """Store s1: four past orders with 40-70 day lead times, and a March backlog.

    History (the 365 days up to Feb 28, the day before March): A-D ordered 2025-10-01,
    delivered after 40, 50, 60 and 70 days; W1 (Jan 24) and W2 (Feb 5) still waiting on
    Feb 28 (35 and 23 days: censored before any event, so they change no hazard).
    Kaplan-Meier: at risk at 40 days A-D (4), S = 3/4 from 40, 1/2 from 50, 1/4 from 60,
    0 from 70; no order was ever delivered within 39 days, so S(k) = 1 for k < 40.
    March: D1 ordered Mar 2, delivered Mar 4; W3 ordered Mar 1 waits; X cancelled.
    W1 is delivered on Mar 20 according to the database: after as_of, so still waiting then.
    """
    first = d(2025, 10, 1)
    rows = [order(k, first, first + timedelta(days=lag))
            for k, lag in (("A", 40), ("B", 50), ("C", 60), ("D", 70))]  # fmt: skip
    rows += [
        order("W1", d(2026, 1, 24), d(2026, 3, 20)),
        order("W2", d(2026, 2, 5), None),
        order("W3", d(2026, 3, 1), None),
        order("D1", d(2026, 3, 2), d(2026, 3, 4)),
        order("X", d(2026, 2, 1), None, status="cancelled"),
    ]
    return rows


def steady_store(store: str = "s2", until: date = MARCH_31) -> list[dict]:
    """Store s2: from 2025-01-01, two orders every day, one delivered that day, one the next."""
    rows, day = [], d(2025, 1, 1)
    while day <= until:
        rows.append(order(f"{day}-0", day, day, store=store))
        rows.append(order(f"{day}-1", day, day + timedelta(days=1), store=store))
        day += timedelta(days=1)
    return rows


def insert_orders(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Insert many orders at once (tests.helpers.insert runs one statement a row)."""
    insert(con, "orders", rows[:1])
    cols = list(rows[0])
    con.executemany(
        f"INSERT INTO orders ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        [[r[c] for c in cols] for r in rows[1:]],
    )


@pytest.fixture
def slow(con):
    insert(con, "orders", slow_store())
    return con


@pytest.fixture
def steady(con):
    insert_orders(con, steady_store())
    return con


def test_backlog_by_lead_time_survival(slow):
    # as_of Mar 10, month end Mar 31. Waiting orders, P(delivered by Mar 31 | waited so far):
    #   W1 Jan 24: waited 45 days, needs <= 66: 1 - S(66)/S(45) = 1 - (1/4)/(3/4) = 2/3
    #   W2 Feb 5:  waited 33 days, needs <= 54: 1 - S(54)/S(33) = 1 - (1/2)/1   = 1/2
    #   W3 Mar 1:  waited  9 days, needs <= 30: 1 - S(30)/S(9)  = 1 - 1/1       = 0
    # New orders: an order of Mar 11..31 needs <= 20 days: 1 - S(<=20) = 0.
    # Forecast = delivered D1 (1) + 2/3 + 1/2 = 13/6.
    r = forecast.deliveries_forecast(slow, MARCH_10, "s1")
    assert r["deliveries_forecast"] == pytest.approx(13 / 6)
    # Every past forecast of this store had nothing to come (no lead time under 40 days), so
    # no ratio calibrates the range: a Poisson interval on the remainder 7/6.
    spread = Z80 * math.sqrt(7 / 6)  # 1.3842...
    assert r["deliveries_forecast_low"] == pytest.approx(1.0)  # 1 + max(0, 7/6 - 1.384)
    assert r["deliveries_forecast_high"] == pytest.approx(1 + 7 / 6 + spread)  # 3.5509
    assert r["target_chance"] is None


def test_new_orders_by_rate_and_lead_time(steady):
    # History to Feb 28: 2 orders a day (every weekday and part of the month alike: factors 1);
    # Kaplan-Meier: day 0 half of 730 at risk delivered -> S(0) = 1/2; day 1 every one left
    # (the one ordered on Feb 28 is censored at 0) -> S(k >= 1) = 0.
    # The last 28 days placed 56 orders against 56 expected: scale (56 + 20) / (56 + 20) = 1.
    # Delivered Mar 1-10: 10 same-day + 10 next-day (ordered Feb 28 - Mar 9) = 20.
    # Waiting: the next-day order of Mar 10 (waited 0): 1 - S(21)/S(0) = 1.
    # New: Mar 11-30 2 x (1 - S(>=1)) = 2 each, 20 days = 40; Mar 31 2 x (1 - S(0)) = 1.
    # Forecast = 20 + 1 + 41 = 62, which is March's actual (31 + 31).
    r = forecast.deliveries_forecast(steady, MARCH_10, "s2", target=62)
    assert r["deliveries_forecast"] == pytest.approx(62)
    # Every past month's forecast was exact: all ratios 1, the interval collapses onto 62
    assert r["deliveries_forecast_low"] == pytest.approx(62)
    assert r["deliveries_forecast_high"] == pytest.approx(62)
    assert r["target_chance"] == pytest.approx(1.0)  # 20 + 42 x 1 >= 62 in every past case
    r = forecast.deliveries_forecast(steady, MARCH_10, "s2", target=63)
    assert r["target_chance"] == pytest.approx(0.0)


def test_no_peeking_future_rows_change_nothing(slow):
    before = forecast.deliveries_forecast(slow, MARCH_10, "s1", target=5)
    absurd = [order(f"F{i}", MARCH_10 + timedelta(days=1 + i % 40), MARCH_10 + timedelta(days=2))
              for i in range(500)]  # fmt: skip
    absurd += [order("G", d(2027, 1, 1), d(2026, 3, 5))]  # delivered "before" it was ordered
    absurd += [order("H", d(2026, 3, 11), d(2026, 3, 9))]
    absurd += [order(f"T{i}", d(2026, 4, 1), None, store="s9") for i in range(50)]
    insert(slow, "orders", absurd)
    # a waiting order delivered after as_of, whatever date the database gives it
    slow.execute("UPDATE orders SET status = 'delivered', delivery_date = DATE '2026-03-11' "
                 "WHERE order_id = 'W2'")  # fmt: skip
    assert forecast.deliveries_forecast(slow, MARCH_10, "s1", target=5) == before
    assert forecast.deliveries_forecast(slow, MARCH_10, None, target=5) == before


def test_no_peeking_in_a_calibrated_store(steady):
    before = forecast.deliveries_forecast(steady, MARCH_10, "s2")
    steady.execute("DELETE FROM orders WHERE order_date > $d", {"d": MARCH_10})
    steady.execute("UPDATE orders SET delivery_date = DATE '2026-06-30' "
                   "WHERE delivery_date > $d", {"d": MARCH_10})  # fmt: skip
    assert forecast.deliveries_forecast(steady, MARCH_10, "s2") == before


def test_complete_month_is_its_actual(steady):
    r = forecast.deliveries_forecast(steady, d(2026, 3, 31), "s2", target=70)
    assert r == {
        "deliveries_forecast": 62.0,  # 31 same-day + 31 next-day deliveries dated in March
        "deliveries_forecast_low": 62.0,
        "deliveries_forecast_high": 62.0,
        "target_chance": 0.0,
    }


def test_pooled_is_the_sum_of_the_stores(slow):
    insert_orders(slow, steady_store())
    pooled = forecast.deliveries_forecast(slow, MARCH_10)
    assert pooled["deliveries_forecast"] == pytest.approx(13 / 6 + 62)
    assert pooled["deliveries_forecast_low"] <= pooled["deliveries_forecast"]
    assert pooled["deliveries_forecast"] <= pooled["deliveries_forecast_high"]
    # s1's past had deliveries its forecasts did not expect: the pooled range is not s2's point
    assert pooled["deliveries_forecast_high"] > 13 / 6 + 62


def test_empty_database_falls_back_to_pace(con):
    assert forecast.deliveries_forecast(con, MARCH_10) == {
        "deliveries_forecast": 0.0,
        "deliveries_forecast_low": None,
        "deliveries_forecast_high": None,
        "target_chance": None,
    }


def test_no_history_is_pace(con):
    # A store whose first orders are this month: 3 deliveries by Mar 10 -> pace 3 / 10 x 31
    insert(con, "orders", [order(f"N{i}", d(2026, 3, 1), d(2026, 3, 2 + i)) for i in range(3)])
    insert(con, "orders", [order("N9", d(2026, 3, 5), None)])
    r = forecast.deliveries_forecast(con, MARCH_10, "s1", target=5)
    assert r["deliveries_forecast"] == pytest.approx(9.3)
    assert r["deliveries_forecast_low"] is None and r["deliveries_forecast_high"] is None
    assert r["target_chance"] is None


def test_calibration_days_keep_the_distance_to_month_end():
    days = forecast._calibration_days(d(2026, 3, 29))  # 2 days to go
    # Feb 2026 (28 days): 26 -> 24..28, but never the month's last day (nothing to come)
    assert [x for x in days if x.month == 2 and x.year == 2026] == [
        d(2026, 2, 24), d(2026, 2, 25), d(2026, 2, 26), d(2026, 2, 27)]  # fmt: skip
    assert len({(x.year, x.month) for x in days}) == 12
    assert forecast._calibration_days(d(2026, 3, 31)) == []


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([1, 2, 3, 4], 0.5, 2.5), ([5], 0.9, 5.0), ([0, 10], 0.075, 0.75), ([3, 1, 2], 0.0, 1)],
)
def test_quantile(values, q, expected):
    assert forecast.quantile(values, q) == pytest.approx(expected)


def test_backtest_rows_and_summary(steady):
    rows = forecast.backtest(steady, d(2026, 3, 31), "s2", months=2)
    # Jan and Feb 2026 (Mar 31 counts March complete: Feb, Mar) -> the 2 months before Apr
    assert [(r["month"], r["day"]) for r in rows][:2] == [(d(2026, 2, 1), 5), (d(2026, 2, 1), 10)]
    assert len(rows) == 10
    feb5 = rows[0]
    # Feb: 56 deliveries; by Feb 5: 5 same-day + 5 next-day (Jan 31 - Feb 4) = 10
    assert feb5["actual"] == 56 and feb5["pace"] == pytest.approx(10 / 5 * 28)
    assert feb5["forecast"] == pytest.approx(56)
    summary = forecast.backtest_summary(rows)
    assert [s["day"] for s in summary] == ["5", "10", "15", "20", "25", "all"]
    assert summary[-1]["cases"] == 10 and summary[-1]["coverage"] == 1.0


def test_backtest_command_prints_the_table(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    with duckdb.connect(str(path)) as c:
        from warehouse.db import ensure_schema

        ensure_schema(c)
        insert_orders(c, steady_store(until=d(2026, 4, 2)))
        insert(c, "orders", slow_store())
    code = main(["backtest", "--db", str(path), "--as-of", "2026-04-02", "--months", "3"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == ["day", "cases", "forecast", "MdAPE", "pace", "MdAPE", "ratio",
                              "in", "80", "%", "range"]  # fmt: skip
    assert [line.split()[0] for line in out[1:]] == ["5", "10", "15", "20", "25", "all"]
    # s2: Jan, Feb, Mar x 5 days, exact forecasts and pace; s1 only March (D1, W1): 5 cases
    assert out[-1].split() == ["all", "20", "0.0%", "0.0%", "—", "100%"]
    argv = ["backtest", "--db", str(path), "--as-of", "2026-04-02", "--months", "3"]
    assert main([*argv, "--store", "s1"]) == 0
    out = capsys.readouterr().out.splitlines()
    # s1 on Mar 10: forecast 13/6 (test_backlog_by_lead_time_survival) against the actual 2:
    # |13/6 - 2| / 2 = 8.3 %; pace 1 / 10 x 31 = 3.1: |3.1 - 2| / 2 = 55.0 %; 0.083 / 0.55 =
    # 0.15; 2 lies in [1, 3.55]
    assert out[2].split() == ["10", "1", "8.3%", "55.0%", "0.15", "100%"]


def test_backtest_beats_pace_on_the_demo(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as c:
        rows = forecast.backtest(c, d(2026, 11, 25), months=12)
    overall = forecast.backtest_summary(rows)[-1]
    assert overall["cases"] == 3 * 12 * 5
    assert overall["ratio"] <= 0.75
    assert 0.70 <= overall["coverage"] <= 0.90
