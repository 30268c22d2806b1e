"""After-sales KPIs (kpi/service.py) on small hand-worked datasets."""

from __future__ import annotations

from datetime import date

import pytest

from kpi import service
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release


def ro(
    rid,
    opened,
    closed=None,
    ro_type="maintenance",
    vin=None,
    advisor="a1",
    technician="t1",
    hours=0.0,
    lrev=0.0,
    lcost=0.0,
    prev=0.0,
    pcost=0.0,
    comeback=None,
    store=None,
):
    row = {
        "ro_id": rid,
        "open_date": opened,
        "close_date": closed,
        "vin": vin or f"VIN-{rid}",
        "customer_id": f"C-{rid}",
        "ro_type": ro_type,
        "advisor": advisor,
        "technician": technician,
        "labor_hours": hours,
        "labor_revenue": lrev,
        "labor_cost": lcost,
        "parts_revenue": prev,
        "parts_cost": pcost,
        "comeback": comeback,
    }
    return row | ({"store": store} if store else {})


def roster(month, tech, avail, clocked, req=0, passed=0, store=None):
    row = {
        "month": month,
        "technician": tech,
        "available_hours": avail,
        "clocked_hours": clocked,
        "training_required": req,
        "training_passed": passed,
    }
    return row | ({"store": store} if store else {})


def part(month, part_no, qty, unit_cost, last=None, store=None):
    row = {
        "month": month,
        "part_no": part_no,
        "qty": qty,
        "unit_cost": unit_cost,
        "last_movement_date": last,
    }
    return row | ({"store": store} if store else {})


def sep(today: date = date(2026, 10, 5), **kw) -> Scope:
    return Scope.for_month("2026-09", today=today, **kw)


def test_empty_database(con):
    r = service.summary(con, sep())
    assert r == {
        "ro_count": 0,
        "service_revenue": 0.0,
        "avg_ro_value": None,
        "service_gross": 0.0,
        "service_gross_margin": None,
        "parts_gross_margin": None,
        "effective_labor_rate": None,
        "warranty_gross": 0.0,
        "first_time_fix_rate": None,
        "open_ros": 0,
        "revenue_per_technician": None,
        "tech_productivity": None,
        "tech_efficiency": None,
        "tech_proficiency": None,
        "training_compliance": None,
        "parts_turnover": None,
        "parts_months_supply": None,
        "obsolete_parts_value": None,
        "customer_churn_rate": None,
    }
    assert service.by_ro_type(con, sep()).empty
    assert service.by_technician(con, sep()).empty
    assert service.open_ro_list(con, sep()).empty
    assert service.obsolete_parts(con, sep()).empty
    assert service.technician_monthly(con, sep(), months=2).empty
    assert service.tables(con, sep()) == {
        "ro_count_by_ro_type": {},
        "service_revenue_by_ro_type": {},
    }


@pytest.fixture
def base(con):
    """September 2026 in store s1; as_of 2026-09-30 unless a test says otherwise."""
    insert(
        con,
        "repair_orders",
        [
            ro(
                "R1",
                date(2026, 9, 1),
                date(2026, 9, 1),
                hours=2,
                lrev=200,
                lcost=50,
                prev=300,
                pcost=200,
            ),
            ro(
                "R2",
                date(2026, 8, 28),
                date(2026, 9, 2),
                "repair",
                hours=3,
                lrev=600,
                lcost=100,
                prev=1000,
                pcost=600,
            ),
            ro(
                "R3",
                date(2026, 9, 10),
                date(2026, 9, 12),
                "warranty",
                advisor="a2",
                hours=1,
                lrev=150,
                lcost=30,
                prev=400,
                pcost=300,
            ),
            ro(
                "R4",
                date(2026, 9, 29),
                date(2026, 10, 2),
                "accident",
                advisor="a2",
                hours=5,
                lrev=1000,
                prev=2000,
                pcost=1500,
            ),
            ro(
                "R5",
                date(2026, 9, 5),
                date(2026, 9, 6),
                "internal",
                hours=10,
                lrev=5000,
                prev=5000,
                pcost=1000,
            ),
            ro("R6", date(2026, 9, 20), None, "internal"),
            ro("R7", date(2026, 9, 30), None, advisor="a2"),
        ],
    )
    return con


