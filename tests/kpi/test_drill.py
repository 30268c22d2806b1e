"""kpi.drill: the records behind every KPI add up to the KPI, on the demo and on hand-made data.

The catalogue test compares each drill-down with the report's value (kpi.report.compute_kpis):
a value part's row count or measure sum is the value; numerator ÷ denominator is the ratio.
The hand-worked tests list the rows by hand, with the arithmetic in comments.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from kpi import catalogue, drill
from kpi.report import compute_kpis
from kpi.scope import FILTERS, Scope
from tests.helpers import insert, memory_db, release

OCT = Scope.for_month("2026-10", today=date(2026, 11, 25))
NOV_RUNNING = Scope.for_month("2026-11", today=date(2026, 11, 25))
# Table KPIs with records: the breakdown each cell is keyed by.
TABLE_BY = {"channel_walk_ins": "channel", "lost_reasons": "reason"}
# ("numerator",) parts: what the numerator is divided by (checked below, not rows).
SINGLE_NUMERATOR = {
    "daily_walk_ins", "target_achievement", "avg_monthly_sales_3m", "parts_months_supply",
}  # fmt: skip


def _total(frame, column: str | None) -> float:
    return len(frame) if column is None else float(frame[column].fillna(0).sum())


def _values(con, scope: Scope, cache: dict) -> dict:
    if scope not in cache:
        cache[scope] = compute_kpis(con, scope)
    return cache[scope]


def check_catalogue(con: duckdb.DuckDBPyConnection, scope: Scope) -> int:
    """Assert every drill-down adds up to its KPI's value on the scope; return the checks."""
    cache: dict = {}
    checked = 0
    for kpi_id, kpi in catalogue.CATALOGUE.items():
        parts = drill.parts(kpi_id)
        if not parts:
            assert kpi_id in drill.NO_RECORDS, f"{kpi_id}: no records and no reason given"
            continue
        assert kpi_id not in drill.NO_RECORDS
        own = drill.scope_for(scope, kpi_id)
        values = _values(con, own, cache)
        value = values[kpi_id]
        got = {
            p: _total(drill.records(con, scope, kpi_id, p), drill.measure(kpi_id, p)) for p in parts
        }
        if kpi.kind == "table":
            assert parts == ("value",)
            for key, cell in value.items():
                rows = drill.records(con, scope, kpi_id, key=key, by=TABLE_BY[kpi_id])
                assert len(rows) == cell, (kpi_id, key)
            assert got["value"] == sum(value.values()), kpi_id
        elif parts == ("value",):
            assert got["value"] == pytest.approx(value or 0, abs=1e-6), kpi_id
        elif parts == ("numerator", "denominator"):
            num, den = got["numerator"], got["denominator"]
            if den == 0:
                assert value is None, kpi_id
            else:
                assert value == pytest.approx(num / den, rel=1e-9, abs=1e-9), kpi_id
        else:
            assert kpi_id in SINGLE_NUMERATOR, kpi_id
            num = got["numerator"]
            if kpi_id == "daily_walk_ins":
                days = max(0, (own.as_of - own.start).days + 1)
                assert value == (pytest.approx(num / days) if days else None)
            elif kpi_id == "target_achievement":
                # deliveries over the KPI's own scope (consultant filter only)
                assert num == values["deliveries"]
            elif kpi_id == "avg_monthly_sales_3m":
                assert value == pytest.approx(num / 3)
            else:  # parts_months_supply: stock value ÷ monthly parts cost, no snapshot no value
                assert (value is None) or num > 0
        checked += 1
    return checked


# ----------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("scope", [OCT, NOV_RUNNING], ids=["complete", "running"])
@pytest.mark.parametrize("store", [None, "sh-pudong"], ids=["pooled", "store"])
def test_demo_records_add_up_to_every_kpi(demo, scope, store):
    scope = Scope.for_range(scope.start, scope.end, scope.as_of, store=store)
    assert check_catalogue(demo, scope) >= 60
    for kpi_id in (
        "walk_in_batches",
        "deliveries",
        "ro_count",
        "stock_units",
        "open_leads",
        "total_expenses",
        "aged_units_90",
    ):
        assert len(drill.records(demo, scope, kpi_id)) > 0, kpi_id  # the checks are not vacuous


