"""Vehicle inventory KPIs (kpi/inventory.py) on small hand-worked datasets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kpi import inventory
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release

SEP = date(2026, 9, 1)
SEP_END = date(2026, 9, 30)


def veh(
    vin,
    model="A",
    arrival=None,
    sold=None,
    ordered=None,
    eta=None,
    cost=100000.0,
    rate=None,
    store=None,
):
    row = {
        "vin": vin,
        "model": model,
        "arrival_date": arrival,
        "sold_date": sold,
        "ordered_date": ordered,
        "eta": eta,
        "cost": cost,
        "floorplan_rate": rate,
    }
    return row | ({"store": store} if store else {})


def order(oid, delivered, model="A", status="delivered", vin=None, sale_type="retail", store=None):
    row = {
        "order_id": oid,
        "order_date": date(2026, 1, 1),
        "delivery_date": delivered,
        "status": status,
        "model": model,
        "vin": vin,
        "sale_type": sale_type,
    }
    return row | ({"store": store} if store else {})


def month_scope(today: date, **kw) -> Scope:
    return Scope.for_month("2026-09", today=today, **kw)


def test_empty_database(con):
    r = inventory.summary(con, month_scope(date(2026, 9, 15)))
    assert r == {
        "stock_units": 0,
        "in_transit_units": 0,
        "avg_monthly_sales_3m": 0.0,
        "inventory_months": None,
        "inventory_coefficient": None,
        "days_supply": None,
        "avg_days_in_stock": None,
        "aged_units_90": 0,
        "capital_tied_up": 0.0,
        "floorplan_cost": 0.0,
    }
    scope = month_scope(date(2026, 9, 15))
    assert inventory.order_gap(con, scope).empty
    assert inventory.by_model(con, scope).empty
    assert inventory.aged_units(con, scope).empty
    assert inventory.in_transit(con, scope).empty
    assert inventory.tables(con, scope) == {
        "order_gap": {},
        "aging_buckets": {"0-30": 0, "31-60": 0, "61-90": 0, "91-180": 0, ">180": 0},
    }


# as_of 2026-09-15; each vehicle alone: (in stock, in transit).
@pytest.mark.parametrize(
    ("vehicle", "stock", "transit"),
    [
        (veh("V", arrival=date(2026, 9, 15)), 1, 0),  # arrived on as_of: in stock
        (veh("V", arrival=date(2026, 9, 16)), 0, 1),  # arrives tomorrow: in transit
        (veh("V", arrival=date(2026, 9, 1), sold=date(2026, 9, 15)), 0, 0),  # sold on as_of
        (veh("V", arrival=date(2026, 9, 1), sold=date(2026, 9, 16)), 1, 0),  # sold after
        (veh("V", ordered=date(2026, 9, 15)), 0, 1),  # ordered on as_of, not arrived
        (veh("V", ordered=date(2026, 9, 16)), 0, 0),  # ordered after as_of
        (veh("V"), 0, 1),  # no dates at all: in transit
        (veh("V", sold=date(2026, 9, 10)), 0, 0),  # sold before arrival (direct delivery)
        (veh("V", ordered=date(2026, 8, 1), sold=date(2026, 9, 16)), 0, 1),
    ],
)
def test_stock_and_transit_states(con, vehicle, stock, transit):
    insert(con, "vehicles", [vehicle])
    r = inventory.summary(con, month_scope(date(2026, 9, 15)))
    assert (r["stock_units"], r["in_transit_units"]) == (stock, transit)


# Vehicle V arrived 2026-09-01 with no sold_date; as_of 2026-09-15.
@pytest.mark.parametrize(
    ("orders", "stock"),
    [
        ([order("O1", date(2026, 9, 10), vin="V")], 0),  # delivered order sells it
        ([order("O1", date(2026, 9, 15), vin="V")], 0),  # delivered on as_of
        ([order("O1", date(2026, 9, 16), vin="V")], 1),  # delivered after as_of
        ([order("O1", None, status="open", vin="V")], 1),  # open order: still in stock
        ([order("O1", date(2026, 9, 10), status="open", vin="V")], 1),
        ([order("O1", date(2026, 9, 10), status="cancelled", vin="V")], 1),
        ([order("O1", date(2026, 9, 10), vin="V", store="s2")], 1),  # other store's order
        ([order("O1", date(2026, 9, 10), vin="W")], 1),  # another VIN
    ],
)
def test_sold_date_filled_from_delivered_order_only(con, orders, stock):
    insert(con, "vehicles", [veh("V", arrival=SEP)])
    insert(con, "orders", orders)
    r = inventory.summary(con, month_scope(date(2026, 9, 15), store="s1"))
    assert r["stock_units"] == stock


def test_explicit_sold_date_wins_over_order(con):
    # The ledger says sold 2026-09-20 (after as_of) although an order delivered it 09-10.
    insert(con, "vehicles", [veh("V", arrival=SEP, sold=date(2026, 9, 20))])
    insert(con, "orders", [order("O1", date(2026, 9, 10), vin="V")])
    assert inventory.summary(con, month_scope(date(2026, 9, 15)))["stock_units"] == 1


@pytest.fixture
def sales_con(con):
    """Six units in stock since 09-01 and deliveries from June to September 2026."""
    insert(con, "vehicles", [veh(f"V{i}", arrival=SEP) for i in range(6)])
    insert(
        con,
        "orders",
        [
            order("JUN30", date(2026, 6, 30)),
            order("JUL01", date(2026, 7, 1)),
            order("JUL15", date(2026, 7, 15), sale_type="fleet"),  # every sale type counts
            order("JUL31", date(2026, 7, 31)),
            order("AUG01", date(2026, 8, 1)),
            order("AUG15", date(2026, 8, 15), sale_type="sub_dealer"),
            order("AUG31", date(2026, 8, 31)),
            order("SEP01", date(2026, 9, 1)),
            order("SEP15", date(2026, 9, 15)),
            order("SEP30", date(2026, 9, 30)),
            order("CANC", date(2026, 8, 10), status="cancelled"),  # counts nowhere
            order("OPEN", date(2026, 8, 11), status="open"),  # not a delivery
        ],
    )
    return con


def test_sales_based_kpis_as_of_month_end(sales_con):
    # as_of 2026-09-30 is its month's last day: September is complete, window Jul-Sep.
    r = inventory.summary(sales_con, month_scope(date(2026, 10, 5)))
    assert r["avg_monthly_sales_3m"] == pytest.approx(3.0)  # (3 Jul + 3 Aug + 3 Sep) / 3
    assert r["inventory_months"] == pytest.approx(2.0)  # 6 in stock / 3.0
    assert r["inventory_coefficient"] == pytest.approx(2.0)  # 6 / 3 delivered 09-01..09-30
    # 90 days up to 09-30: 07-02 < d <= 09-30 -> JUL15..SEP30 = 8 deliveries
    assert r["days_supply"] == pytest.approx(67.5)  # 6 / (8 / 90)


def test_sales_based_kpis_mid_month(sales_con):
    # as_of 2026-09-29: September incomplete, window Jun-Aug.
    r = inventory.summary(sales_con, month_scope(date(2026, 9, 29)))
    assert r["avg_monthly_sales_3m"] == pytest.approx(7 / 3)  # (1 Jun + 3 Jul + 3 Aug) / 3
    assert r["inventory_months"] == pytest.approx(18 / 7)  # 6 / (7 / 3)
    # 2 delivered 09-01..09-29, projected to month end: 2 / 29 × 30 = 60/29; 6 / (60/29)
    assert r["inventory_coefficient"] == pytest.approx(2.9)
    # 07-01 < d <= 09-29: JUL15..SEP15 = 7 deliveries
    assert r["days_supply"] == pytest.approx(6 / (7 / 90))


def test_days_supply_90_day_window_edges(con):
    # as_of 2026-09-15; as_of - 90 days = 2026-06-17 is outside, 06-18 inside.
    insert(con, "vehicles", [veh("V", arrival=SEP)])
    insert(
        con,
        "orders",
        [
            order("D0617", date(2026, 6, 17)),
            order("D0618", date(2026, 6, 18)),
            order("D0915", date(2026, 9, 15)),
            order("D0916", date(2026, 9, 16)),  # after as_of
        ],
    )
    r = inventory.summary(con, month_scope(date(2026, 9, 15)))
    assert r["days_supply"] == pytest.approx(45.0)  # 1 / (2 / 90)
    # 1 delivered 09-01..09-15, projected: 1 / 15 × 30 = 2; 1 in stock / 2
    assert r["inventory_coefficient"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("today", "stock", "coefficient"),
    [
        # Sept 1: V1..V3 in stock (V3 sold Sept 20, later); D1 delivered: 1 × 30 projected
        (date(2026, 9, 1), 3, 0.1),  # 3 / 30
        # Sept 29: V3 sold; D1, D20 delivered: 2 / 29 × 30 = 60/29 projected
        (date(2026, 9, 29), 2, 0.9666666666666667),  # 2 / (60/29) = 58/60
        # Sept 30, the last day: CADA's month-end stock ÷ the month's 3 deliveries
        (date(2026, 9, 30), 2, 0.6666666666666666),  # 2 / 3
    ],
)
def test_inventory_coefficient_projects_a_running_month(con, today, stock, coefficient):
    insert(con, "vehicles", [
        veh("V1", arrival=date(2026, 8, 1)), veh("V2", arrival=date(2026, 8, 2)),
        veh("V3", arrival=date(2026, 8, 3), sold=date(2026, 9, 20)),
    ])  # fmt: skip
    insert(con, "orders", [
        order("D1", date(2026, 9, 1)), order("D20", date(2026, 9, 20)),
        order("D30", date(2026, 9, 30)), order("D_OCT", date(2026, 10, 3)),
    ])  # fmt: skip
    r = inventory.summary(con, month_scope(today))
    assert r["stock_units"] == stock
    assert r["inventory_coefficient"] == pytest.approx(coefficient)


def test_zero_sales_gives_no_supply_ratios(con):
    insert(con, "vehicles", [veh("V", arrival=SEP)])
    r = inventory.summary(con, month_scope(date(2026, 9, 15)))
    assert r["stock_units"] == 1
    assert r["avg_monthly_sales_3m"] == 0.0
    assert r["inventory_months"] is None
    assert r["inventory_coefficient"] is None
    assert r["days_supply"] is None


AS_OF = date(2026, 9, 30)
AGES = (0, 30, 31, 60, 61, 90, 91, 180, 181)


@pytest.fixture(scope="module")
def aging_con():
    """One unit per boundary age as of 2026-09-30; the unit aged N costs 1000 x its rank."""
    con = memory_db()  # read only: the module's tests share it
    insert(
        con,
        "vehicles",
        [
            veh(f"AGE{age}", arrival=AS_OF - timedelta(days=age), cost=1000.0 * (i + 1))
            for i, age in enumerate(AGES)
        ],
    )
    yield con
    release(con)


def test_aging_kpis(aging_con):
    r = inventory.summary(aging_con, month_scope(date(2026, 10, 3)))
    assert r["stock_units"] == 9
    assert r["avg_days_in_stock"] == pytest.approx(724 / 9)  # (0+30+31+60+61+90+91+180+181)/9
    assert r["aged_units_90"] == 3  # ages 91, 180, 181 (90 is not > 90)
    assert r["capital_tied_up"] == pytest.approx(45000.0)  # 1000 x (1+2+...+9)


def test_aging_buckets_boundaries(aging_con):
    frame = inventory.aging_buckets(aging_con, month_scope(date(2026, 10, 3)))
    assert frame["bucket"].tolist() == ["0-30", "31-60", "61-90", "91-180", ">180"]
    # 0,30 | 31,60 | 61,90 | 91,180 | 181
    assert frame["units"].tolist() == [2, 2, 2, 2, 1]
    # costs 1+2 | 3+4 | 5+6 | 7+8 | 9 (thousands)
    assert frame["value_cny"].tolist() == [3000.0, 7000.0, 11000.0, 15000.0, 9000.0]


def test_aged_units_list(aging_con):
    scope = month_scope(date(2026, 10, 3))
    frame = inventory.aged_units(aging_con, scope)
    assert frame["vin"].tolist() == ["AGE181", "AGE180", "AGE91"]
    assert frame["age_days"].tolist() == [181, 180, 91]
    assert frame["cost"].tolist() == [9000.0, 8000.0, 7000.0]
    assert list(frame.columns) == ["vin", "model", "store", "arrival_date", "age_days", "cost"]
    assert inventory.aged_units(aging_con, scope, min_age_days=90)["vin"].tolist()[-1] == "AGE90"


def test_floorplan_days_arrival_inclusive_sold_exclusive(con):
    insert(
        con,
        "vehicles",
        [
            # Sep 1..Sep 10 = 10 days x 365000 x 0.10 / 365 = 100 a day -> 1000
            veh("A", arrival=date(2026, 8, 20), sold=date(2026, 9, 11), cost=365000.0, rate=0.10),
            # Sep 25..Sep 30 = 6 days x 73000 x 0.05 (store default) / 365 = 10 a day -> 60
            veh("B", arrival=date(2026, 9, 25), cost=73000.0),
            veh("C", arrival=date(2026, 9, 30), sold=date(2026, 9, 30), cost=1e6),  # 0 days
            veh("D", arrival=date(2026, 10, 1), cost=1e6),  # after the period
            veh("E", arrival=date(2026, 7, 1), sold=date(2026, 9, 1), cost=1e6),  # sold on 1st
            veh("F", ordered=date(2026, 9, 1), cost=1e6),  # in transit: never in stock
        ],
    )
    r = inventory.summary(con, month_scope(date(2026, 10, 5)))
    assert r["floorplan_cost"] == pytest.approx(1060.0)


def test_floorplan_clipped_to_custom_range(con):
    insert(
        con,
        "vehicles",
        [veh("A", arrival=date(2026, 8, 20), sold=date(2026, 9, 11), cost=365000.0, rate=0.10)],
    )
    scope = Scope.for_range(date(2026, 9, 5), date(2026, 9, 20), today=date(2026, 12, 1))
    # Sep 5..Sep 10 = 6 days x 100 a day
    assert inventory.summary(con, scope)["floorplan_cost"] == pytest.approx(600.0)


def test_floorplan_counts_only_days_up_to_as_of_when_period_runs_past_today(con):
    insert(con, "vehicles", [veh("A", arrival=date(2026, 9, 10), cost=36500.0, rate=0.10)])
    # today 09-15: Sep 10..Sep 15 = 6 days x 36500 x 0.10 / 365 = 10 a day (not 21 days)
    r = inventory.summary(con, month_scope(date(2026, 9, 15)))
    assert r["floorplan_cost"] == pytest.approx(60.0)


def test_floorplan_uses_store_rate_when_vehicle_has_none(con):
    insert(con, "vehicles", [veh("A", arrival=date(2026, 9, 1), cost=36500.0)])
    con.execute("UPDATE stores SET floorplan_rate = 0.02 WHERE store = 's1'")
    # 30 days x 36500 x 0.02 / 365 = 2 a day -> 60
    r = inventory.summary(con, month_scope(date(2026, 10, 1)))
    assert r["floorplan_cost"] == pytest.approx(60.0)


@pytest.fixture
def gap_con(con):
    """Models A, B, C as of 2026-09-15 (3-month window June-August, horizon 2026-10-31)."""
    insert(
        con,
        "vehicles",
        [
            veh("A1", model="A", ordered=date(2026, 8, 1), eta=date(2026, 10, 31)),
            veh("A2", model="A", ordered=date(2026, 8, 1)),  # empty eta counts
            veh("A3", model="A", ordered=date(2026, 8, 1), eta=date(2026, 9, 1)),  # overdue
            veh("A4", model="A", ordered=date(2026, 8, 1), eta=date(2026, 11, 1)),  # too late
            veh("B1", model="B", arrival=date(2026, 8, 1)),
            veh("B2", model="B", arrival=date(2026, 8, 1)),
            veh("C1", model="C", arrival=date(2025, 1, 1), sold=date(2025, 2, 1)),
        ],
    )
    rows = [order(f"A{i}", date(2026, 7, 1 + i), model="A") for i in range(10)]
    rows.append(order("B0", date(2026, 6, 1), model="B"))
    rows.append(order("B1", date(2026, 9, 1), model="B"))  # in as_of's month: not in window
    insert(con, "orders", rows)
    return con


def test_order_gap(gap_con):
    frame = inventory.order_gap(gap_con, month_scope(date(2026, 9, 15)))
    assert frame["model"].tolist() == ["A", "B", "C"]
    assert frame["avg_monthly_sales_3m"].tolist() == pytest.approx([10 / 3, 1 / 3, 0.0])
    assert frame["stock_units"].tolist() == [0, 2, 0]
    assert frame["in_transit_units"].tolist() == [4, 0, 0]
    assert frame["in_transit_by_horizon"].tolist() == [3, 0, 0]  # A4's eta 11-01 is late
    # stock + transit by horizon - forecast x (15/30 + 1), floored at 0:
    # A: 0 + 3 - 10/3 x 1.5 = -2 -> 0; B: 2 - 1/3 x 1.5 = 1.5; C: 0
    assert frame["projected_stock_next_month_end"].tolist() == pytest.approx([0.0, 1.5, 0.0])
    assert frame["inventory_months"].tolist()[:2] == pytest.approx([0.0, 6.0])  # 2 / (1/3)
    assert frame["inventory_months"].tolist()[2] is None
    # A: ceil(1.2 x 10/3 = 4.0 - 0 - 3) = 1; B: ceil(0.4 - 2) < 0 -> 0; C: 0
    assert frame["suggested_order"].tolist() == [1, 0, 0]
    assert inventory.tables(gap_con, month_scope(date(2026, 9, 15)))["order_gap"] == {
        "A": 1,
        "B": 0,
        "C": 0,
    }


def test_order_gap_target_months(gap_con):
    frame = inventory.order_gap(gap_con, month_scope(date(2026, 9, 15)), target_months=2.4)
    # A: ceil(2.4 x 10/3 = 8.0 - 3) = 5; B: ceil(0.8 - 2) -> 0
    assert frame["suggested_order"].tolist() == [5, 0, 0]


@pytest.mark.parametrize(
    ("forecast", "target", "stock", "transit", "expected"),
    [
        (2.5, 1.2, 0, 0, 3),  # 1.2 x 2.5 -> round(., 6) = 3.0 -> 3
        (50 / 3, 0.9, 10, 0, 5),  # 0.9 x 16.666666666666668 = 15.000000000000002 -> 15 - 10
        (35 / 3, 1.2, 0, 0, 14),  # 13.999999999999998 rounds to 14.0
        (7 / 3, 1.2, 2, 0, 1),  # 2.8 - 2 = 0.8 -> 1
        (1.0, 1.2, 5, 1, 0),  # 1.2 - 6 < 0 -> 0
        (0.0, 1.2, 0, 0, 0),
    ],
)
def test_suggested_order_rounding(forecast, target, stock, transit, expected):
    assert inventory.suggested_order(forecast, stock, transit, target) == expected


def test_order_gap_float_noise_end_to_end(con):
    # 50 deliveries in Jun-Aug -> forecast 50/3; 0.9 x 50/3 = 15.000000000000002 -> 15;
    # 15 - 10 in stock = 5 (not 6).
    insert(con, "vehicles", [veh(f"S{i}", arrival=SEP) for i in range(10)])
    insert(con, "orders", [order(f"O{i}", date(2026, 7, 1) + timedelta(days=i)) for i in range(50)])
    frame = inventory.order_gap(con, month_scope(date(2026, 9, 15)), target_months=0.9)
    assert frame["suggested_order"].tolist() == [5]


def test_model_filter_on_vehicles_and_orders(gap_con):
    scope = month_scope(date(2026, 9, 15), model="B")
    r = inventory.summary(gap_con, scope)
    assert r["stock_units"] == 2  # B1, B2
    assert r["in_transit_units"] == 0  # model A's transit left out
    assert r["avg_monthly_sales_3m"] == pytest.approx(1 / 3)  # B0 only
    assert inventory.order_gap(gap_con, scope)["model"].tolist() == ["B"]


def test_consultant_and_channel_filters_are_ignored(gap_con):
    base = inventory.summary(gap_con, month_scope(date(2026, 9, 15)))
    filtered = inventory.summary(
        gap_con, month_scope(date(2026, 9, 15), consultant="nobody", channel="nowhere")
    )
    assert filtered == base


@pytest.fixture
def two_stores(con):
    """The same VIN 'V1' in two stores; s2's delivered order sells only s2's V1."""
    insert(
        con,
        "vehicles",
        [
            veh("V1", arrival=date(2026, 9, 1), cost=100000.0),
            veh("V2", model="B", arrival=date(2026, 6, 1), cost=200000.0),
        ],
        store="s1",
    )
    insert(
        con,
        "vehicles",
        [
            veh("V1", arrival=date(2026, 8, 1), cost=300000.0, store="s2"),
            veh("V3", arrival=date(2026, 9, 1), cost=400000.0, store="s2"),
        ],
    )
    con.execute("UPDATE stores SET floorplan_rate = 0.0365 WHERE store = 's2'")
    insert(con, "orders", [order("S1-1", date(2026, 8, 10))], store="s1")
    insert(
        con,
        "orders",
        [order(f"S2-{i}", date(2026, 7, 10 + i)) for i in range(5)]
        + [order("S2-V1", date(2026, 9, 10), vin="V1", store="s2")],
        store="s2",
    )
    return con


def test_two_stores_pooled(two_stores):
    # as_of 2026-09-30 (month end): window Jul-Sep; s2's V1 sold 09-10, s1's V1 still in stock.
    pooled = inventory.summary(two_stores, month_scope(date(2026, 10, 2)))
    s1 = inventory.summary(two_stores, month_scope(date(2026, 10, 2), store="s1"))
    s2 = inventory.summary(two_stores, month_scope(date(2026, 10, 2), store="s2"))
    assert (s1["stock_units"], s2["stock_units"], pooled["stock_units"]) == (2, 1, 3)
    assert s1["avg_monthly_sales_3m"] == pytest.approx(1 / 3)  # 1 delivery
    assert s2["avg_monthly_sales_3m"] == pytest.approx(2.0)  # 6 deliveries
    assert pooled["avg_monthly_sales_3m"] == pytest.approx(7 / 3)
    assert s1["inventory_months"] == pytest.approx(6.0)  # 2 / (1/3)
    assert s2["inventory_months"] == pytest.approx(0.5)  # 1 / 2
    assert pooled["inventory_months"] == pytest.approx(9 / 7)  # 3 / (7/3), not a mean of ratios
    assert pooled["inventory_coefficient"] == pytest.approx(3.0)  # 3 / 1 (S2-V1 in Sep)
    assert s1["inventory_coefficient"] is None  # no September delivery in s1
    assert pooled["capital_tied_up"] == pytest.approx(700000.0)  # 100k + 200k + 400k
    # ages: s1 V1 29, V2 121; s2 V3 29 -> (29 + 121 + 29) / 3
    assert pooled["avg_days_in_stock"] == pytest.approx(179 / 3)
    assert pooled["aged_units_90"] == 1
    # Floorplan, September: s1 V1 30 d x 100000 x 0.05/365; s1 V2 30 d x 200000 x 0.05/365;
    # s2 V1 Sep 1..9 = 9 d x 300000 x 0.0365/365 = 270; s2 V3 30 d x 400000 x 0.0365/365 = 1200
    expected_s1 = 30 * 100000 * 0.05 / 365 + 30 * 200000 * 0.05 / 365
    assert s1["floorplan_cost"] == pytest.approx(expected_s1)
    assert s2["floorplan_cost"] == pytest.approx(1470.0)
    assert pooled["floorplan_cost"] == pytest.approx(expected_s1 + 1470.0)


def test_by_model_pools_stores(two_stores):
    frame = inventory.by_model(two_stores, month_scope(date(2026, 10, 2)))
    assert list(frame.columns) == list(inventory.BY_MODEL_COLUMNS)
    assert frame["model"].tolist() == ["A", "B"]
    assert frame["stock_units"].tolist() == [2, 1]  # A: s1 V1 + s2 V3; B: s1 V2
    assert frame["avg_monthly_sales_3m"].tolist() == pytest.approx([7 / 3, 0.0])
    assert frame["inventory_months"].tolist()[0] == pytest.approx(6 / 7)  # 2 / (7/3)
    assert frame["inventory_months"].tolist()[1] is None
    assert frame["capital_tied_up"].tolist() == pytest.approx([500000.0, 200000.0])
    assert frame["aged_units_90"].tolist() == [0, 1]
    assert frame["avg_days_in_stock"].tolist() == pytest.approx([29.0, 121.0])


def test_in_transit_list(gap_con):
    frame = inventory.in_transit(gap_con, month_scope(date(2026, 9, 15)))
    assert list(frame.columns) == ["vin", "model", "store", "ordered_date", "eta"]
    assert frame["vin"].tolist() == ["A3", "A1", "A4", "A2"]  # by eta, empty eta last


def test_monthly(con):
    insert(
        con,
        "vehicles",
        [
            veh("V1", arrival=date(2026, 7, 20), sold=date(2026, 8, 10), cost=36500.0, rate=0.1),
            veh("V2", arrival=date(2026, 8, 5), cost=36500.0, rate=0.1),
        ],
    )
    frame = inventory.monthly(con, month_scope(date(2026, 9, 15)), months=3)
    assert frame["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    assert frame["stock_units"].tolist() == [1, 1, 1]  # V1 at 07-31, V2 at 08-31 and 09-15
    # 10 a day each: Jul 20..31 = 12 d; Aug: V1 1..9 = 9 d + V2 5..31 = 27 d; Sep 1..15 = 15 d
    assert frame["floorplan_cost"].tolist() == pytest.approx([120.0, 360.0, 150.0])
    assert frame["avg_days_in_stock"].tolist() == pytest.approx([11.0, 26.0, 41.0])
    assert frame["inventory_months"].tolist() == [None, None, None]


def test_tables_aging(aging_con):
    t = inventory.tables(aging_con, month_scope(date(2026, 10, 3)))
    assert t["aging_buckets"] == {"0-30": 2, "31-60": 2, "61-90": 2, "91-180": 2, ">180": 1}
    assert t["order_gap"] == {"A": 0}  # 9 in stock, no sales


@pytest.mark.parametrize(
    ("as_of", "window"),
    [
        (date(2026, 9, 30), (date(2026, 7, 1), date(2026, 9, 30))),
        (date(2026, 9, 29), (date(2026, 6, 1), date(2026, 8, 31))),
        (date(2026, 2, 28), (date(2025, 12, 1), date(2026, 2, 28))),
        (date(2026, 1, 15), (date(2025, 10, 1), date(2025, 12, 31))),
    ],
)
def test_complete_months_window(as_of, window):
    assert inventory.complete_months_window(as_of) == window


def test_order_gap_model_list(gap_con):
    insert(
        gap_con,
        "orders",
        [
            order("OPEN-D", None, model="D", status="open"),  # on order: listed
            order("CANC-E", None, model="E", status="cancelled"),  # cancelled: nowhere
        ],
    )
    frame = inventory.order_gap(gap_con, month_scope(date(2026, 9, 15)))
    assert frame["model"].tolist() == ["A", "B", "C", "D"]
    assert frame["suggested_order"].tolist() == [1, 0, 0, 0]


def test_report_reads_summary_and_tables_from_one_pass(gap_con):
    r = inventory.report(gap_con, month_scope(date(2026, 9, 15)))
    assert list(r) == [*inventory.SUMMARY_IDS, "order_gap", "aging_buckets"]
    assert r["stock_units"] == 2  # B1, B2
    assert r["in_transit_units"] == 4  # A1..A4
    assert r["avg_monthly_sales_3m"] == pytest.approx(11 / 3)  # A0..A9 in July, B0 in June
    assert r["inventory_months"] == pytest.approx(6 / 11)  # 2 / (11/3)
    # as_of 09-15: B1 and B2 arrived 08-01, 45 days; both in 31-60
    assert r["avg_days_in_stock"] == pytest.approx(45.0)
    assert r["aging_buckets"] == {"0-30": 0, "31-60": 2, "61-90": 0, "91-180": 0, ">180": 0}
    assert r["order_gap"] == {"A": 1, "B": 0, "C": 0}  # as test_order_gap
    for k in inventory.SUMMARY_IDS:
        assert r[k] is None or type(r[k]) in (int, float), k


def test_report_aging_boundaries(aging_con):
    r = inventory.report(aging_con, month_scope(date(2026, 10, 3)))
    # ages 0,30 | 31,60 | 61,90 | 91,180 | 181 (as_of 09-30)
    assert r["aging_buckets"] == {"0-30": 2, "31-60": 2, "61-90": 2, "91-180": 2, ">180": 1}
    assert r["aged_units_90"] == 3  # 91, 180, 181
    assert r["capital_tied_up"] == pytest.approx(45000.0)  # 1000 x (1+2+...+9)
    assert r["order_gap"] == {"A": 0}  # 9 in stock, no sales


def test_report_empty_database(con):
    r = inventory.report(con, month_scope(date(2026, 9, 15)))
    assert r["stock_units"] == 0
    assert r["avg_monthly_sales_3m"] == 0.0
    assert r["inventory_months"] is None
    assert r["floorplan_cost"] == 0.0
    assert r["order_gap"] == {}
    assert r["aging_buckets"] == {"0-30": 0, "31-60": 0, "61-90": 0, "91-180": 0, ">180": 0}


def test_summaries_this_period_the_previous_and_last_year(con):
    # floorplan 365000 x 0.10 / 365 = 100 a day for each vehicle
    insert(
        con,
        "vehicles",
        [
            veh("X1", arrival=date(2026, 8, 1), sold=date(2026, 9, 2), cost=365000.0, rate=0.1),
            veh("Y1", arrival=date(2025, 8, 1), sold=date(2025, 9, 1), cost=365000.0, rate=0.1),
            veh("Y2", arrival=date(2025, 8, 1), sold=date(2025, 9, 2), cost=365000.0, rate=0.1),
        ],
    )
    insert(
        con,
        "orders",
        [order("D1", date(2025, 6, 1)), order("D0", date(2025, 5, 31))],
    )
    now, prev, last_year = inventory.summaries(con, month_scope(date(2026, 9, 15)))
    # September 1-15: X1 sold on the 2nd, one floorplan day (Sept 1)
    assert (now["stock_units"], now["floorplan_cost"]) == (0, pytest.approx(100.0))
    # August 1-15 as of Aug 15: X1 in stock, 15 days
    assert (prev["stock_units"], prev["floorplan_cost"]) == (1, pytest.approx(1500.0))
    # September 1-15, 2025: Y1 sold on the 1st (no day), Y2 on the 2nd (Sept 1)
    assert (last_year["stock_units"], last_year["floorplan_cost"]) == (0, pytest.approx(100.0))
    # as of 2025-09-15 the 3 complete months are June-August: D1 (June 1), not D0 (May 31)
    assert last_year["avg_monthly_sales_3m"] == pytest.approx(1 / 3)
    assert now["avg_monthly_sales_3m"] == 0.0  # June-August 2026: no delivery
    assert list(now) == list(inventory.SUMMARY_IDS)


def test_monthly_counts_each_vehicle_and_delivery_in_the_months_it_belongs_to(con):
    # floorplan 365000 x 0.10 / 365 = 100 a day
    insert(
        con,
        "vehicles",
        [
            veh("T0"),  # no dates at all: in transit at every month end
            veh("T1", ordered=date(2026, 8, 10)),  # in transit from August
            veh("S1", arrival=date(2026, 7, 20), sold=date(2026, 8, 5), cost=365000.0, rate=0.1),
        ],
    )
    insert(con, "orders", [order("D1", date(2026, 6, 15)), order("D2", date(2026, 5, 31))])
    frame = inventory.monthly(con, month_scope(date(2026, 9, 15)), months=3)
    assert frame["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    assert frame["in_transit_units"].tolist() == [1, 2, 2]  # T0 | T0, T1 | T0, T1
    assert frame["stock_units"].tolist() == [1, 0, 0]  # S1 on Jul 31, sold Aug 5
    # S1: Jul 20..31 = 12 days; Aug 1..4 = 4 days; none in September
    assert frame["floorplan_cost"].tolist() == pytest.approx([1200.0, 400.0, 0.0])
    # 3 complete months: May-Jul (D1, D2) | Jun-Aug (D1) | Jun-Aug as of Sep 15 (D1)
    assert frame["avg_monthly_sales_3m"].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 3])


def test_monthly_vehicles_alike_but_for_order_date_and_eta_count_apart_where_they_differ(con):
    # as of Sep 15 over 3 months: Jul (as_of Jul 31, horizon Aug 31), Aug (Aug 31, Sep 30),
    # Sep (Sep 15, Oct 31); an order date or eta counts on the very day it is compared with
    insert(
        con,
        "vehicles",
        [
            veh("O1", ordered=date(2026, 7, 31), eta=date(2026, 8, 31)),
            veh("O2", ordered=date(2026, 8, 1), eta=date(2026, 9, 1)),
            veh("O3", ordered=date(2026, 8, 20), eta=date(2026, 10, 31)),
            veh("O4", ordered=date(2026, 8, 5), eta=date(2026, 11, 1)),
            veh("O5", ordered=date(2026, 9, 16)),  # ordered after Sep 15: never counted
            # arrived together, ordered apart, costs apart
            veh("A1", ordered=date(2026, 7, 1), arrival=date(2026, 8, 10), cost=100000.0),
            veh("A2", ordered=date(2026, 7, 15), arrival=date(2026, 8, 10), cost=200000.0),
        ],
    )
    frame = inventory.monthly(con, month_scope(date(2026, 9, 15)), months=3)
    assert frame["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    # Jul: O1, A1, A2 | Aug: O1-O4 | Sep: O1-O4
    assert frame["in_transit_units"].tolist() == [3, 4, 4]
    # Jul: O1 (Aug 31 <= Aug 31), A1, A2 (no eta) | Aug: O1, O2 (Sep 1 <= Sep 30) |
    # Sep: O1, O2, O3 (Oct 31 <= Oct 31); O4 (Nov 1) never
    scope = month_scope(date(2026, 9, 15))
    periods = {f"{m:%Y-%m}": inventory.month_scope(scope, m) for m in (date(2026, 7, 1),
               date(2026, 8, 1), date(2026, 9, 1))}  # fmt: skip
    rows = inventory.query.records(con, *inventory._aggregate_query(scope, False, periods=periods))
    assert [r["in_transit_by_horizon"] for r in rows] == [3, 2, 3]
    assert frame["stock_units"].tolist() == [0, 2, 2]  # A1, A2 from Aug 10
    assert frame["capital_tied_up"].tolist() == pytest.approx([0.0, 300000.0, 300000.0])
    # Aug 31 - Aug 10 = 21 days each; Sep 15 - Aug 10 = 36 days each
    assert frame["avg_days_in_stock"].tolist()[1:] == pytest.approx([21.0, 36.0])
