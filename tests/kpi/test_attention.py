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
            naive = [k for k, v in values.items()
                     if k in catalogue.CATALOGUE and catalogue.status(k, v) in ("red", "amber")]  # fmt: skip
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