def test_demo_breakdown_keys_add_up(demo):
    """A bar of a breakdown opens its share: per consultant and per month they sum to all."""
    deliveries = drill.records(demo, OCT, "deliveries")
    for consultant, n in deliveries["consultant"].value_counts().items():
        assert len(drill.records(demo, OCT, "deliveries", key=consultant, by="consultant")) == n
    ros = drill.records(demo, OCT, "service_revenue")
    for ro_type, total in ros.groupby("ro_type")["revenue_cny"].sum().items():
        one = drill.records(demo, OCT, "service_revenue", key=ro_type, by="ro_type")
        assert one["revenue_cny"].sum() == pytest.approx(total)
    oct_only = drill.records(
        demo,
        Scope.for_range(date(2026, 9, 1), date(2026, 10, 31), date(2026, 11, 25)),
        "walk_in_batches",
        key="2026-10",
        by="month",
    )
    assert len(oct_only) == len(drill.records(demo, OCT, "walk_in_batches"))


def test_demo_filtered_scope_adds_up(demo):
    consultant = drill.records(demo, OCT, "orders")["consultant"].dropna().iloc[0]
    scope = OCT.with_filters(consultant=consultant, sale_type="retail", advisor=None)
    assert check_catalogue(demo, scope) >= 60


# ----------------------------------------------------------------------------- hand-made data


