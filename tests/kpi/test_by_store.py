"""Group-view breakdowns: every section's by_store, per store, per brand and the pooled total.

A tiny named group, November 2026 (as of 2026-11-30):
- s1 (brand A, region East): 4 walk-ins, 2 with a test drive; 1 retail delivery, financed,
  gross 100,000 - 95,000 = 5,000; 2 units in stock; an RO closed with revenue 100 + 200 = 300
  and gross 300 - 50 - 100 = 150; a sales survey scoring 9; fixed expenses 1,000.
- s2 (brand B, region East): 1 walk-in, no test drive; 1 retail delivery, not financed,
  gross 5,000; 1 unit in stock; an RO with revenue 100 and gross 100 - 20 = 80; a sales
  survey scoring 7; fixed expenses 500.
- s3 (brand A, region East): a store without any rows yet.
"""

from __future__ import annotations

from datetime import date

import pytest

from kpi import customers, finance, inventory, sales, service
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release

SCOPE = Scope.for_month("2026-11", today=date(2026, 12, 5))
NOV = date(2026, 11, 10)


@pytest.fixture(scope="module")
def group():
    """The named group above (read only: every test of the module shares it)."""
    con = memory_db()
    for store, n, drives in (("s1", 4, 2), ("s2", 1, 0)):
        insert(
            con,
            "traffic",
            [
                {"visit_id": f"v{i}", "visit_date": NOV, "kind": "walk_in", "first_visit": True,
                 "customer_id": f"c{i}", "consultant": "王磊", "test_drive": i < drives}
                for i in range(n)
            ],
            store=store,
        )  # fmt: skip
        insert(
            con,
            "orders",
            [{"order_id": "o1", "order_date": NOV, "delivery_date": NOV, "status": "delivered",
              "customer_id": "c0", "consultant": "王磊", "sale_type": "retail",
              "buyer_type": "private", "sale_price": 100_000.0, "vehicle_cost": 95_000.0,
              "rebate": 0.0, "fi_income": 0.0, "accessories_revenue": 0.0,
              "accessories_cost": 0.0, "finance": store == "s1"}],
            store=store,
        )  # fmt: skip
        insert(
            con,
            "vehicles",
            [{"vin": f"VIN{store}{i}", "model": "Lavida", "arrival_date": date(2026, 11, 1),
              "cost": 90_000.0} for i in range(2 if store == "s1" else 1)],
            store=store,
        )  # fmt: skip
        labor, parts = (100.0, 200.0) if store == "s1" else (100.0, 0.0)
        insert(
            con,
            "repair_orders",
            [{"ro_id": "r1", "open_date": NOV, "close_date": NOV, "vin": "X", "ro_type": "repair",
              "labor_hours": 1.0, "labor_revenue": labor, "parts_revenue": parts,
              "labor_cost": 50.0 if store == "s1" else 20.0,
              "parts_cost": 100.0 if store == "s1" else 0.0, "comeback": False}],
            store=store,
        )  # fmt: skip
        insert(
            con,
            "surveys",
            [{"survey_id": "q1", "survey_date": NOV, "department": "sales",
              "score": 9.0 if store == "s1" else 7.0}],
            store=store,
        )  # fmt: skip
        insert(
            con,
            "expenses",
            [{"month": "2026-11", "department": "admin", "category": "rent",
              "amount": 1000.0 if store == "s1" else 500.0, "fixed": True}],
            store=store,
        )  # fmt: skip
    con.execute("INSERT INTO stores (store) VALUES ('s3')")
    for store, brand in (("s1", "A"), ("s2", "B"), ("s3", "A")):
        con.execute(
            "UPDATE stores SET brand = $b, region = 'East' WHERE store = $s",
            {"b": brand, "s": store},
        )
    yield con
    release(con)


def _column(frame, by, kpi_id) -> dict:
    return {(None if k != k else k): v for k, v in zip(frame[by], frame[kpi_id], strict=True)}


@pytest.mark.parametrize(
    ("module", "kpi_id", "expected"),
    [
        (sales, "walk_in_batches", {"s1": 4, "s2": 1, "s3": 0, None: 5}),
        # 2/4, 0/1, no walk-ins (no value); pooled 2/5 (the mean of the rates would be 0.25)
        (sales, "test_drive_rate", {"s1": 0.5, "s2": 0.0, "s3": None, None: 0.4}),
        # financed retail deliveries: 1/1, 0/1; pooled 1/2
        (sales, "finance_penetration", {"s1": 1.0, "s2": 0.0, "s3": None, None: 0.5}),
        (inventory, "stock_units", {"s1": 2, "s2": 1, "s3": 0, None: 3}),
        # 150/300, 80/100; pooled (150 + 80) / (300 + 100) = 0.575
        (service, "service_gross_margin", {"s1": 0.5, "s2": 0.8, "s3": None, None: 0.575}),
        # mean score × 10: 90, 70; pooled (9 + 7) / 2 × 10 = 80
        (customers, "csi_sales", {"s1": 90.0, "s2": 70.0, "s3": None, None: 80.0}),
        # 5,000 + 150 - 1,000 and 5,000 + 80 - 500; pooled 4,150 + 4,580 = 8,730
        (finance, "net_profit", {"s1": 4150.0, "s2": 4580.0, "s3": 0.0, None: 8730.0}),
    ],
)
def test_per_store_rows_and_the_pooled_total(group, module, kpi_id, expected):
    frame = module.by_store(group, SCOPE, "store", total=True)
    got = _column(frame, "store", kpi_id)
    assert list(got) == ["s1", "s2", "s3", None]  # stores in order, the total last
    for key, value in expected.items():
        assert got[key] == (pytest.approx(value) if value is not None else None), key
    # The total row is summary()'s value.
    pooled = module.summary(group, SCOPE)[kpi_id]
    assert pooled == (pytest.approx(expected[None]) if expected[None] is not None else None)


