"""The attention list judges a running month like for like (kpi/attention.py, kpi.catalogue)."""

from __future__ import annotations

from datetime import date

import pytest

from kpi import attention, catalogue, customers, finance, inventory, sales, service, targets
from kpi.scope import Scope
from warehouse import db


@pytest.mark.parametrize(
    ("kpi_id", "elapsed", "expected"),
    [
        ("close_rate", None, True),  # a complete period is always judged
        ("close_rate", 1, False),
        ("close_rate", 7, False),  # a week is not yet known on day 7
        ("close_rate", 8, True),
        ("traffic_light", 7, False),
        ("aged_units_90", 1, True),  # measured on as_of: judged from the first day
        ("open_ros", 1, True),
        ("followup_compliance", 3, True),
        ("backlog_age_days", 1, True),
    ],
)
def test_judged(kpi_id, elapsed, expected):
    assert catalogue.judged(kpi_id, elapsed) is expected


def test_status_of_a_young_period_is_neutral_for_rates_only():
    # close_rate 0.05 is below its critical line 0.12: red once judged
    assert catalogue.status("close_rate", 0.05) == "red"
    assert catalogue.status("close_rate", 0.05, days_elapsed=3) == "neutral"
    assert catalogue.status("close_rate", 0.05, days_elapsed=8) == "red"
    # 6 aged units is past the critical line 5 on any day
    assert catalogue.status("aged_units_90", 6, days_elapsed=1) == "red"
    assert catalogue.status("close_rate", None, days_elapsed=3) == "grey"  # no value


def test_scope_elapsed():
    assert Scope.for_month("2026-09", today=date(2026, 9, 7)).elapsed == 7
    assert Scope.for_month("2026-09", today=date(2026, 9, 30)).elapsed is None  # complete
    assert Scope.for_month("2026-10", today=date(2026, 9, 7)).elapsed == 0  # not started


def test_items_red_first_in_catalogue_order():
    values = {
        "close_rate": 0.15,  # amber (< 0.20, ≥ 0.12)
        "aged_units_90": 9,  # red (> 5)
        "test_drive_rate": 0.2,  # red (< 0.25)
        "open_ros": 31,  # amber (> 30)
        "deliveries": 3,  # no threshold
        "not_a_kpi": 1,
    }
    complete = Scope.for_month("2026-09", today=date(2026, 10, 1))
    assert attention.items(values, complete) == [
        ("red", "test_drive_rate", 0.2),
        ("red", "aged_units_90", 9),
        ("amber", "close_rate", 0.15),
        ("amber", "open_ros", 31),
    ]
    day3 = Scope.for_month("2026-09", today=date(2026, 9, 3))
    assert attention.items(values, day3) == [("red", "aged_units_90", 9),
                                             ("amber", "open_ros", 31)]  # fmt: skip


def test_target_light_waits_for_a_week():
    pacing = {"traffic_light": "red"}
    assert attention.target_light(pacing, Scope.for_month("2026-09", today=date(2026, 9, 7))) == (
        "neutral"
    )
    assert attention.target_light(pacing, Scope.for_month("2026-09", today=date(2026, 9, 8))) == (
        "red"
    )
    assert attention.target_light({}, Scope.for_month("2026-09", today=date(2026, 10, 1))) == (
        "neutral"
    )


def _overview_values(con, scope: Scope) -> dict:
    """Return what the Overview checks: every summary KPI of its sections."""
    values: dict = {}
    for module in (sales, inventory, service, customers, finance):
        values.update(module.summary(con, scope))
    return values


@pytest.mark.parametrize("store", [None, "sh-pudong"])
def test_demo_month_shows_only_real_problems_in_its_first_week(demo_db, store):
    with db.connect(demo_db, read_only=True) as con:
        seen = {}
        for day in (1, 3, 7, 15, 31):
            scope = Scope.for_month("2026-10", today=date(2026, 10, day), store=store)
            values = _overview_values(con, scope)
            got = attention.items(values, scope)
            light = attention.target_light(targets.summary(con, scope), scope)
            # what the bare thresholds would flag, without the running-month reading
            known = {k: v for k, v in values.items() if k in catalogue.CATALOGUE}
            naive = [k for k, v in known.items() if catalogue.status(k, v) in ("red", "amber")]
            seen[day] = (got, light, naive)
    for day in (1, 3, 7):
        got, light, naive = seen[day]
        assert {k for _, k, _ in got} <= catalogue.AS_OF_KPIS, day
        assert light == "neutral", day
        # the demo holds aged stock, a real problem, from the first day
        assert ("red", "aged_units_90") in {(s, k) for s, k, _ in got}, day
    # the rule has teeth: early in the month bare thresholds flag rates the list leaves out
    assert any(set(seen[day][2]) - catalogue.AS_OF_KPIS for day in (1, 3, 7))
    for day in (15, 31):  # from day 8 on, every threshold judges
        got, _, naive = seen[day]
        assert {k for _, k, _ in got} == set(naive), day