def _small(con):
    """One store s1, October 2026, as_of 2026-11-25 (a complete month).

    traffic: v1 walk-in first visit c1 (张伟, 2026-10-02, test drive), v2 walk-in return c1
    (10-20), v3 walk-in first visit anonymous (李娜, 10-21), p1 phone c2 (10-05), v0 walk-in
    September (out). orders: o1 retail delivered 10-10 (sale 200000, cost 190000, rebate 3000,
    fi 2000, acc 5000/3000), o2 fleet corporate delivered 10-28 (sale 100000, cost 98000),
    o3 open ordered 10-25, o4 cancelled ordered 10-26.
    """
    insert(con, "traffic", [
        {"visit_id": "v0", "visit_date": date(2026, 9, 30), "kind": "walk_in",
         "first_visit": True, "consultant": "张伟", "customer_id": "c0", "channel": "autohome"},
        {"visit_id": "v1", "visit_date": date(2026, 10, 2), "kind": "walk_in",
         "first_visit": True, "consultant": "张伟", "customer_id": "c1", "channel": "autohome",
         "test_drive": True, "model_interest": "A6", "lead_level": "H"},
        {"visit_id": "v2", "visit_date": date(2026, 10, 20), "kind": "walk_in",
         "first_visit": False, "consultant": "张伟", "customer_id": "c1", "channel": "autohome",
         "model_interest": "A6", "lead_level": "O"},
        {"visit_id": "v3", "visit_date": date(2026, 10, 21), "kind": "walk_in",
         "first_visit": True, "consultant": "李娜", "channel": "walk_by",
         "buyer_type": "corporate"},
        {"visit_id": "p1", "visit_date": date(2026, 10, 5), "kind": "phone", "first_visit": True,
         "consultant": "李娜", "customer_id": "c2", "channel": "wechat"},
    ])  # fmt: skip
    base = {
        "customer_id": "c1",
        "consultant": "张伟",
        "model": "A6",
        "channel": "autohome",
        "sale_type": "retail",
        "buyer_type": "private",
        "sale_price": 0.0,
        "vehicle_cost": 0.0,
        "rebate": 0.0,
        "fi_income": 0.0,
        "accessories_revenue": 0.0,
        "accessories_cost": 0.0,
        "finance": False,
        "insurance": False,
        "trade_in": False,
    }
    insert(con, "orders", [
        base | {"order_id": "o1", "order_date": date(2026, 10, 3), "status": "delivered",
                "delivery_date": date(2026, 10, 10), "sale_price": 200000.0,
                "vehicle_cost": 190000.0, "rebate": 3000.0, "fi_income": 2000.0,
                "accessories_revenue": 5000.0, "accessories_cost": 3000.0, "finance": True},
        base | {"order_id": "o2", "order_date": date(2026, 9, 1), "status": "delivered",
                "delivery_date": date(2026, 10, 28), "customer_id": "c9", "consultant": "李娜",
                "sale_type": "fleet", "buyer_type": "corporate", "sale_price": 100000.0,
                "vehicle_cost": 98000.0},
        base | {"order_id": "o3", "order_date": date(2026, 10, 25), "status": "open",
                "customer_id": "c2", "consultant": "李娜", "model": "Q5"},
        base | {"order_id": "o4", "order_date": date(2026, 10, 26), "status": "cancelled",
                "customer_id": "c3"},
    ])  # fmt: skip
    insert(con, "vehicles", [
        {"vin": "V1", "model": "A6", "arrival_date": date(2026, 7, 1), "cost": 180000.0},
        {"vin": "V2", "model": "Q5", "arrival_date": date(2026, 10, 1), "cost": 250000.0},
        {"vin": "V3", "model": "A6", "arrival_date": date(2026, 5, 1), "cost": 170000.0,
         "sold_date": date(2026, 10, 15)},
        {"vin": "V4", "model": "Q5", "ordered_date": date(2026, 10, 1), "cost": 240000.0},
    ])  # fmt: skip
    ro = {
        "vin": "W1",
        "customer_id": "c1",
        "advisor": "王芳",
        "technician": "赵强",
        "labor_hours": 2.0,
        "labor_revenue": 400.0,
        "labor_cost": 100.0,
        "parts_revenue": 600.0,
        "parts_cost": 300.0,
    }
    insert(con, "repair_orders", [
        ro | {"ro_id": "r1", "open_date": date(2026, 10, 1), "close_date": date(2026, 10, 3),
              "ro_type": "repair", "comeback": False},
        ro | {"ro_id": "r2", "open_date": date(2026, 10, 20), "close_date": date(2026, 10, 21),
              "ro_type": "repair", "comeback": True},
        ro | {"ro_id": "r3", "open_date": date(2026, 10, 22), "close_date": None,
              "ro_type": "warranty", "comeback": False, "vin": "W2"},
        ro | {"ro_id": "r4", "open_date": date(2026, 10, 23), "close_date": date(2026, 10, 24),
              "ro_type": "maintenance", "comeback": False, "advisor": "陈静"},
        ro | {"ro_id": "r5", "open_date": date(2026, 10, 2), "close_date": date(2026, 10, 2),
              "ro_type": "internal", "comeback": False},
    ])  # fmt: skip
    insert(con, "technicians", [
        {"month": "2026-10", "technician": "赵强", "available_hours": 160.0,
         "clocked_hours": 120.0, "training_required": 2, "training_passed": 1},
    ])  # fmt: skip
    insert(con, "followups", [
        {"followup_id": "f1", "followup_date": date(2026, 11, 20), "customer_id": "c7",
         "consultant": "李娜", "kind": "lead_followup", "lead_level": "A"},
        {"followup_id": "f4", "followup_date": date(2026, 11, 10), "customer_id": "c8",
         "consultant": "李娜", "kind": "lead_followup", "lead_level": "H"},
        {"followup_id": "f2", "followup_date": date(2026, 10, 30), "customer_id": "c5",
         "consultant": "张伟", "kind": "lead_followup", "lead_level": "B"},
        {"followup_id": "f3", "followup_date": date(2026, 10, 12), "customer_id": "c6",
         "consultant": "张伟", "kind": "lead_followup", "lead_level": "F", "lost_reason": "price"},
    ])  # fmt: skip
    insert(con, "expenses", [
        {"month": "2026-10", "department": "sales", "category": "salaries", "amount": 31000.0,
         "fixed": True},
        {"month": "2026-10", "department": "service", "category": "rent", "amount": 6200.0,
         "fixed": True},
        {"month": "2026-10", "department": "sales", "category": "advertising", "amount": 3100.0,
         "fixed": False},
    ])  # fmt: skip
    insert(con, "surveys", [
        {"survey_id": "s1", "survey_date": date(2026, 10, 5), "department": "sales",
         "customer_id": "c1", "score": 9, "recommend": 10},
        {"survey_id": "s2", "survey_date": date(2026, 10, 6), "department": "service",
         "customer_id": "c1", "score": 6, "recommend": 5},
    ])  # fmt: skip
    insert(con, "complaints", [
        {"complaint_id": "k1", "opened_date": date(2026, 10, 1),
         "closed_date": date(2026, 10, 5), "department": "service", "category": "wait",
         "major": False, "satisfied": True},
    ])  # fmt: skip
    insert(con, "campaigns", [
        {"campaign_id": "ah-10", "month": "2026-10", "kind": "advertising",
         "channel": "autohome", "name": "汽车之家", "spend": 6000.0},
    ])  # fmt: skip