def test_ro_kpis(base):
    r = service.summary(base, sep())
    assert r["ro_count"] == 4  # opened in Sep, not internal: R1 R3 R4 R7
    assert r["service_revenue"] == pytest.approx(2650.0)  # closed in Sep: 500 + 1600 + 550
    assert r["avg_ro_value"] == pytest.approx(2650 / 3)
    # 2650 - labour cost (50 + 100 + 30) - parts cost (200 + 600 + 300) = 1370
    assert r["service_gross"] == pytest.approx(1370.0)
    assert r["service_gross_margin"] == pytest.approx(1370 / 2650)
    assert r["parts_gross_margin"] == pytest.approx(600 / 1700)  # (1700 - 1100) / 1700
    assert r["effective_labor_rate"] == pytest.approx(950 / 6)  # (200+600+150) / (2+3+1) h
    assert r["warranty_gross"] == pytest.approx(220.0)  # R3: 550 - 30 - 300
    assert r["first_time_fix_rate"] == pytest.approx(1.0)  # R3 only, no comeback
    assert r["open_ros"] == 2  # R4 (closes 10-02), R7; internal R6 left out


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # day 1: R1 opened and closed; R2 (opened Aug 28) still open until Sept 2
        (date(2026, 9, 1), {"ro_count": 1, "service_revenue": 500.0, "open_ros": 1,
                            "first_time_fix_rate": None}),
        # Sept 10: opened R1, R3; closed R1, R2 (500 + 1600); R3 open until Sept 12
        (date(2026, 9, 10), {"ro_count": 2, "service_revenue": 2100.0, "open_ros": 1,
                             "service_gross": 1150.0,  # 2100 − (50 + 100) − (200 + 600)
                             "avg_ro_value": 1050.0, "first_time_fix_rate": 1.0}),
        # the day before month end: R7 (Sept 30) not yet; R4 opened Sept 29, open
        (date(2026, 9, 29), {"ro_count": 3, "service_revenue": 2650.0, "open_ros": 1}),
    ],
)  # fmt: skip
def test_running_month_counts_ros_known_on_as_of(base, today, expected):
    r = service.summary(base, sep(today))
    assert {k: r[k] for k in expected} == pytest.approx(expected)


def test_advisor_filter(base):
    r = service.summary(base, sep(advisor="a1"))
    assert r["ro_count"] == 1  # R1 (R2 opened in August)
    assert r["service_revenue"] == pytest.approx(2100.0)  # R1 500 + R2 1600
    assert r["open_ros"] == 0
    assert r["first_time_fix_rate"] is None  # no repair/warranty RO opened in Sep


def test_missing_labor_cost_counts_as_zero(con):
    insert(con, "repair_orders", [ro("R1", date(2026, 9, 1), date(2026, 9, 1), lrev=100)])
    con.execute("UPDATE repair_orders SET labor_cost = NULL")
    assert service.summary(con, sep())["service_gross"] == pytest.approx(100.0)


# as_of 2026-09-15 (the period runs past today); one RO at a time.
@pytest.mark.parametrize(
    ("opened", "closed", "ro_type", "expected"),
    [
        (date(2026, 9, 15), None, "repair", 1),  # opened on as_of
        (date(2026, 9, 15), date(2026, 9, 15), "repair", 0),  # closed on as_of
        (date(2026, 9, 10), date(2026, 9, 16), "repair", 1),  # closes after as_of
        (date(2026, 9, 16), None, "repair", 0),  # opens after as_of
        (date(2026, 8, 1), None, "repair", 1),  # opened before the period, still open
        (date(2026, 9, 1), None, "internal", 0),  # internal ROs never count
    ],
)
def test_open_ros_as_of(con, opened, closed, ro_type, expected):
    insert(con, "repair_orders", [ro("R", opened, closed, ro_type)])
    assert service.summary(con, sep(date(2026, 9, 15)))["open_ros"] == expected