def test_without_total_there_is_no_pooled_row(group):
    frame = sales.by_store(group, SCOPE)
    assert list(frame["store"]) == ["s1", "s2", "s3"]


@pytest.mark.parametrize("module", [sales, service, customers, finance, inventory])
def test_brand_pools_its_stores(group, module):
    frame = module.by_store(group, SCOPE, "brand")
    assert list(frame["brand"]) == ["A", "B"]


@pytest.mark.parametrize(
    ("module", "kpi_id", "expected"),
    [
        (sales, "test_drive_rate", {"A": 0.5, "B": 0.0}),  # A = s1 + s3: 2/4
        (service, "service_gross_margin", {"A": 0.5, "B": 0.8}),
        (finance, "net_profit", {"A": 4150.0, "B": 4580.0}),
    ],
)
def test_brand_values(group, module, kpi_id, expected):
    got = _column(module.by_store(group, SCOPE, "brand"), "brand", kpi_id)
    assert got == {k: pytest.approx(v) for k, v in expected.items()}


def test_region_row_equals_the_pooled_total(group):
    # Every store is in East: its row is the group total, 2 test drives / 5 walk-ins.
    frame = sales.by_store(group, SCOPE, "region")
    assert list(frame["region"]) == ["East"]
    assert frame["test_drive_rate"].tolist() == [pytest.approx(0.4)]


def test_unknown_grouping_is_refused(group):
    with pytest.raises(ValueError, match="by must be one of"):
        sales.by_store(group, SCOPE, "city")


def test_sales_without_cohorts(group):
    frame = sales.by_store(group, SCOPE, "store", total=True, cohorts=False)
    assert _column(frame, "store", "walk_in_batches") == {"s1": 4, "s2": 1, "s3": 0, None: 5}
    assert _column(frame, "store", "test_drive_rate") == {
        "s1": 0.5, "s2": 0.0, "s3": None, None: 0.4
    }  # fmt: skip
    for kpi_id in sales.COHORT_IDS:  # not computed
        assert set(_column(frame, "store", kpi_id).values()) == {None}, kpi_id
    # with them: c0 ordered on the day of its first visit, in each store (1 of 4, 1 of 1)
    full = sales.by_store(group, SCOPE, "store", total=True)
    assert _column(full, "store", "cohort_close_rate")["s2"] == 1.0
    assert _column(full, "store", "cohort_close_rate")[None] == pytest.approx(2 / 5)


def test_inventory_store_with_nothing_counted_gets_the_empty_row():
    # s1: one vehicle sold in January and an open order; nothing of them counts in November,
    # so by_store leaves them out of its pass and fills s1 like a store with no rows at all.
    # s2: one unit in stock since 11-01 (cost 90,000).
    con = memory_db()
    try:
        insert(con, "vehicles", [
            {"vin": "V1", "model": "Lavida", "arrival_date": date(2026, 1, 5),
             "sold_date": date(2026, 1, 20), "cost": 80_000.0},
            {"vin": "V2", "model": "Lavida", "arrival_date": date(2026, 11, 1),
             "cost": 90_000.0, "store": "s2"},
        ])  # fmt: skip
        insert(con, "orders", [
            {"order_id": "o1", "order_date": NOV, "status": "open", "model": "Passat"},
        ])  # fmt: skip
        frame = inventory.by_store(con, SCOPE, "store", total=True)
        rows = {r["store"]: r for r in frame.to_dict("records")}
        assert list(rows) == ["s1", "s2", None]
        # s1: no stock, transit, sales, capital or floorplan days: zeros, ratios no value.
        assert rows["s1"]["stock_units"] == 0
        assert rows["s1"]["avg_monthly_sales_3m"] == 0.0
        assert rows["s1"]["capital_tied_up"] == 0.0
        assert rows["s1"]["floorplan_cost"] == 0.0
        assert rows["s1"]["inventory_months"] is None
        assert rows["s1"]["avg_days_in_stock"] is None
        # s2: 1 unit, 90,000 tied up; the pooled row is s2's.
        assert rows["s2"]["stock_units"] == 1
        assert rows["s2"]["capital_tied_up"] == 90_000.0
        assert rows[None]["stock_units"] == 1
        for store in ("s1", "s2"):
            one = inventory.summary(con, Scope.for_month("2026-11", today=date(2026, 12, 5),
                                                         store=store))  # fmt: skip
            assert {k: rows[store][k] for k in one} == one, store
    finally:
        release(con)