@pytest.fixture(scope="module")
def small():
    con = memory_db()  # read only: the module's tests share it
    _small(con)
    yield con
    release(con)


@pytest.mark.slow  # every KPI of the catalogue: the full gate, not the fast loop
def test_small_records_add_up_to_every_kpi(small):
    assert check_catalogue(small, OCT) >= 60
    assert check_catalogue(small, NOV_RUNNING) >= 60
    assert check_catalogue(small, OCT.with_filters(buyer_type="corporate")) >= 60
    assert check_catalogue(small, OCT.with_filters(ro_type="repair", department="sales")) >= 60


def test_walk_ins_by_hand(small):
    rows = drill.records(small, OCT, "walk_in_batches")
    # v1, v2, v3 walk in during October; v0 is September, p1 a call
    assert list(rows["visit_id"]) == ["v3", "v2", "v1"]  # newest first
    assert list(rows["age_days"]) == [10, 11, 29]  # as_of 10-31 − 10-21, − 10-20, − 10-02
    assert drill.measure("walk_in_batches") is None
    one = drill.records(small, OCT, "walk_in_batches", key="张伟", by="consultant")
    assert list(one["visit_id"]) == ["v2", "v1"]
    none = drill.records(small, OCT, "walk_in_batches", key="unknown", by="model")
    assert list(none["visit_id"]) == ["v3"]  # v3 names no model


def test_deliveries_by_hand(small):
    rows = drill.records(small, OCT, "deliveries")
    assert list(rows["order_id"]) == ["o2", "o1"]  # delivered 10-28, 10-10
    o1 = rows.set_index("order_id").loc["o1"]
    assert o1["sale_price_cny"] == 200000.0
    assert o1["front_gross_cny"] == 10000.0  # 200000 − 190000
    assert o1["gross_cny"] == 17000.0  # 10000 + 3000 rebate + 2000 F&I + (5000 − 3000)
    assert o1["days_to_deliver"] == 7  # 10-03 → 10-10
    # total gross per unit: (17000 + 2000) ÷ 2 deliveries; o2: 100000 − 98000 = 2000
    num = drill.records(small, OCT, "total_gross_per_unit", "numerator")
    assert num[drill.measure("total_gross_per_unit", "numerator")].sum() == 19000.0
    assert len(drill.records(small, OCT, "total_gross_per_unit", "denominator")) == 2
    # close_rate: retail orders o1 (o3 is retail too: 10-25) ÷ first visits v1, v3
    assert sorted(drill.records(small, OCT, "close_rate", "numerator")["order_id"]) == ["o1", "o3"]
    assert sorted(drill.records(small, OCT, "close_rate", "denominator")["visit_id"]) == [
        "v1",
        "v3",
    ]


def test_aged_stock_by_hand(small):
    rows = drill.records(small, OCT, "aged_units_90")
    # as_of 10-31: V1 arrived 07-01, 122 days; V2 30 days (not aged); V3 sold 10-15
    assert list(rows["vin"]) == ["V1"]
    assert list(rows["age_days"]) == [122]
    stock = drill.records(small, OCT, "avg_days_in_stock", "numerator")
    assert sorted(stock["age_days"]) == [30, 122]  # mean (30 + 122) ÷ 2 = 76
    assert drill.measure("avg_days_in_stock", "numerator") == "age_days"
    assert drill.records(small, OCT, "capital_tied_up")["cost_cny"].sum() == 430000.0
    assert list(drill.records(small, OCT, "in_transit_units")["vin"]) == ["V4"]