# First RO: repair of VIN V closed 2026-08-20. Second RO of V opened in September.
@pytest.mark.parametrize(
    ("first_type", "second_type", "opened", "flag", "second_store", "ftf"),
    [
        ("repair", "repair", date(2026, 9, 19), None, None, 0.0),  # 30 days after: comeback
        ("repair", "repair", date(2026, 9, 20), None, None, 1.0),  # 31 days: not
        ("warranty", "repair", date(2026, 9, 19), None, None, 0.0),
        ("repair", "warranty", date(2026, 9, 1), None, None, 0.0),
        ("maintenance", "repair", date(2026, 9, 1), None, None, 1.0),  # first not a repair
        ("internal", "repair", date(2026, 9, 1), None, None, 1.0),
        ("repair", "repair", date(2026, 9, 1), False, None, 1.0),  # explicit flag wins
        ("repair", "repair", date(2026, 9, 25), True, None, 0.0),  # explicit flag wins
        ("repair", "repair", date(2026, 9, 1), None, "s2", 1.0),  # other store's RO
        ("repair", "maintenance", date(2026, 9, 1), None, None, None),  # nothing to fix
    ],
)
def test_first_time_fix_and_derived_comeback(
    con, first_type, second_type, opened, flag, second_store, ftf
):
    insert(
        con,
        "repair_orders",
        [
            ro("R1", date(2026, 8, 18), date(2026, 8, 20), first_type, vin="V"),
            ro("R2", opened, None, second_type, vin="V", comeback=flag, store=second_store),
        ],
    )
    r = service.summary(con, sep())
    assert r["first_time_fix_rate"] == (None if ftf is None else pytest.approx(ftf))


def test_comeback_same_day_as_close(con):
    # Opened on the day the earlier repair closed (0 days after): a comeback; FTF 1 - 1/2
    insert(
        con,
        "repair_orders",
        [
            ro("R1", date(2026, 9, 1), date(2026, 9, 3), "repair", vin="V"),
            ro("R2", date(2026, 9, 3), None, "repair", vin="V"),
        ],
    )
    assert service.summary(con, sep())["first_time_fix_rate"] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def workshop():
    """Roster and labour for a custom period 2026-09-20..2026-10-10 (months Sep and Oct)."""
    con = memory_db()  # read only: the module's tests share it
    insert(
        con,
        "technicians",
        [
            roster("2026-08", "t1", 999, 999, 9, 9),  # month outside the period
            roster("2026-09", "t1", 160, 120, 2, 2),
            roster("2026-10", "t1", 100, 90, 1, 0),
            roster("2026-09", "t2", 40, 30, 1, 1),
            roster("2026-11", "t2", 999, 999, 9, 9),
        ],
    )
    insert(con, "technicians", [roster("2026-10", "t1", 100, 60)], store="s2")
    insert(
        con,
        "repair_orders",
        [
            ro("R1", date(2026, 9, 20), date(2026, 9, 25), technician="t1", hours=10, lrev=1000),
            ro("R2", date(2026, 10, 1), date(2026, 10, 10), technician="t2", hours=5, lrev=600),
            ro("R3", date(2026, 9, 1), date(2026, 9, 19), technician="t1", hours=100, lrev=1e4),
            ro(
                "R5",
                date(2026, 9, 1),
                date(2026, 9, 30),
                "internal",
                technician="t1",
                hours=50,
                lrev=5000,
            ),
        ],
    )
    insert(
        con,
        "repair_orders",
        [ro("R4", date(2026, 10, 1), date(2026, 10, 1), technician="t1", hours=8, lrev=800)],
        store="s2",
    )
    yield con
    release(con)


def workshop_scope(**kw) -> Scope:
    return Scope.for_range(date(2026, 9, 20), date(2026, 10, 10), today=date(2026, 12, 1), **kw)


def test_roster_kpis_pooled_over_months_and_stores(workshop):
    r = service.summary(workshop, workshop_scope())
    # roster Sep + Oct: available 160+100+40+100 = 400, clocked 120+90+30+60 = 300
    # labour closed 09-20..10-10: R1 10 h 1000, R2 5 h 600, R4 8 h 800 (R3 before, R5 internal)
    assert r["revenue_per_technician"] == pytest.approx(800.0)  # 2400 / 3 (s1 t1, s1 t2, s2 t1)
    assert r["tech_productivity"] == pytest.approx(0.75)  # 300 / 400
    assert r["tech_efficiency"] == pytest.approx(23 / 300)
    assert r["tech_proficiency"] == pytest.approx(23 / 400)
    assert r["training_compliance"] == pytest.approx(0.75)  # (2 + 0 + 1) / (2 + 1 + 1)