# ----------------------------------------------------- rebate gap and unmatched backlog


def _programme(pid, units, target, need, gain, start, end, elapsed, left, tier=2):
    """One programs_detail row with only what the attention list reads."""
    return {"store": "s1", "program_id": pid, "name": f"Q4 {pid}", "basis": "retail",
            "start_date": start, "end_date": end, "target_units": target, "units": units,
            "next_tier": tier, "next_tier_units": need, "next_tier_gain": gain,
            "days_elapsed": elapsed, "days_left": left}  # fmt: skip


Q4 = (date(2026, 10, 1), date(2026, 12, 31))  # 92 days
NOV25 = Scope.for_month("2026-11", today=date(2026, 11, 25))  # day 56 of Q4, 36 days left


def test_programme_items_within_reach_largest_gain_first():
    rows = [
        # 6 units needed ≤ 10 % of 100: within reach on share alone; gain 180,000
        _programme("a", 94, 100, 6, 180_000.0, *Q4, 56, 36),
        # 40 needed > 10 % of 200 = 20; pace 56 ÷ 56 days × 36 left = 36 more, × 1.5 = 54 ≥ 40
        _programme("b", 56, 200, 40, 250_000.0, *Q4, 56, 36),
        # 60 needed > 54 (as b) and > 20: out of reach
        _programme("c", 56, 200, 60, 900_000.0, *Q4, 56, 36),
        # top tier reached: no next tier
        _programme("d", 120, 100, None, None, *Q4, 56, 36, tier=None),
    ]
    found = attention.programme_items(rows, NOV25)
    assert [(it["program_id"], it["units"], it["gain"], it["tier"]) for it in found] == [
        ("b", 40, 250_000.0, 2),
        ("a", 6, 180_000.0, 2),
    ]
    assert found[1] == {"store": "s1", "program_id": "a", "name": "Q4 a", "basis": "retail",
                        "tier": 2, "units": 6, "gain": 180_000.0, "days_left": 36}  # fmt: skip


def test_programme_items_only_running_programmes_from_day_one():
    # Q3 ended on 30 September, Q1 has not started: neither is running on 25 November
    q3 = _programme("q3", 95, 100, 5, 10_000.0, date(2026, 7, 1), date(2026, 9, 30), 92, 0)
    q1 = _programme("q1", 0, 100, 5, 10_000.0, date(2027, 1, 1), date(2027, 3, 31), 0, 90)
    assert attention.programme_items([q3, q1], NOV25) == []
    # On the programme's first day (day 1 of a running month) the gap shows: 8 units needed
    # = 0.10 × 80 exactly, on the line: within reach
    day1 = Scope.for_month("2026-10", today=date(2026, 10, 1))
    first = _programme("a", 0, 80, 8, 40_000.0, *Q4, 1, 91)
    assert [it["program_id"] for it in attention.programme_items([first], day1)] == ["a"]
    # ... while 9 units with no sales yet is out of reach (pace 0)
    assert attention.programme_items([{**first, "next_tier_units": 9}], day1) == []
    # the last day still counts (0 days left after it): 3 ≤ 10 % of 100
    last = Scope.for_month("2026-12", today=date(2026, 12, 31))
    assert len(attention.programme_items([_programme("a", 97, 100, 3, 1.0, *Q4, 92, 0)], last)) == 1


def test_programme_items_target_zero_has_no_next_tier():
    zero = _programme("z", 5, 0, None, None, *Q4, 56, 36, tier=None)
    assert attention.programme_items([zero], NOV25) == []
    assert attention.programme_items([], NOV25) == []


@pytest.mark.parametrize(
    ("backlog", "expected"),
    [
        ({"backlog_orders": 10, "backlog_unmatched": 3}, [("amber", "backlog_unmatched", 3)]),
        ({"backlog_orders": 10, "backlog_unmatched": 0}, []),
        ({}, []),  # no backlog figures (library unavailable)
    ],
)
def test_backlog_items(backlog, expected):
    assert attention.backlog_items(backlog) == expected