def test_first_time_fix_by_hand(small):
    num = drill.records(small, OCT, "first_time_fix_rate", "numerator")
    den = drill.records(small, OCT, "first_time_fix_rate", "denominator")
    # repair and warranty ROs opened in October: r1, r2 (comeback), r3; r4 maintenance,
    # r5 internal are not; first-time fixes r1, r3: rate 2 ÷ 3
    assert sorted(den["ro_id"]) == ["r1", "r2", "r3"]
    assert sorted(num["ro_id"]) == ["r1", "r3"]
    open_ros = drill.records(small, OCT, "open_ros")
    assert list(open_ros["ro_id"]) == ["r3"]
    assert list(open_ros["days_open"]) == [9]  # 10-22 → as_of 10-31
    # service revenue: r1, r2, r4 closed, 1000 each (r5 internal)
    assert drill.records(small, OCT, "service_revenue")["revenue_cny"].sum() == 3000.0


def test_overdue_followups_by_hand(small):
    scope = Scope.for_month("2026-11", today=date(2026, 11, 25))
    rows = drill.records(small, scope, "overdue_followups")
    # open leads on 11-25: c7 A (followup 11-20: 5 days, cadence 7, on time), c8 H (11-10:
    # 15 − 2 = 13 days overdue), c5 B (10-30: 26 − 14 = 12 overdue); c1 and c2 have orders
    # (no lead), c6 is lost (F)
    assert list(rows["customer_id"]) == ["c8", "c5"]  # most overdue first
    assert list(rows["days_overdue"]) == [13, 12]
    assert len(drill.records(small, scope, "open_leads")) == 3
    on_time = drill.records(small, scope, "followup_compliance", "numerator")
    assert list(on_time["customer_id"]) == ["c7"]  # compliance 1 ÷ 3


def test_lost_reasons_and_parts(small):
    rows = drill.records(small, OCT, "lost_reasons", key="price", by="reason")
    assert list(rows["customer_id"]) == ["c6"]
    assert drill.parts("lost_rate") == ("numerator", "denominator")
    outcomes = drill.records(small, OCT, "lost_rate", "denominator")
    # lost c6; buyers of non-cancelled orders dated in October: c1 (o1), c2 (o3)
    assert sorted(outcomes["customer_id"]) == ["c1", "c2", "c6"]


# ----------------------------------------------------------------------------- filters


def test_new_filters_by_hand(small):
    from kpi import finance, sales, service

    # sale_type: retail deliveries o1 only (o2 is fleet)
    assert sales.summary(small, OCT.with_filters(sale_type="retail"))["deliveries"] == 1
    assert sales.summary(small, OCT.with_filters(sale_type="fleet"))["deliveries"] == 1
    # buyer_type: corporate delivery o2; corporate walk-in v3 (v1, v2 default to private)
    corp = sales.summary(small, OCT.with_filters(buyer_type="corporate"))
    assert (corp["deliveries"], corp["walk_in_batches"]) == (1, 1)
    assert sales.summary(small, OCT.with_filters(buyer_type="private"))["walk_in_batches"] == 2
    # ro_type: repair ROs opened in October r1, r2; service revenue of closed repair ROs 2000
    repair = service.summary(small, OCT.with_filters(ro_type="repair"))
    assert (repair["ro_count"], repair["service_revenue"]) == (2, 2000.0)
    assert service.summary(small, OCT.with_filters(ro_type="maintenance"))["ro_count"] == 1
    # department: sales expenses 31000 + 3100 = 34100 of the 40300
    assert finance.summary(small, OCT)["total_expenses"] == pytest.approx(40300.0)
    sales_dept = OCT.with_filters(department="sales")
    assert finance.summary(small, sales_dept)["total_expenses"] == pytest.approx(34100.0)
    assert drill.records(small, sales_dept, "total_expenses")["amount_cny"].sum() == 34100.0