def test_roster_and_labour_of_a_running_period(workshop):
    # Sept 20..Oct 10 on Oct 5: rosters of Sept and Oct as exported; labour closed to Oct 5:
    # R1 10 h 1000 (s1), R4 8 h 800 (s2); R2 closes Oct 10
    running = Scope.for_range(date(2026, 9, 20), date(2026, 10, 10), today=date(2026, 10, 5))
    r = service.summary(workshop, running)
    assert r["revenue_per_technician"] == pytest.approx(600.0)  # 1800 / 3 technicians
    assert r["tech_efficiency"] == pytest.approx(18 / 300)
    # On Sept 25 only September's roster is known: available 160 + 40, clocked 120 + 30
    early = Scope.for_range(date(2026, 9, 20), date(2026, 10, 10), today=date(2026, 9, 25))
    r = service.summary(workshop, early)
    assert r["tech_productivity"] == pytest.approx(0.75)  # 150 / 200
    assert r["tech_efficiency"] == pytest.approx(10 / 150)  # R1 only
    assert r["revenue_per_technician"] == pytest.approx(500.0)  # 1000 / s1 t1, s1 t2
    assert r["training_compliance"] == pytest.approx(1.0)  # (2 + 1) / (2 + 1)


def test_roster_kpis_single_store(workshop):
    r = service.summary(workshop, workshop_scope(store="s1"))
    assert r["revenue_per_technician"] == pytest.approx(800.0)  # 1600 / 2
    assert r["tech_productivity"] == pytest.approx(0.8)  # 240 / 300
    assert r["tech_efficiency"] == pytest.approx(0.0625)  # 15 / 240
    assert r["tech_proficiency"] == pytest.approx(0.05)  # 15 / 300


def test_technician_filter_on_roster_and_ros(workshop):
    r = service.summary(workshop, workshop_scope(technician="t1"))
    # roster t1: s1 Sep 160/120 + s1 Oct 100/90 + s2 Oct 100/60; ROs R1 10 h + R4 8 h
    assert r["revenue_per_technician"] == pytest.approx(900.0)  # 1800 / 2
    assert r["tech_productivity"] == pytest.approx(0.75)  # 270 / 360
    assert r["tech_efficiency"] == pytest.approx(18 / 270)
    assert r["tech_proficiency"] == pytest.approx(0.05)  # 18 / 360
    assert r["training_compliance"] == pytest.approx(2 / 3)  # (2 + 0) / (2 + 1)


def test_zero_roster_denominators(con):
    insert(con, "technicians", [roster("2026-09", "t1", 0, 0, 0, 0)])
    r = service.summary(con, sep())
    assert r["revenue_per_technician"] == pytest.approx(0.0)  # 0 revenue / 1 technician
    assert r["tech_productivity"] is None
    assert r["tech_efficiency"] is None
    assert r["tech_proficiency"] is None
    assert r["training_compliance"] is None


def test_by_technician(workshop):
    frame = service.by_technician(workshop, workshop_scope())
    assert list(frame.columns) == list(service.TECHNICIAN_COLUMNS)
    assert list(zip(frame["technician"], frame["store"], strict=True)) == [
        ("t1", "s1"),
        ("t1", "s2"),
        ("t2", "s1"),
    ]
    assert frame["available_hours"].tolist() == [260.0, 100.0, 40.0]
    assert frame["clocked_hours"].tolist() == [210.0, 60.0, 30.0]
    assert frame["labor_hours_sold"].tolist() == [10.0, 8.0, 5.0]
    assert frame["tech_productivity"].tolist() == pytest.approx([210 / 260, 0.6, 0.75])
    assert frame["tech_efficiency"].tolist() == pytest.approx([10 / 210, 8 / 60, 5 / 30])
    assert frame["tech_proficiency"].tolist() == pytest.approx([10 / 260, 0.08, 0.125])
    assert frame["labor_revenue"].tolist() == [1000.0, 800.0, 600.0]
    assert frame["training_compliance"].tolist()[0] == pytest.approx(2 / 3)
    assert frame["training_compliance"].tolist()[1] is None  # s2 t1: 0 required
    assert frame["training_compliance"].tolist()[2] == pytest.approx(1.0)


