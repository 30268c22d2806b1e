"""After-sales KPIs computed for several periods or months at once, on hand-worked data.

summaries() (the KPI cards' three periods, churn from one pass), monthly() (one query keyed
by open and close month) and technician_trend() (the workshop's ranked technicians).
"""

from __future__ import annotations

from datetime import date

import pytest

from kpi import service
from kpi.scope import Scope
from tests.helpers import insert


def ro(rid, opened, closed=None, ro_type="maintenance", vin=None, lrev=0.0, prev=0.0, pcost=0.0):
    return {
        "ro_id": rid,
        "open_date": opened,
        "close_date": closed,
        "vin": vin or f"VIN-{rid}",
        "customer_id": f"C-{rid}",
        "ro_type": ro_type,
        "advisor": "a1",
        "technician": "t1",
        "labor_hours": 0.0,
        "labor_revenue": lrev,
        "labor_cost": 0.0,
        "parts_revenue": prev,
        "parts_cost": pcost,
    }


# September 2026 as of 09-15; its previous period August 1-15 (as of 08-15); last year
# September 2025 1-15 (as of 2025-09-15). Churn: a VIN's latest visit in the 24 months to
# as_of, lost when more than 12 months before it.
#   as_of       base window              lost before
#   2026-09-15  2024-09-15 < d <= as_of  2025-09-15
#   2026-08-15  2024-08-15 < d <= as_of  2025-08-15
#   2025-09-15  2023-09-15 < d <= as_of  2024-09-15
@pytest.fixture
def visits(con):
    insert(
        con,
        "repair_orders",
        [
            ro("A1", date(2025, 8, 20), vin="A"),
            ro("B1", date(2024, 9, 1), vin="B"),
            ro("B2", date(2026, 9, 10), date(2026, 9, 11), vin="B", lrev=300.0),
            ro("C1", date(2024, 8, 20), vin="C"),
            ro("D1", date(2023, 10, 1), vin="D"),
            ro("E1", date(2025, 1, 10), vin="E"),
            ro("E2", date(2026, 9, 1), ro_type="internal", vin="E"),  # not a visit: E is lost
        ],
    )
    return con


def test_summaries_gives_each_period_its_own_churn(visits):
    scope = Scope.for_month("2026-09", today=date(2026, 9, 15))
    now, prev, last_year = service.summaries(visits, scope)
    # now:       base A (2025-08-20), B (2026-09-10), E (2025-01-10); lost A, E      -> 2/3
    # prev:      base A, B (2024-09-01), C (2024-08-20), E; lost B, C, E             -> 3/4
    # last year: base A, B (2024-09-01), C, D (2023-10-01), E; lost B, C, D          -> 3/5
    assert now["customer_churn_rate"] == pytest.approx(2 / 3)
    assert prev["customer_churn_rate"] == pytest.approx(0.75)
    assert last_year["customer_churn_rate"] == pytest.approx(0.6)
    # The rest is per period too: only B2 opened (and closed) in September 1-15 2026.
    assert [s["ro_count"] for s in (now, prev, last_year)] == [1, 0, 0]
    assert [s["service_revenue"] for s in (now, prev, last_year)] == [300.0, 0.0, 0.0]


def test_summaries_takes_any_shifts(visits):
    scope = Scope.for_month("2026-09", today=date(2026, 9, 15))
    (last_year,) = service.summaries(visits, scope, (-12,))
    assert last_year["customer_churn_rate"] == pytest.approx(0.6)  # as above
    assert service.summary(visits, scope)["customer_churn_rate"] == pytest.approx(2 / 3)


def test_monthly_keys_ros_by_open_and_close_month(con):
    insert(
        con,
        "repair_orders",
        [
            # Opened in August, closed in September: counted in August, earned in September.
            ro("R1", date(2026, 8, 30), date(2026, 9, 2), "repair", "V1", 100.0, 300.0, 100.0),
            # Same VIN, opened 18 days after R1 closed: a comeback, in September.
            ro("R2", date(2026, 9, 20), date(2026, 9, 21), "repair", "V1", lrev=50.0),
            ro("R3", date(2026, 9, 5), date(2026, 9, 6), "internal", lrev=1000.0),  # never
            ro("R4", date(2026, 9, 29), date(2026, 10, 2), lrev=70.0),  # earned after September
            ro("R5", date(2026, 7, 31), date(2026, 8, 1), prev=200.0, pcost=150.0),  # opened July
        ],
    )
    scope = Scope.for_month("2026-09", today=date(2026, 10, 5))
    frame = service.monthly(con, scope, months=2)
    assert frame["month"].tolist() == ["2026-08", "2026-09"]
    assert frame["ro_count"].tolist() == [1, 2]  # August R1; September R2, R4 (not R3)
    assert frame["service_revenue"].tolist() == [200.0, 450.0]  # R5; R1 400 + R2 50
    assert frame["service_gross"].tolist() == [50.0, 350.0]  # R5 200-150; R1 300 + R2 50
    assert frame["service_gross_margin"].tolist() == pytest.approx([0.25, 350 / 450])
    # August: R1 (repair) without comeback; September: R2 (repair), a comeback.
    assert frame["first_time_fix_rate"].tolist() == [1.0, 0.0]