def test_unfiltered_values_unchanged_by_the_new_fields(small):
    """Scopes built without the new filters bind them as NULL: no KPI moves."""
    plain = compute_kpis(small, OCT)
    nulls = compute_kpis(
        small, OCT.with_filters(sale_type=None, buyer_type=None, ro_type=None, department=None)
    )
    assert plain == nulls


def test_applies():
    assert drill.applies("deliveries", "sale_type")
    assert drill.applies("walk_in_batches", "buyer_type")
    assert not drill.applies("walk_in_batches", "sale_type")  # traffic has no sale type
    assert not drill.applies("close_rate", "sale_type")  # first visits have none
    assert drill.applies("ro_count", "ro_type")
    assert not drill.applies("tech_productivity", "advisor")  # the roster has no advisor
    assert drill.applies("total_expenses", "department")
    assert not drill.applies("net_profit", "department")  # gross has no department
    assert not drill.applies("vehicle_gross", "consultant")  # finance is store-wide
    assert not drill.applies("channel_walk_ins", "consultant")  # marketing: channel only
    assert drill.applies("channel_walk_ins", "channel")
    assert not drill.applies("stock_units", "consultant")
    assert drill.applies("stock_units", "model")
    assert not drill.applies("csi_sales", "consultant")
    assert drill.applies("open_leads", "consultant")
    assert not drill.applies("target_achievement", "model")
    for kpi_id in catalogue.CATALOGUE:
        assert drill.applies(kpi_id, "store")
        for f in FILTERS:
            drill.applies(kpi_id, f)  # every pair answers
    with pytest.raises(ValueError):
        drill.applies("deliveries", "colour")
    scope = OCT.with_filters(consultant="张伟", model="A6")
    assert drill.scope_for(scope, "target_achievement").model is None
    assert drill.scope_for(scope, "target_achievement").consultant == "张伟"


def test_parts_and_errors(small):
    assert drill.parts("walk_in_batches") == ("value",)
    assert drill.parts("first_time_fix_rate") == ("numerator", "denominator")
    assert drill.parts("time_progress") == ()
    assert drill.measure("service_revenue") == "revenue_cny"
    assert drill.measure("accessories_margin", "denominator") == "accessories_revenue_cny"
    with pytest.raises(ValueError):
        drill.records(small, OCT, "time_progress")
    with pytest.raises(ValueError):
        drill.records(small, OCT, "deliveries", "numerator")
    with pytest.raises(ValueError):
        drill.records(small, OCT, "deliveries", key="x", by="advisor")  # orders have none
    with pytest.raises(ValueError):
        drill.parts("no_such_kpi")


def test_cohorts_by_hand(small):
    # first-visit customers: c1 (v1 10-02; o1 ordered 10-03, within 30 days); v3 anonymous
    cohort = drill.records(small, OCT, "cohort_close_rate", "denominator")
    assert list(cohort["customer_id"]) == ["c1"]
    assert cohort["first_order_date"].dt.date.tolist() == [date(2026, 10, 3)]
    assert len(drill.records(small, OCT, "cohort_close_rate", "numerator")) == 1  # 1 ÷ 1
    # callers: c2 (p1 10-05) never walks in: 0 ÷ 1
    assert list(drill.records(small, OCT, "phone_to_visit_rate", "denominator")["customer_id"]) == [
        "c2"
    ]
    assert drill.records(small, OCT, "phone_to_visit_rate", "numerator").empty
    # consultants with a walk-in or a delivery: 张伟 (v1, v2, o1), 李娜 (v3, o2): 2 ÷ 2 = 1.0
    consultants = drill.records(small, OCT, "units_per_consultant", "denominator")
    assert sorted(consultants["consultant"]) == ["张伟", "李娜"]
    with pytest.raises(ValueError):  # consultants carry no date
        drill.records(small, OCT, "units_per_consultant", "denominator", key="2026-10", by="month")