def test_technician_monthly(workshop):
    scope = Scope.for_month("2026-10", today=date(2026, 12, 1))
    frame = service.technician_monthly(workshop, scope, months=2)
    sep_rows = frame[frame["month"] == "2026-09"]
    # September: t1 s1 sold R1 10 h + R3 100 h on 160 available; t2 s1 nothing sold
    assert sep_rows["technician"].tolist() == ["t1", "t2"]
    assert sep_rows["labor_hours_sold"].tolist() == [110.0, 0.0]
    assert sep_rows["tech_proficiency"].tolist() == pytest.approx([110 / 160, 0.0])
    oct_rows = frame[frame["month"] == "2026-10"]
    assert list(zip(oct_rows["technician"], oct_rows["store"], strict=True)) == [
        ("t1", "s2"),  # 8 h
        ("t2", "s1"),  # 5 h (no October roster row)
        ("t1", "s1"),  # 0 h
    ]
    assert oct_rows["tech_proficiency"].tolist()[1] is None  # no roster: no hours available


@pytest.fixture
def turnover(con):
    """Snapshots and parts cost around the 12 months to 2026-09-15 / 2026-09-30."""
    insert(
        con,
        "parts_stock",
        [
            part("2025-08", "P", 1, 9999.0),  # month end 08-31 is before the window
            part("2025-09", "P", 1, 1000.0),
            part("2026-08", "P", 3, 1000.0),
            part("2026-09", "P", 1, 5000.0),  # dated 09-30: after a mid-month as_of
        ],
    )
    insert(
        con,
        "repair_orders",
        [
            ro("R1", date(2025, 9, 1), date(2025, 9, 15), pcost=800.0),  # exactly 12 months
            ro("R2", date(2025, 9, 1), date(2025, 9, 16), pcost=1000.0),
            ro("R3", date(2026, 9, 1), date(2026, 9, 15), pcost=3000.0),
            ro("R4", date(2026, 9, 1), date(2026, 9, 16), pcost=500.0),
            ro("R5", date(2026, 1, 1), date(2026, 1, 2), "internal", pcost=7777.0),
        ],
    )
    return con


def test_parts_turnover_mid_month(turnover):
    # as_of 2026-09-15: 2025-09-15 < d <= 2026-09-15; snapshots 2025-09 and 2026-08
    r = service.summary(turnover, sep(date(2026, 9, 15)))
    assert r["parts_turnover"] == pytest.approx(2.0)  # (1000 + 3000) / mean(1000, 3000)


def test_parts_turnover_month_end(turnover):
    # as_of 2026-09-30: 2025-09-30 < d <= 2026-09-30; snapshots 2026-08 and 2026-09
    r = service.summary(turnover, sep(date(2026, 10, 1)))
    assert r["parts_turnover"] == pytest.approx(0.875)  # (3000 + 500) / mean(3000, 5000)


def test_parts_turnover_ignores_advisor_and_technician_filters(turnover):
    r = service.summary(turnover, sep(date(2026, 9, 15), advisor="x", technician="y"))
    assert r["parts_turnover"] == pytest.approx(2.0)


def test_parts_turnover_two_stores_summed_per_month(turnover):
    insert(
        turnover,
        "parts_stock",
        [part("2026-07", "Q", 1, 2000.0), part("2026-08", "Q", 1, 1000.0)],
        store="s2",
    )
    insert(
        turnover,
        "repair_orders",
        [ro("S2R", date(2026, 1, 5), date(2026, 1, 10), pcost=2000.0)],
        store="s2",
    )
    # months 2025-09: 1000; 2026-07: 2000; 2026-08: 3000 + 1000 -> mean 7000 / 3
    r = service.summary(turnover, sep(date(2026, 9, 15)))
    assert r["parts_turnover"] == pytest.approx(18 / 7)  # (1000 + 3000 + 2000) / (7000 / 3)
    s2 = service.summary(turnover, sep(date(2026, 9, 15), store="s2"))
    assert s2["parts_turnover"] == pytest.approx(4 / 3)  # 2000 / mean(2000, 1000)