def roster(month, tech, available, clocked, store="s1"):
    return {
        "store": store,
        "month": month,
        "technician": tech,
        "available_hours": available,
        "clocked_hours": clocked,
        "training_required": 0,
        "training_passed": 0,
    }


# October 2026 as of 10-31, two months: September and October.
#   s1 t1: Sep 80/100, Oct 90/100 -> 170/200 = 0.85 (August's 10/100 is outside)
#   s1 t2: Oct 45/50 -> 0.9
#   s2 t1: Sep 85/100 -> 0.85 (ties s1 t1: store order)
#   s2 t3: no roster, 5 h sold in October -> no productivity, unranked
@pytest.fixture
def crew(con):
    insert(
        con,
        "technicians",
        [
            roster("2026-08", "t1", 100.0, 10.0),
            roster("2026-09", "t1", 100.0, 80.0),
            roster("2026-10", "t1", 100.0, 90.0),
            roster("2026-10", "t2", 50.0, 45.0),
            roster("2026-09", "t1", 100.0, 85.0, store="s2"),
        ],
    )
    row = ro("W1", date(2026, 10, 3), date(2026, 10, 4), "repair") | {
        "technician": "t3",
        "labor_hours": 5.0,
    }
    insert(con, "repair_orders", [row], store="s2")
    return con


def test_technician_trend_ranks_best_first(crew):
    scope = Scope.for_month("2026-10", today=date(2026, 12, 1))
    frame = service.technician_trend(crew, scope, "tech_productivity", months=2)
    assert list(frame.columns) == [
        "rank",
        "technician",
        "store",
        "tech_productivity",
        "2026-09",
        "2026-10",
    ]
    assert list(zip(frame["technician"], frame["store"], strict=True)) == [
        ("t2", "s1"),
        ("t1", "s1"),
        ("t1", "s2"),
        ("t3", "s2"),
    ]
    assert frame["rank"].tolist() == [1, 2, 3, None]
    assert frame["tech_productivity"].tolist()[:3] == pytest.approx([0.9, 0.85, 0.85])
    assert frame["tech_productivity"].tolist()[3] is None
    assert frame["2026-09"].tolist() == [None, pytest.approx(0.8), pytest.approx(0.85), None]
    assert frame["2026-10"].tolist() == [pytest.approx(0.9), pytest.approx(0.9), None, None]


def test_technician_trend_ties_go_by_store_then_technician(crew):
    scope = Scope.for_month("2026-10", today=date(2026, 12, 1))
    frame = service.technician_trend(crew, scope, "tech_efficiency", months=2)
    # Efficiency = hours sold / clocked: nobody on the roster sold an hour (0 / 170, 0 / 45,
    # 0 / 85), and t3 sold 5 h but clocked none (no value).
    assert list(zip(frame["technician"], frame["store"], strict=True)) == [
        ("t1", "s1"),
        ("t2", "s1"),
        ("t1", "s2"),
        ("t3", "s2"),
    ]
    assert frame["rank"].tolist() == [1, 2, 3, None]
    assert frame["tech_efficiency"].tolist() == [0.0, 0.0, 0.0, None]


def test_technician_trend_rejects_other_columns(crew):
    scope = Scope.for_month("2026-10", today=date(2026, 12, 1))
    with pytest.raises(ValueError, match="rank_by"):
        service.technician_trend(crew, scope, "labor_revenue")


def test_summaries_count_an_ro_in_every_period_it_falls_in(con):
    insert(
        con,
        "repair_orders",
        [
            ro("X", date(2026, 8, 10), date(2026, 8, 12), lrev=100.0),  # in both periods
            ro("Y", date(2026, 9, 5), date(2026, 9, 6), lrev=50.0),
            ro("Z", date(2026, 6, 20), date(2026, 6, 21), lrev=30.0),
        ],
    )
    # July-September 2026 (whole months, as of 09-30); one month back: June-August.
    scope = Scope.for_range(date(2026, 7, 1), date(2026, 9, 30), today=date(2026, 10, 5))
    now, prev, last_year = service.summaries(con, scope)
    assert (now["ro_count"], now["service_revenue"]) == (2, 150.0)  # X + Y
    assert (prev["ro_count"], prev["service_revenue"]) == (2, 130.0)  # Z + X
    assert (last_year["ro_count"], last_year["service_revenue"]) == (0, 0.0)
    assert now["avg_ro_value"] == pytest.approx(75.0)  # 150 / 2 closed
    assert prev["avg_ro_value"] == pytest.approx(65.0)  # 130 / 2 closed


def test_technician_trend_keeps_ros_without_a_technician(crew):
    row = ro("W2", date(2026, 10, 5), date(2026, 10, 6), "repair") | {
        "technician": None,
        "labor_hours": 2.0,
    }
    insert(crew, "repair_orders", [row])
    scope = Scope.for_month("2026-10", today=date(2026, 12, 1))
    frame = service.technician_trend(crew, scope, "tech_productivity", months=2)
    # The technician-less labour is one more unranked row, s1's before s2's t3.
    assert frame["store"].tolist() == ["s1", "s1", "s2", "s1", "s2"]
    assert frame["rank"].tolist() == [1, 2, 3, None, None]
    assert frame["technician"].tolist()[4] == "t3"
    assert frame["2026-10"].tolist()[3:] == [None, None]  # no hours available to divide by
