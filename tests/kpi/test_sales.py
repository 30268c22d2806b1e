"""Tests for kpi/sales.py: every Sales and showroom KPI on small hand-worked datasets."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kpi import sales
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release

SEPT = Scope.for_month("2026-09", today=date(2026, 10, 20))


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def walk(visit_id: str, day: date, **kw) -> dict:
    """Return a traffic row: a return walk-in without test drive unless kw says otherwise."""
    row = {
        "visit_id": visit_id,
        "visit_date": day,
        "kind": "walk_in",
        "first_visit": False,
        "channel": "autohome",
        "consultant": "Li",
        "customer_id": None,
        "model_interest": "A6",
        "test_drive": False,
    }
    row.update(kw)
    return row


def call(visit_id: str, day: date, **kw) -> dict:
    """Return a phone traffic row (first contact unless kw says otherwise)."""
    return walk(visit_id, day, **{"kind": "phone", "first_visit": True, **kw})


def order(order_id: str, order_date: date, **kw) -> dict:
    """Return an open retail order with zero gross unless kw says otherwise."""
    row = {
        "order_id": order_id,
        "order_date": order_date,
        "delivery_date": None,
        "status": "open",
        "customer_id": None,
        "consultant": "Li",
        "model": "A6",
        "sale_type": "retail",
        "buyer_type": "private",
        "channel": "autohome",
        "sale_price": 200000.0,
        "vehicle_cost": 200000.0,
        "rebate": 0.0,
        "finance": False,
        "insurance": False,
        "fi_income": 0.0,
        "trade_in": False,
        "accessories_revenue": 0.0,
        "accessories_cost": 0.0,
    }
    row.update(kw)
    return row


def delivered(order_id: str, order_date: date, delivery_date: date, **kw) -> dict:
    return order(order_id, order_date, status="delivered", delivery_date=delivery_date, **kw)


@pytest.fixture(scope="module")
def showroom():
    """September 2026 at store s1: consultants Li and Wang on the floor, Zhao on the phone.

    Walk-ins in September: v1..v5 (v1, v2, v4, v5 first visits; v1, v2, v5 test drives;
    v2 from an outdoor event, v3 carrying event EV1). v6 (Aug 31) and v7..v9 (October) are
    outside. Calls: p1, p2 first calls, p3 a repeat call.
    Orders: o1, o2 delivered in Sept; o3 ordered in Aug, delivered Sept 1; o4 open; o5
    cancelled; o6 ordered Sept 30, delivered Oct 2; o7 and o8 ordered in October.
    """
    con = memory_db()  # read only: the module's tests share it
    insert(
        con,
        "traffic",
        [
            walk("v1", d(9, 1), first_visit=True, test_drive=True, customer_id="c1"),
            walk(
                "v2",
                d(9, 2),
                first_visit=True,
                test_drive=True,
                customer_id="c2",
                channel="outdoor_event",
            ),
            walk(
                "v3",
                d(9, 3),
                consultant="Wang",
                customer_id="c1",
                model_interest="A4",
                event_id="EV1",
                channel="referral",
            ),
            walk("v4", d(9, 10), first_visit=True, consultant="Wang", model_interest="A4"),
            walk(
                "v5",
                d(9, 30),
                first_visit=True,
                test_drive=True,
                consultant="Wang",
                customer_id="c3",
                channel="dongchedi",
            ),
            walk("v6", d(8, 31), first_visit=True, customer_id="c9"),
            walk("v7", d(10, 1), first_visit=True, customer_id="c10"),
            walk("v8", d(10, 5), customer_id="c4"),  # 30 days after call p1
            walk("v9", d(10, 7), customer_id="c5"),  # 31 days after call p2
            call("p1", d(9, 5), customer_id="c4"),
            call("p2", d(9, 6), consultant="Zhao", customer_id="c5", channel="wechat"),
            call("p3", d(9, 7), first_visit=False, customer_id="c6"),
        ],
    )
    insert(
        con,
        "orders",
        [
            delivered(
                "o1",
                d(9, 5),
                d(9, 12),
                customer_id="c1",
                sale_price=200000.0,
                vehicle_cost=190000.0,
                rebate=3000.0,
                fi_income=2000.0,
                accessories_revenue=5000.0,
                accessories_cost=2000.0,
                finance=True,
                insurance=True,
            ),
            delivered(
                "o2",
                d(9, 8),
                d(9, 20),
                customer_id="c7",
                consultant="Wang",
                model="A4",
                sale_type="fleet",
                buyer_type="corporate",
                channel="referral",
                sale_price=300000.0,
                vehicle_cost=280000.0,
                insurance=True,
            ),
            delivered(
                "o3",
                d(8, 20),
                d(9, 1),
                customer_id="c8",
                model="A4",
                sale_price=250000.0,
                vehicle_cost=245000.0,
                rebate=1000.0,
                fi_income=1500.0,
                accessories_revenue=3000.0,
                accessories_cost=1000.0,
                insurance=True,
                trade_in=True,
            ),
            order("o4", d(9, 15), customer_id="c3", consultant="Wang", channel="dongchedi"),
            order("o5", d(9, 20), customer_id="c2", status="cancelled"),
            delivered("o6", d(9, 30), d(10, 2), model="A4", channel="wechat"),
            order("o7", d(10, 1), customer_id="c10"),
            order("o8", d(10, 30), customer_id="c3", consultant="Wang"),  # 30 days after v5
        ],
    )
    yield con
    release(con)


def test_summary_showroom_month(showroom):
    r = sales.summary(showroom, SEPT)
    assert set(r) == set(sales.SUMMARY_IDS)
    assert r["walk_in_batches"] == 5  # v1..v5
    assert r["first_visit_batches"] == 4  # v1, v2, v4, v5
    assert r["phone_batches"] == 3  # p1, p2, p3
    assert r["daily_walk_ins"] == pytest.approx(5 / 30)  # 5 walk-ins / Sept 1..30
    assert r["test_drives"] == 3  # v1, v2, v5
    assert r["test_drive_rate"] == pytest.approx(0.6)  # 3 / 5
    assert r["orders"] == 4  # o1, o2, o4, o6 (o5 cancelled, o3 ordered in Aug)
    assert r["deliveries"] == 3  # o1, o2, o3 (o6 delivered Oct 2)
    assert r["close_rate"] == pytest.approx(0.75)  # retail o1, o4, o6 / 4 first visits
    # c1 (o1 on day 4), c3 (o8 on day 30; o4 was before the visit) of c1, c2, c3; v4 anonymous
    assert r["cohort_close_rate"] == pytest.approx(2 / 3)
    assert r["phone_to_visit_rate"] == pytest.approx(0.5)  # c4 (day 30) of c4, c5 (day 31)
    assert r["cancellation_rate"] == pytest.approx(0.2)  # o5 / o1, o2, o4, o5, o6
    assert r["fleet_share"] == pytest.approx(1 / 3)  # o2 / 3 deliveries
    assert r["corporate_share"] == pytest.approx(1 / 3)  # o2 / 3 deliveries
    assert r["event_traffic_share"] == pytest.approx(0.4)  # v2 (channel), v3 (event id) / 5
    # (10000 + 20000 + 5000) / 3
    assert r["front_gross_per_unit"] == pytest.approx(35000 / 3)
    # o1 10000+3000+2000+5000-2000 = 18000; o2 20000; o3 5000+1000+1500+3000-1000 = 9500
    assert r["total_gross_per_unit"] == pytest.approx(47500 / 3)
    assert r["finance_penetration"] == pytest.approx(0.5)  # o1 / retail o1, o3
    assert r["insurance_penetration"] == pytest.approx(1.0)  # o1, o3 / o1, o3 (o2 is fleet)
    assert r["trade_in_rate"] == pytest.approx(0.5)  # o3 / o1, o3
    assert r["accessories_per_unit"] == pytest.approx(8000 / 3)  # (5000 + 0 + 3000) / 3
    assert r["accessories_margin"] == pytest.approx(0.625)  # (3000 + 0 + 2000) / 8000
    # Li (walk-ins, deliveries) and Wang; Zhao has calls only
    assert r["units_per_consultant"] == pytest.approx(1.5)  # 3 / 2


def test_summary_empty_database(con):
    r = sales.summary(con, SEPT)
    counts = ["walk_in_batches", "first_visit_batches", "phone_batches", "test_drives"]
    for k in counts + ["orders", "deliveries"]:
        assert r[k] == 0, k
    assert r["daily_walk_ins"] == 0.0  # 0 / 30 days
    for k in set(sales.SUMMARY_IDS) - set(counts) - {"orders", "deliveries", "daily_walk_ins"}:
        assert r[k] is None, k


def test_summary_values_are_plain_python(showroom):
    r = sales.summary(showroom, SEPT)
    assert set(sales.SUMMARY_IDS) <= set(r)  # every KPI of the section is checked below
    for k, v in r.items():
        assert v is None or type(v) in (int, float), k


def test_zero_denominators(con):
    # Return walk-ins only, a fleet delivery without accessories, a delivery with no consultant
    insert(con, "traffic", [walk("v1", d(9, 3)), walk("v2", d(9, 4), consultant=None)])
    insert(
        con,
        "orders",
        [
            order("o1", d(9, 2)),
            delivered("o2", d(9, 1), d(9, 5), sale_type="fleet", consultant=None),
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["close_rate"] is None  # 2 retail orders / 0 first visits
    assert r["cohort_close_rate"] is None  # no first-visit customer
    assert r["phone_to_visit_rate"] is None  # no first call
    assert r["finance_penetration"] is None  # 0 retail deliveries
    assert r["insurance_penetration"] is None
    assert r["trade_in_rate"] is None
    assert r["fleet_share"] == pytest.approx(1.0)  # 1 fleet / 1 delivery
    assert r["accessories_margin"] is None  # Σ accessories revenue 0
    assert r["accessories_per_unit"] == pytest.approx(0.0)  # 0 / 1 delivery
    assert r["units_per_consultant"] == pytest.approx(1.0)  # 1 delivery / Li (v1)


def test_units_per_consultant_counts_walk_ins_and_deliveries_not_calls(con):
    insert(
        con,
        "traffic",
        [
            walk("v1", d(9, 3), consultant="Li"),
            walk("v2", d(9, 3), consultant=None),  # no consultant: not a person
            walk("v3", d(9, 3), consultant=""),
            call("p1", d(9, 3), consultant="Zhao"),  # calls do not count
            walk("v4", d(10, 1), consultant="Sun"),  # outside the period
        ],
    )
    insert(
        con,
        "orders",
        [
            delivered("o1", d(9, 1), d(9, 5), consultant="Wang"),
            delivered("o2", d(9, 1), d(9, 6), consultant="Wang"),
            delivered("o3", d(9, 1), d(9, 7), consultant="Li"),
            order("o4", d(9, 1), consultant="Chen"),  # an open order does not count
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["units_per_consultant"] == pytest.approx(1.5)  # 3 deliveries / Li, Wang


def test_cancelled_orders_only_in_cancellation_rate(con):
    insert(con, "traffic", [walk("v1", d(9, 1), first_visit=True, customer_id="c1")])
    insert(
        con,
        "orders",
        [
            order("o1", d(9, 2), customer_id="c1", status="cancelled"),
            # delivered then cancelled: its delivery date is not a delivery
            order("o2", d(9, 3), status="cancelled", delivery_date=d(9, 4)),
            order("o3", d(9, 3)),
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["orders"] == 1  # o3
    assert r["deliveries"] == 0
    assert r["close_rate"] == pytest.approx(1.0)  # o3 / 1 first visit
    assert r["cohort_close_rate"] == pytest.approx(0.0)  # c1's only order is cancelled
    assert r["cancellation_rate"] == pytest.approx(2 / 3)  # o1, o2 / o1, o2, o3


def test_close_rate_counts_retail_orders_only(con):
    insert(con, "traffic", [walk(f"v{i}", d(9, 1), first_visit=True) for i in range(4)])
    insert(
        con,
        "orders",
        [
            order("o1", d(9, 2)),
            order("o2", d(9, 2), sale_type="fleet"),
            order("o3", d(9, 2), sale_type="sub_dealer"),
            delivered("o4", d(9, 2), d(9, 9)),
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["orders"] == 4
    assert r["close_rate"] == pytest.approx(0.5)  # retail o1, o4 / 4 first visits


@pytest.mark.parametrize(
    ("order_row", "expected"),
    [
        (order("o1", d(9, 10)), 1.0),  # same day as the visit
        (order("o1", d(10, 10)), 1.0),  # day 30: inside
        (order("o1", d(10, 11)), 0.0),  # day 31: outside
        (order("o1", d(9, 9)), 0.0),  # the day before the visit
        (order("o1", d(9, 20), status="cancelled"), 0.0),
        (order("o1", d(9, 20), sale_type="fleet"), 1.0),  # any sale type
        (delivered("o1", d(9, 20), d(11, 1), consultant="Wang", model="X1"), 1.0),
        (order("o1", d(9, 20), store="s2"), 0.0),  # the same id in another store
    ],
)
def test_cohort_close_rate_30_day_window(con, order_row, expected):
    # c1's first visit on Sept 10; orders after the period's end still count
    insert(con, "traffic", [walk("v1", d(9, 10), first_visit=True, customer_id="c1")])
    insert(con, "orders", [{**order_row, "customer_id": "c1"}])
    r = sales.summary(con, SEPT.with_filters(store="s1"))
    assert r["cohort_close_rate"] == pytest.approx(expected)


def test_cohort_close_rate_any_first_visit_of_the_period(con):
    insert(
        con,
        "traffic",
        [
            walk("v1", d(9, 1), first_visit=True, customer_id="c1"),
            walk("v2", d(9, 20), first_visit=True, customer_id="c1"),
            walk("v3", d(9, 5), first_visit=False, customer_id="c2"),  # not a first visit
            walk("v4", d(9, 6), first_visit=True, customer_id=""),  # anonymous
            walk("v5", d(9, 7), first_visit=True, customer_id=None),  # anonymous
        ],
    )
    insert(
        con,
        "orders",
        [
            order("o1", d(10, 15), customer_id="c1"),  # 44 days after v1, 25 after v2
            order("o2", d(9, 6), customer_id="c2"),
            order("o3", d(9, 8), customer_id=""),
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["cohort_close_rate"] == pytest.approx(1.0)  # c1 closed / c1 (counted once)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (walk("v1", d(9, 10)), 1.0),  # same day as the call
        (walk("v1", d(10, 10)), 1.0),  # day 30: inside, after the period's end
        (walk("v1", d(10, 11)), 0.0),  # day 31: outside
        (walk("v1", d(9, 9)), 0.0),  # before the call
        (walk("v1", d(9, 12), first_visit=True, consultant="Wang"), 1.0),  # first or not
        (call("v1", d(9, 12), first_visit=False), 0.0),  # another call is not a visit
        (walk("v1", d(9, 12), store="s2"), 0.0),  # the same id in another store
    ],
)
def test_phone_to_visit_rate_30_day_window(con, row, expected):
    insert(con, "traffic", [call("p1", d(9, 10), customer_id="c1"), {**row, "customer_id": "c1"}])
    r = sales.summary(con, SEPT.with_filters(store="s1"))
    assert r["phone_to_visit_rate"] == pytest.approx(expected)


def test_phone_to_visit_rate_ignores_repeat_and_anonymous_calls(con):
    insert(
        con,
        "traffic",
        [
            call("p1", d(9, 1), customer_id="c1"),
            call("p2", d(9, 2), customer_id="c2", first_visit=False),
            call("p3", d(9, 3), customer_id=None),
            walk("v1", d(9, 4), customer_id="c2"),
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["phone_to_visit_rate"] == pytest.approx(0.0)  # c1 never came / c1


def test_event_traffic_share(con):
    insert(
        con,
        "traffic",
        [
            walk("v1", d(9, 1), event_id="EV1"),
            walk("v2", d(9, 1), channel="showroom_event"),
            walk("v3", d(9, 1), channel="outdoor_event", event_id="EV2"),  # counted once
            walk("v4", d(9, 1)),
            call("p1", d(9, 1), event_id="EV1"),  # a call is not traffic
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["event_traffic_share"] == pytest.approx(0.75)  # v1, v2, v3 / 4 walk-ins


def test_period_boundaries(con):
    insert(
        con,
        "traffic",
        [walk("v1", d(8, 31)), walk("v2", d(9, 1)), walk("v3", d(9, 30)), walk("v4", d(10, 1))],
    )
    insert(
        con,
        "orders",
        [
            delivered("o1", d(8, 31), d(9, 1)),
            delivered("o2", d(9, 30), d(10, 1)),
            order("o3", d(9, 1)),
            order("o4", d(10, 1)),
        ],
    )
    r = sales.summary(con, SEPT)
    assert r["walk_in_batches"] == 2  # Sept 1 and Sept 30
    assert r["orders"] == 2  # o2, o3
    assert r["deliveries"] == 1  # o1


def test_daily_walk_ins_uses_days_to_as_of(con):
    insert(con, "traffic", [walk(f"v{i}", d(9, 1 + i)) for i in range(6)])  # Sept 1..6
    mid = Scope.for_month("2026-09", today=d(9, 15))
    r = sales.summary(con, mid)
    assert mid.as_of == d(9, 15)
    assert r["walk_in_batches"] == 6
    assert r["daily_walk_ins"] == pytest.approx(0.4)  # 6 / 15 days (Sept 1..15)
    future = Scope.for_month("2026-10", today=d(9, 15))  # as_of before the period's start
    assert sales.summary(con, future)["daily_walk_ins"] is None


def test_running_month_counts_what_was_known_on_as_of(showroom):
    # Today Sept 10; the database already holds the rest of September and October.
    r = sales.summary(showroom, Scope.for_month("2026-09", today=d(9, 10)))
    assert r["walk_in_batches"] == 4  # v1, v2, v3, v4 (v5 on Sept 30 not yet)
    assert r["first_visit_batches"] == 3  # v1, v2, v4
    assert r["phone_batches"] == 3  # p1, p2, p3
    assert r["daily_walk_ins"] == pytest.approx(0.4)  # 4 / Sept 1..10
    assert r["test_drive_rate"] == pytest.approx(0.5)  # v1, v2 / 4
    assert r["orders"] == 2  # o1 (Sept 5), o2 (Sept 8); o4, o6 are later
    assert r["deliveries"] == 1  # o3 (Sept 1); o1 is delivered Sept 12
    assert r["close_rate"] == pytest.approx(1 / 3)  # retail o1 / 3 first visits
    # c1 (o1 on Sept 5) of c1, c2; c2's o5 is cancelled
    assert r["cohort_close_rate"] == pytest.approx(0.5)
    # the 30-day windows stop at as_of: c4's walk-in (Oct 5) and c5's (Oct 7) are not known
    assert r["phone_to_visit_rate"] == pytest.approx(0.0)
    assert r["cancellation_rate"] == pytest.approx(0.0)  # o5 (Sept 20) not yet; 0 / 2
    assert r["fleet_share"] == pytest.approx(0.0)  # o3 is retail; o2 delivers later
    assert r["event_traffic_share"] == pytest.approx(0.5)  # v2, v3 / 4


def test_running_month_on_its_first_day(showroom):
    r = sales.summary(showroom, Scope.for_month("2026-09", today=d(9, 1)))
    assert r["walk_in_batches"] == 1  # v1
    assert r["daily_walk_ins"] == pytest.approx(1.0)  # 1 / 1 day
    assert r["orders"] == 0  # o1 is ordered Sept 5
    assert r["deliveries"] == 1  # o3, delivered Sept 1
    assert r["close_rate"] == pytest.approx(0.0)  # 0 retail orders / 1 first visit
    assert r["cohort_close_rate"] == pytest.approx(0.0)  # c1's o1 (Sept 5) after as_of


def test_running_month_on_the_day_before_its_end(showroom):
    r = sales.summary(showroom, Scope.for_month("2026-09", today=d(9, 29)))
    assert r["walk_in_batches"] == 4  # v1..v4; v5 is Sept 30
    assert r["orders"] == 3  # o1, o2, o4; o6 is ordered Sept 30
    assert r["deliveries"] == 3  # o1, o2, o3
    assert r["cancellation_rate"] == pytest.approx(0.25)  # o5 / o1, o2, o4, o5
    assert r["close_rate"] == pytest.approx(2 / 3)  # retail o1, o4 / v1, v2, v4
    assert r["cohort_close_rate"] == pytest.approx(0.5)  # c1 of c1, c2
    assert r["phone_to_visit_rate"] == pytest.approx(0.0)  # Oct 5 and Oct 7 are later


def test_running_month_compares_with_the_same_days(showroom):
    # Oct 1..3 running (today Oct 3) against Sept 1..3, whose 30-day windows stop at Sept 3
    now, prev, _ = sales.summaries(showroom, Scope.for_month("2026-10", today=d(10, 3)))
    assert now["walk_in_batches"] == 1  # v7 (Oct 1); v8, v9 later
    assert now["deliveries"] == 1  # o6 (Oct 2)
    assert prev["walk_in_batches"] == 3  # v1, v2, v3 (Sept 1..3)
    assert prev["deliveries"] == 1  # o3 (Sept 1)
    assert prev["orders"] == 0  # o1 is ordered Sept 5
    assert prev["cohort_close_rate"] == pytest.approx(0.0)  # c1's o1 (Sept 5) after Sept 3


def test_custom_range(showroom):
    # Sept 10..Oct 5 (26 days), today Oct 20
    scope = Scope.for_range(d(9, 10), d(10, 5), today=d(10, 20))
    r = sales.summary(showroom, scope)
    assert r["walk_in_batches"] == 4  # v4, v5, v7, v8
    assert r["first_visit_batches"] == 3  # v4, v5, v7
    assert r["daily_walk_ins"] == pytest.approx(4 / 26)
    assert r["orders"] == 3  # o4, o6, o7 (o5 cancelled; o2 ordered Sept 8 is outside)
    assert r["deliveries"] == 3  # o1 (Sept 12), o2 (Sept 20), o6 (Oct 2)


def test_filters(showroom):
    li = sales.summary(showroom, SEPT.with_filters(consultant="Li"))
    assert li["walk_in_batches"] == 2  # v1, v2
    assert li["phone_batches"] == 2  # p1, p3
    assert li["orders"] == 2  # o1, o6
    assert li["deliveries"] == 2  # o1, o3
    assert li["close_rate"] == pytest.approx(1.0)  # retail o1, o6 / first visits v1, v2
    assert li["cancellation_rate"] == pytest.approx(1 / 3)  # o5 / o1, o5, o6
    assert li["cohort_close_rate"] == pytest.approx(0.5)  # c1 closed / c1, c2
    assert li["units_per_consultant"] == pytest.approx(2.0)  # 2 deliveries / Li

    a4 = sales.summary(showroom, SEPT.with_filters(model="A4"))
    assert a4["walk_in_batches"] == 2  # v3, v4 (model_interest)
    assert a4["orders"] == 2  # o2, o6 (orders.model)
    assert a4["deliveries"] == 2  # o2, o3

    autohome = sales.summary(showroom, SEPT.with_filters(channel="autohome"))
    assert autohome["walk_in_batches"] == 2  # v1, v4
    assert autohome["phone_batches"] == 2  # p1, p3
    assert autohome["orders"] == 1  # o1 (o5 cancelled)
    assert autohome["deliveries"] == 2  # o1, o3
    assert autohome["cancellation_rate"] == pytest.approx(0.5)  # o5 / o1, o5


@pytest.fixture
def two_stores(con):
    """s1: one first-visit test drive by c1. s2: c1 and c2 first visits, a return; c1 buys."""
    insert(
        con,
        "traffic",
        [walk("v1", d(9, 1), first_visit=True, test_drive=True, customer_id="c1")],
        store="s1",
    )
    insert(
        con,
        "traffic",
        [
            walk("v1", d(9, 2), first_visit=True, customer_id="c1"),
            walk("v2", d(9, 3), first_visit=True, customer_id="c2"),
            walk("v3", d(9, 4), customer_id="c3"),
        ],
        store="s2",
    )
    insert(con, "orders", [delivered("o1", d(9, 5), d(9, 10), customer_id="c1")], store="s2")
    return con


def test_two_stores_pooled(two_stores):
    r = sales.summary(two_stores, SEPT)
    assert r["walk_in_batches"] == 4
    assert r["test_drive_rate"] == pytest.approx(0.25)  # (1 + 0) / (1 + 3), not (1 + 0) / 2
    assert r["close_rate"] == pytest.approx(1 / 3)  # 1 retail order / 3 first visits
    # customers per store: (s1, c1), (s2, c1), (s2, c2); only (s2, c1) ordered in its store
    assert r["cohort_close_rate"] == pytest.approx(1 / 3)
    assert r["units_per_consultant"] == pytest.approx(0.5)  # 1 delivery / Li@s1, Li@s2


@pytest.mark.parametrize(
    ("store", "cohort", "units", "tdr"),
    [
        ("s1", 0.0, 0.0, 1.0),  # c1 ordered in s2 only; 0 deliveries / Li; 1 / 1
        ("s2", 0.5, 1.0, 0.0),  # c1 of c1, c2; 1 delivery / Li; 0 / 3
    ],
)
def test_two_stores_single_store(two_stores, store, cohort, units, tdr):
    r = sales.summary(two_stores, SEPT.with_filters(store=store))
    assert r["cohort_close_rate"] == pytest.approx(cohort)
    assert r["units_per_consultant"] == pytest.approx(units)
    assert r["test_drive_rate"] == pytest.approx(tdr)


# ----------------------------------------------------------------------------- breakdowns


def test_by_consultant(showroom):
    df = sales.by_consultant(showroom, SEPT)
    expected = pd.DataFrame(
        {
            "consultant": ["Li", "Wang"],  # Zhao (calls only) is not ranked
            "store": ["s1", "s1"],
            "walk_in_batches": [2, 3],  # v1, v2 | v3, v4, v5
            "first_visit_batches": [2, 2],  # v1, v2 | v4, v5
            "test_drives": [2, 1],  # v1, v2 | v5
            "test_drive_rate": [1.0, 1 / 3],
            "orders": [2, 2],  # o1, o6 | o2, o4
            "deliveries": [2, 1],  # o1, o3 | o2
            "close_rate": [1.0, 0.5],  # retail o1, o6 / 2 | o4 / 2
            "total_gross": [27500.0, 20000.0],  # 18000 + 9500 | 20000
            "total_gross_per_unit": [13750.0, 20000.0],
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)


def test_by_consultant_counts_people_per_store(two_stores):
    df = sales.by_consultant(two_stores, SEPT)
    assert list(zip(df["store"], df["consultant"], df["deliveries"], strict=True)) == [
        ("s2", "Li", 1),
        ("s1", "Li", 0),
    ]


def test_by_model(showroom):
    df = sales.by_model(showroom, SEPT)
    expected = pd.DataFrame(
        {
            "model": ["A4", "A6"],
            "walk_in_batches": [2, 3],  # v3, v4 | v1, v2, v5
            "test_drives": [0, 3],
            "orders": [2, 2],  # o2, o6 | o1, o4
            "deliveries": [2, 1],  # o2, o3 | o1
            "front_gross_per_unit": [12500.0, 10000.0],  # (20000 + 5000) / 2 | 10000
            "total_gross_per_unit": [14750.0, 18000.0],  # (20000 + 9500) / 2 | 18000
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)


def test_by_channel(showroom):
    df = sales.by_channel(showroom, SEPT)
    expected = pd.DataFrame(
        {
            "channel": ["autohome", "dongchedi", "referral", "outdoor_event", "wechat"],
            "walk_in_batches": [2, 1, 1, 1, 0],  # v1, v4 | v5 | v3 | v2 | -
            "phone_batches": [2, 0, 0, 0, 1],  # p1, p3 | p2
            "orders": [1, 1, 1, 0, 1],  # o1 | o4 | o2 | - | o6
            "deliveries": [2, 0, 1, 0, 0],  # o1, o3 | - | o2
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)


def test_daily_runs_to_as_of_zero_filled(showroom):
    df = sales.daily(showroom, Scope.for_month("2026-09", today=d(9, 10)))
    assert list(df.columns) == [
        "date",
        "walk_in_batches",
        "first_visit_batches",
        "phone_batches",
        "test_drives",
        "orders",
        "deliveries",
    ]
    assert len(df) == 10  # Sept 1..10
    assert list(df["date"]) == [d(9, i) for i in range(1, 11)]
    assert df.iloc[0].tolist() == [d(9, 1), 1, 1, 0, 1, 0, 1]  # v1; o3 delivered
    assert df.iloc[4].tolist() == [d(9, 5), 0, 0, 1, 0, 1, 0]  # p1; o1 ordered
    assert df.iloc[7].tolist() == [d(9, 8), 0, 0, 0, 0, 1, 0]  # o2 ordered
    assert df.iloc[8].tolist() == [d(9, 9), 0, 0, 0, 0, 0, 0]
    assert df["walk_in_batches"].sum() == 4  # v1, v2, v3, v4
    assert df["deliveries"].sum() == 1  # o1 is delivered on Sept 12, after as_of


def test_daily_empty(con):
    assert len(sales.daily(con, SEPT)) == 30
    assert sales.daily(con, SEPT)[["walk_in_batches", "deliveries"]].sum().tolist() == [0, 0]
    assert sales.daily(con, Scope.for_month("2026-10", today=d(9, 15))).empty


def test_monthly(showroom):
    df = sales.monthly(showroom, SEPT, months=3)
    assert list(df["month"]) == ["2026-07", "2026-08", "2026-09"]
    assert list(df["walk_in_batches"]) == [0, 1, 5]  # - | v6 | v1..v5
    assert list(df["orders"]) == [0, 1, 4]  # - | o3 | o1, o2, o4, o6
    assert list(df["deliveries"]) == [0, 0, 3]
    assert pd.isna(df["test_drive_rate"].iloc[0])  # July: 0 walk-ins
    assert df["test_drive_rate"].iloc[2] == pytest.approx(0.6)
    assert set(df.columns) == {"month", *sales.SUMMARY_IDS}


def test_monthly_custom_range_ends_with_the_end_month(showroom):
    scope = Scope.for_range(d(9, 20), d(10, 3), today=d(11, 30))
    df = sales.monthly(showroom, scope, months=2)
    assert list(df["month"]) == ["2026-09", "2026-10"]  # whole calendar months
    # October is read as known on as_of (Oct 3): v8 (Oct 5) and v9 (Oct 7) not yet
    assert list(df["walk_in_batches"]) == [5, 1]  # v1..v5 | v7
    assert list(df["deliveries"]) == [3, 1]  # o1, o2, o3 | o6 (Oct 2)
    assert df["daily_walk_ins"].iloc[1] == pytest.approx(1 / 3)  # 1 / Oct 1..3 (as_of Oct 3)


def test_funnel(showroom):
    df = sales.funnel(showroom, SEPT)
    assert df["stage"].tolist() == ["walk_in_batches", "test_drives", "orders", "deliveries"]
    assert df["value"].tolist() == [5, 3, 4, 3]


def test_tables(showroom):
    t = sales.tables(showroom, SEPT)
    assert t == {
        "deliveries_by_model": {"A4": 2, "A6": 1},
        "orders_by_model": {"A4": 2, "A6": 2},
        "walk_ins_by_model": {"A4": 2, "A6": 3},
    }


def test_breakdowns_empty(con):
    assert sales.by_consultant(con, SEPT).empty
    assert sales.by_model(con, SEPT).empty
    assert sales.by_channel(con, SEPT).empty
    assert sales.tables(con, SEPT) == {
        "deliveries_by_model": {},
        "orders_by_model": {},
        "walk_ins_by_model": {},
    }
    assert sales.funnel(con, SEPT)["value"].tolist() == [0, 0, 0, 0]


def test_counts_by(showroom):
    df = sales.counts_by(showroom, SEPT, by="consultant")
    assert df[["consultant", "walk_in_batches", "phone_batches", "deliveries"]].values.tolist() == [
        ["Li", 2, 2, 2],
        ["Wang", 3, 0, 1],
        ["Zhao", 0, 1, 0],
    ]
    df = sales.counts_by(showroom, SEPT, by="store")
    assert df[["store", "orders", "deliveries"]].values.tolist() == [["s1", 4, 3]]
    with pytest.raises(ValueError, match="by must be"):
        sales.counts_by(showroom, SEPT, by="model")


def test_monthly_deliveries(showroom):
    got = sales.monthly_deliveries(showroom, 2026)
    assert got[9] == 3.0  # o1, o2, o3
    assert got[10] == 1.0  # o6
    assert sum(got.values()) == 4.0
    assert sales.monthly_deliveries(showroom, 2026, store="s2")[9] == 0.0


def test_report_is_the_summary_then_the_tables(showroom):
    r = sales.report(showroom, SEPT)
    assert list(r) == [
        *sales.SUMMARY_IDS,
        "backlog_orders",
        "backlog_unmatched",
        "backlog_age_days",  # kpi.backlog
        "deliveries_by_model",
        "orders_by_model",
        "walk_ins_by_model",
    ]
    assert r["walk_in_batches"] == 5  # v1..v5
    assert r["orders"] == 4  # o1, o2, o4, o6
    assert r["deliveries"] == 3  # o1, o2, o3
    assert r["cohort_close_rate"] == pytest.approx(2 / 3)  # c1, c3 of c1, c2, c3
    assert r["phone_to_visit_rate"] == pytest.approx(0.5)  # c4 of c4, c5
    assert r["total_gross_per_unit"] == pytest.approx(47500 / 3)  # 18000 + 20000 + 9500
    assert r["units_per_consultant"] == pytest.approx(1.5)  # 3 deliveries / Li, Wang
    # A4: o2, o3 delivered; o2, o6 ordered; v3, v4. A6: o1 | o1, o4 | v1, v2, v5
    assert r["deliveries_by_model"] == {"A4": 2, "A6": 1}
    assert r["orders_by_model"] == {"A4": 2, "A6": 2}
    assert r["walk_ins_by_model"] == {"A4": 2, "A6": 3}
    for k in sales.SUMMARY_IDS:
        assert r[k] is None or type(r[k]) in (int, float), k


def test_tables_unknown_model_ties_and_calls_only(con):
    insert(
        con,
        "traffic",
        [
            walk("v1", d(9, 3), model_interest=None),
            walk("v2", d(9, 4), model_interest="B"),
            call("p1", d(9, 5), model_interest="Z"),  # a call only: Z is not listed
        ],
    )
    insert(
        con,
        "orders",
        [
            delivered("o1", d(9, 1), d(9, 5), model=None),
            delivered("o2", d(9, 1), d(9, 6), model="C"),
            delivered("o3", d(9, 2), d(9, 7), model="B"),
            order("o4", d(9, 8), model="C"),
        ],
    )
    t = sales.tables(con, SEPT)
    # 1 delivery each; C has 2 orders (o2, o4), B and no model 1: C, then B, then no model
    assert list(t["deliveries_by_model"].items()) == [("C", 1), ("B", 1), ("unknown", 1)]
    assert list(t["orders_by_model"].items()) == [("C", 2), ("B", 1), ("unknown", 1)]
    assert list(t["walk_ins_by_model"].items()) == [("B", 1), ("unknown", 1)]  # v2 | v1


def test_report_empty_database(con):
    r = sales.report(con, SEPT)
    assert r["walk_in_batches"] == 0
    assert r["deliveries"] == 0
    assert r["close_rate"] is None
    assert r["deliveries_by_model"] == {}
    assert r["walk_ins_by_model"] == {}


def test_summaries_this_period_the_previous_and_last_year(showroom):
    now, prev, last_year = sales.summaries(showroom, SEPT)
    assert (now["walk_in_batches"], now["orders"], now["deliveries"]) == (5, 4, 3)
    assert now["cohort_close_rate"] == pytest.approx(2 / 3)  # as test_summary_showroom_month
    # August: v6 (Aug 31, first visit); o3 ordered Aug 20, delivered in September
    assert (prev["walk_in_batches"], prev["orders"], prev["deliveries"]) == (1, 1, 0)
    assert prev["cohort_close_rate"] == 0.0  # c9: no order within 30 days
    assert prev["units_per_consultant"] == 0.0  # 0 deliveries / Li
    assert (last_year["walk_in_batches"], last_year["orders"]) == (0, 0)  # September 2025
    assert last_year["close_rate"] is None
    assert [list(s) for s in (now, prev, last_year)] == [list(sales.SUMMARY_IDS)] * 3


def test_summaries_of_overlapping_periods_count_a_row_in_each(showroom):
    # Aug 15 - Sep 30, and a month before: Jul 15 - Aug 30; o3 (Aug 20) is in both
    scope = Scope.for_range(d(8, 15), d(9, 30), today=d(10, 20))
    now, prev = sales.summaries(showroom, scope, shifts=(0, -1))
    assert now["orders"] == 5  # o3, o1, o2, o4, o6 (o5 cancelled)
    assert prev["orders"] == 1  # o3
    assert now["walk_in_batches"] == 6  # v6 (Aug 31), v1..v5
    assert prev["walk_in_batches"] == 0  # v6 is on Aug 31, after Aug 30


def test_monthly_without_cohorts(showroom):
    df = sales.monthly(showroom, SEPT, months=2, cohorts=False)
    assert list(df["month"]) == ["2026-08", "2026-09"]
    assert list(df["walk_in_batches"]) == [1, 5]  # v6 | v1..v5
    assert list(df["deliveries"]) == [0, 3]
    assert df["cohort_close_rate"].isna().all()  # not computed
    assert df["units_per_consultant"].isna().all()
    assert set(df.columns) == {"month", *sales.SUMMARY_IDS}


def test_summaries_without_cohorts_keep_them_for_the_first_period(showroom):
    now, prev, last_year = sales.summaries(showroom, SEPT, cohorts=False)
    assert now["cohort_close_rate"] == pytest.approx(2 / 3)  # this period is complete
    assert now["units_per_consultant"] == pytest.approx(1.5)
    assert (prev["walk_in_batches"], prev["orders"]) == (1, 1)  # v6 | o3, as with cohorts
    for kpi_id in sales.COHORT_IDS:  # not computed for the shifted periods
        assert prev[kpi_id] is None and last_year[kpi_id] is None, kpi_id