@pytest.fixture(scope="module")
def parts():
    """s1's latest snapshot is 2026-08, s2's is 2026-09; parts cost June-September."""
    con = memory_db()  # read only: the module's tests share it
    insert(
        con,
        "parts_stock",
        [
            part("2026-07", "P1", 90, 100.0, date(2020, 1, 1)),  # not the latest snapshot
            # 2026-08-31 - 180 days = 2026-03-04
            part("2026-08", "P1", 10, 100.0, date(2026, 3, 3)),  # obsolete
            part("2026-08", "P2", 2, 500.0, date(2026, 3, 4)),  # exactly 180 days: not
            part("2026-08", "P3", 1, 1000.0, None),  # no date: not obsolete
        ],
    )
    # 2026-09-30 - 180 days = 2026-04-03
    insert(con, "parts_stock", [part("2026-09", "P9", 4, 250.0, date(2026, 4, 2))], store="s2")
    insert(
        con,
        "repair_orders",
        [
            ro("J", date(2026, 6, 1), date(2026, 6, 10), pcost=600.0),
            ro("L", date(2026, 7, 1), date(2026, 7, 10), pcost=300.0),
            ro("A", date(2026, 8, 1), date(2026, 8, 10), pcost=300.0),
            ro("S", date(2026, 9, 1), date(2026, 9, 10), pcost=900.0),
            ro("I", date(2026, 8, 1), date(2026, 8, 10), "internal", pcost=9000.0),
        ],
    )
    insert(
        con,
        "repair_orders",
        [ro("S2A", date(2026, 8, 1), date(2026, 8, 2), pcost=300.0)],
        store="s2",
    )
    yield con
    release(con)


def test_parts_months_supply_mid_month(parts):
    # as_of 2026-09-15: Jun-Aug parts cost 600 + 300 + 300 (s1) + 300 (s2) = 1500 -> 500 a month
    # latest snapshots: s1 2026-08 (1000 + 1000 + 1000), s2 2026-09 (1000)
    r = service.summary(parts, sep(date(2026, 9, 15)))
    assert r["parts_months_supply"] == pytest.approx(8.0)  # 4000 / 500
    assert r["obsolete_parts_value"] == pytest.approx(2000.0)  # s1 P1 1000 + s2 P9 1000


def test_parts_months_supply_month_end(parts):
    # as_of 2026-09-30: Jul-Sep 300 + 300 + 900 + 300 (s2) = 1800 -> 600 a month
    r = service.summary(parts, sep(date(2026, 10, 1)))
    assert r["parts_months_supply"] == pytest.approx(20 / 3)  # 4000 / 600


def test_parts_months_supply_single_store(parts):
    r = service.summary(parts, sep(date(2026, 9, 15), store="s1"))
    assert r["parts_months_supply"] == pytest.approx(7.5)  # 3000 / (1200 / 3)
    assert r["obsolete_parts_value"] == pytest.approx(1000.0)


def test_no_snapshot_gives_no_parts_values(parts):
    # as_of 2026-06-15: no snapshot at or before 2026-06 in either store
    r = service.summary(parts, Scope.for_month("2026-06", today=date(2026, 6, 15)))
    assert r["parts_months_supply"] is None
    assert r["obsolete_parts_value"] is None
    assert r["parts_turnover"] is None


def test_snapshot_without_parts_cost(con):
    insert(con, "parts_stock", [part("2026-09", "P", 1, 100.0, date(2026, 9, 1))])
    r = service.summary(con, sep())
    assert r["parts_months_supply"] is None  # no parts cost in Jul-Sep
    assert r["obsolete_parts_value"] == 0.0  # a snapshot with nothing obsolete


def test_obsolete_parts_list(parts):
    frame = service.obsolete_parts(parts, sep(date(2026, 9, 15)))
    assert frame["store"].tolist() == ["s1", "s2"]
    assert frame["part_no"].tolist() == ["P1", "P9"]
    assert frame["snapshot_month"].tolist() == ["2026-08", "2026-09"]
    assert frame["value_cny"].tolist() == [1000.0, 1000.0]
    assert frame["days_since_movement"].tolist() == [181, 181]  # 08-31 - 03-03; 09-30 - 04-02


# as_of 2026-09-15: 24 months back 2024-09-15, 12 months back 2025-09-15.
@pytest.fixture
def churn(con):
    insert(
        con,
        "repair_orders",
        [
            ro("RECENT", date(2026, 9, 1), vin="V_RECENT"),
            ro("EDGE12", date(2025, 9, 15), vin="V_EDGE12"),  # exactly 12 months: not lost
            ro("OLD", date(2025, 9, 14), vin="V_OLD"),  # lost
            ro("EDGE24", date(2024, 9, 15), vin="V_EDGE24"),  # exactly 24 months: outside
            ro("IN24", date(2024, 9, 16), vin="V_IN24"),  # lost
            ro("F1", date(2025, 1, 1), vin="V_FUTURE"),  # lost: its next RO is after as_of
            ro("F2", date(2026, 9, 20), vin="V_FUTURE"),
            ro("I1", date(2025, 1, 1), ro_type="repair", vin="V_INT"),  # lost: internal RO ignored
            ro("I2", date(2026, 9, 1), ro_type="internal", vin="V_INT"),
            ro("I3", date(2026, 9, 1), ro_type="internal", vin="V_ONLY_INT"),  # not a customer
            ro("T1", date(2025, 6, 1), vin="V_TWO"),
            ro("T2", date(2026, 8, 1), vin="V_TWO"),
        ],
    )
    return con


def test_customer_churn_rate(churn):
    r = service.summary(churn, sep(date(2026, 9, 15)))
    # base: RECENT EDGE12 OLD IN24 FUTURE INT TWO = 7; lost: OLD IN24 FUTURE INT = 4
    assert r["customer_churn_rate"] == pytest.approx(4 / 7)


def test_customer_churn_two_stores(churn):
    insert(churn, "repair_orders", [ro("S2", date(2025, 1, 1), vin="V_RECENT")], store="s2")
    r = service.summary(churn, sep(date(2026, 9, 15)))
    assert r["customer_churn_rate"] == pytest.approx(5 / 8)  # s2's V_RECENT is another vehicle
    s2 = service.summary(churn, sep(date(2026, 9, 15), store="s2"))
    assert s2["customer_churn_rate"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("opened", "lost"),
    [(date(2023, 2, 28), 0.5), (date(2023, 2, 27), 1.0)],
)
def test_churn_12_months_clamped_to_month_end(con, opened, lost):
    # as_of 2024-02-29: 12 months back is 2023-02-28 (clamped). W, seen 2023-01-10 only, is
    # lost either way; V is lost when its visit is before 2023-02-28: 1 / 2 or 2 / 2.
    insert(con, "repair_orders", [ro("R", opened, vin="V"), ro("W1", date(2023, 1, 10), vin="W")])
    scope = Scope.for_month("2024-02", today=date(2024, 3, 5))
    assert service.summary(con, scope)["customer_churn_rate"] == pytest.approx(lost)


def test_churn_is_no_value_until_the_history_reaches_12_months_back(con):
    # The store's first visit is 2025-10-01. As of 2026-09-30 the cut is 2025-09-30: nothing
    # before it, nobody can have been lost yet, so no value (not 0 %). As of 2026-10-31 the
    # cut is 2025-10-31: V1 (last seen 2025-10-01) is lost, V2 (2026-05-01) not: 1 / 2.
    insert(con, "repair_orders", [
        ro("A", date(2025, 10, 1), vin="V1"),
        ro("B", date(2026, 5, 1), vin="V2"),
    ])  # fmt: skip
    sept = Scope.for_month("2026-09", today=date(2026, 11, 25))
    octo = Scope.for_month("2026-10", today=date(2026, 11, 25))
    assert service.summary(con, sept)["customer_churn_rate"] is None
    assert service.summary(con, octo)["customer_churn_rate"] == pytest.approx(0.5)
    # The cards' one-pass periods (Oct, Sep, last Oct) and the per-store breakdown agree.
    rates = [r["customer_churn_rate"] for r in service.summaries(con, octo)]
    assert rates[0] == pytest.approx(0.5) and rates[1:] == [None, None]
    frame = service.by_store(con, sept, total=True)
    assert frame["customer_churn_rate"].tolist() == [None, None]
    frame = service.by_store(con, octo, total=True)
    assert frame["customer_churn_rate"].tolist() == [pytest.approx(0.5), pytest.approx(0.5)]


def test_by_ro_type_and_tables(base):
    frame = service.by_ro_type(base, sep())
    assert frame["ro_type"].tolist() == ["repair", "warranty", "maintenance", "accident"]
    assert frame["ro_count"].tolist() == [0, 1, 2, 1]
    assert frame["closed_ro_count"].tolist() == [1, 1, 1, 0]
    assert frame["service_revenue"].tolist() == [1600.0, 550.0, 500.0, 0.0]
    assert frame["service_gross"].tolist() == [900.0, 220.0, 250.0, 0.0]
    assert frame["service_gross_margin"].tolist()[:3] == pytest.approx([0.5625, 0.4, 0.5])
    assert frame["service_gross_margin"].tolist()[3] is None
    assert service.tables(base, sep()) == {
        "ro_count_by_ro_type": {"repair": 0, "warranty": 1, "maintenance": 2, "accident": 1},
        "service_revenue_by_ro_type": {
            "repair": 1600.0,
            "warranty": 550.0,
            "maintenance": 500.0,
            "accident": 0.0,
        },
    }


def test_by_advisor(base):
    frame = service.by_advisor(base, sep())
    assert frame["advisor"].tolist() == ["a1", "a2"]
    assert frame["store"].tolist() == ["s1", "s1"]
    assert frame["ro_count"].tolist() == [1, 3]
    assert frame["service_revenue"].tolist() == [2100.0, 550.0]  # R1 + R2; R3
    assert frame["open_ros"].tolist() == [0, 2]


def test_ros_closed_before_the_period_or_after_a_future_as_of(con):
    """The rows come in two parts (kpi/sql/service_ro.sql): not closed before the earlier of
    the period's start and the day after as_of, and the others opened in the period."""
    insert(
        con,
        "repair_orders",
        [
            # closed before it opened (an export error): opened in September, nothing else
            ro("R1", date(2026, 9, 10), date(2026, 8, 30), "repair", lrev=100),
            ro("R2", date(2026, 9, 3), date(2026, 9, 4), lrev=50),
            ro("R3", date(2026, 8, 3), date(2026, 10, 2)),  # open from Aug 3 to Oct 2
        ],
    )
    frame = service.by_advisor(con, sep())  # as_of 2026-09-30
    assert frame["ro_count"].tolist() == [2]  # R1, R2 opened in September
    assert frame["closed_ro_count"].tolist() == [1]  # R2
    assert frame["service_revenue"].tolist() == [50.0]  # R2's labour
    assert frame["open_ros"].tolist() == [1]  # R3
    assert frame["first_time_fix_rate"].tolist() == [1.0]  # R1, no comeback
    # October seen on 2026-09-20 (as_of before the start): R3 is open, nothing opened yet
    october = Scope.for_month("2026-10", today=date(2026, 9, 20), advisor="a1")
    r = service.summary(con, october)
    assert (r["ro_count"], r["open_ros"], r["service_revenue"]) == (0, 1, 0.0)


def test_monthly(base):
    frame = service.monthly(base, sep(), months=3)
    assert frame["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    assert frame["ro_count"].tolist() == [0, 1, 4]  # R2 opened 08-28
    assert frame["service_revenue"].tolist() == [0.0, 0.0, 2650.0]
    assert frame["service_gross"].tolist() == [0.0, 0.0, 1370.0]
    assert frame["service_gross_margin"].tolist()[:2] == [None, None]
    assert frame["service_gross_margin"].tolist()[2] == pytest.approx(1370 / 2650)
    assert frame["first_time_fix_rate"].tolist() == [None, 1.0, 1.0]  # R2 in Aug, R3 in Sep


def test_open_ro_list(base):
    frame = service.open_ro_list(base, sep())
    assert frame["ro_id"].tolist() == ["R4", "R7"]
    assert frame["age_days"].tolist() == [1, 0]  # as_of 09-30


def test_two_stores_pooled_revenue(base):
    insert(
        base,
        "repair_orders",
        [ro("R1", date(2026, 9, 3), date(2026, 9, 4), "repair", lrev=100, prev=250, pcost=50)],
        store="s2",
    )
    r = service.summary(base, sep())
    assert r["ro_count"] == 5  # 4 in s1 + s2's R1 (same id, other store)
    assert r["service_revenue"] == pytest.approx(3000.0)  # 2650 + 350
    assert r["avg_ro_value"] == pytest.approx(750.0)  # 3000 / 4 closed
    assert r["parts_gross_margin"] == pytest.approx(800 / 1950)  # (600 + 200) / (1700 + 250)
    assert r["first_time_fix_rate"] == pytest.approx(1.0)  # R3 and s2's R1, no comeback
    s2 = service.summary(base, sep(store="s2"))
    assert s2["service_revenue"] == pytest.approx(350.0)
    assert s2["service_gross_margin"] == pytest.approx(300 / 350)
