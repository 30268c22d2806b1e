"""Tests of kpi/customers.py against hand-worked values (KPI-CATALOGUE.md, "Customers")."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from kpi import customers
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release

# September 2026, as_of = 2026-09-30 (the month is over on 2026-10-05)
SEPT = Scope.for_month("2026-09", today=date(2026, 10, 5))
AS_OF = date(2026, 9, 30)


def visit(vid, day, customer, level=None, consultant="Li", kind="walk_in"):
    """Return a traffic row."""
    return {
        "visit_id": vid, "visit_date": day, "kind": kind, "first_visit": False,
        "channel": "autohome", "consultant": consultant, "customer_id": customer,
        "lead_level": level, "model_interest": "M1", "test_drive": False,
    }  # fmt: skip


def follow(fid, day, customer, level=None, consultant="Li", kind="lead_followup"):
    """Return a followups row."""
    return {"followup_id": fid, "followup_date": day, "customer_id": customer,
            "consultant": consultant, "kind": kind, "lead_level": level}  # fmt: skip


def order(oid, day, customer, status="open", delivery=None, consultant="Li"):
    """Return an orders row."""
    return {
        "order_id": oid, "order_date": day, "delivery_date": delivery, "status": status,
        "customer_id": customer, "consultant": consultant, "model": "M1",
        "sale_type": "retail", "buyer_type": "private", "channel": "autohome",
        "sale_price": 100000.0, "vehicle_cost": 95000.0, "rebate": 0.0, "finance": False,
        "insurance": False, "fi_income": 0.0, "trade_in": False, "accessories_revenue": 0.0,
        "accessories_cost": 0.0,
    }  # fmt: skip


def ro(rid, closed, customer, ro_type="maintenance", advisor="Zhao"):
    """Return a repair_orders row closed on `closed`."""
    return {
        "ro_id": rid, "open_date": closed - timedelta(days=1), "close_date": closed,
        "vin": f"VIN-{rid}", "customer_id": customer, "ro_type": ro_type, "advisor": advisor,
        "technician": "Sun", "labor_hours": 1.0, "labor_revenue": 100.0, "labor_cost": 0.0,
        "parts_revenue": 100.0, "parts_cost": 50.0, "comeback": False,
    }  # fmt: skip


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def test_empty_database(con):
    assert customers.summary(con, SEPT) == {
        "open_leads": 0, "overdue_followups": 0, "followup_compliance": None,
        "return_visit_rate": None, "csi_sales": None, "csi_service": None, "nps": None,
        "complaint_satisfaction": None, "complaint_close_days": None,
    }  # fmt: skip
    assert customers.open_leads_by_level(con, SEPT).empty
    assert customers.overdue_list(con, SEPT).empty
    assert customers.complaints_list(con, SEPT).empty
    monthly = customers.csi_monthly(con, SEPT, months=2)
    assert monthly["month"].tolist() == ["2026-08", "2026-09"]
    assert monthly[["csi_sales", "csi_service", "nps"]].isna().all().all()


@pytest.mark.parametrize(
    ("level", "ago", "overdue"),
    [
        ("H", 2, 0), ("H", 3, 1),
        ("O", 7, 0), ("O", 8, 1),
        ("A", 0, 0), ("A", 7, 0), ("A", 8, 1),
        ("B", 14, 0), ("B", 15, 1),
        ("C", 30, 0), ("C", 31, 1),
    ],
)  # fmt: skip
def test_cadence_boundaries(con, level, ago, overdue):
    # a contact exactly N days before as_of is on time; N + 1 days is overdue
    insert(con, "traffic", [visit("v1", days_ago(ago), "c1", level)])
    r = customers.summary(con, SEPT)
    assert (r["open_leads"], r["overdue_followups"]) == (1, overdue)
    assert r["followup_compliance"] == 1 - overdue  # 1 − overdue / 1


@pytest.mark.parametrize(("ago", "overdue"), [(3, 0), (4, 1)])
def test_cadence_override(con, ago, overdue):
    insert(con, "traffic", [visit("v1", days_ago(ago), "c1", "H")])
    insert(con, "traffic", [visit("v1", days_ago(ago), "c1", "H")], store="s2")
    con.execute("UPDATE stores SET cadence = $c WHERE store = 's1'", {"c": '{"H": 3}'})
    # s1 follows H leads every 3 days; s2 keeps the default 2 (3 and 4 days: both overdue)
    s1 = customers.summary(con, SEPT.with_filters(store="s1"))
    assert s1["overdue_followups"] == overdue
    s2 = customers.summary(con, SEPT.with_filters(store="s2"))
    assert s2["overdue_followups"] == 1
    # most overdue first: s2 4 − 2 = 2 days, s1 4 − 3 = 1 day (or s2 3 − 2 = 1 alone)
    listed = customers.overdue_list(con, SEPT)
    assert listed[["store", "cadence_days", "days_overdue"]].values.tolist() == (
        [["s2", 2, 2], ["s1", 3, 1]] if overdue else [["s2", 2, 1]]
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"H": 3}', {"H": 3}),
        ('{"h": 4, "B": 10.0}', {"H": 4, "B": 10}),
        ('{"X": 3, "A": "soon", "C": -1, "O": 2.5}', {}),
        ("not json", {}),
        (None, {}),
        ("[1, 2]", {}),
    ],
)
def test_parse_cadence(text, expected):
    defaults = {"O": 7, "H": 2, "A": 7, "B": 14, "C": 30}
    assert customers.parse_cadence(text) == defaults | expected


@pytest.mark.parametrize(
    ("rows", "is_open"),
    [
        # a visit and a followup on the same day: the followup counts after the visit
        ([visit("v1", days_ago(5), "c1", "A"), follow("f1", days_ago(5), "c1", "F")], 0),
        ([visit("v1", days_ago(5), "c1", "F"), follow("f1", days_ago(5), "c1", "B")], 1),
        # two followups on one day: the greater id is the later
        ([follow("f1", days_ago(5), "c1", "F"), follow("f2", days_ago(5), "c1", "A")], 1),
        ([follow("f1", days_ago(5), "c1", "A"), follow("f2", days_ago(5), "c1", "F")], 0),
        # two visits on one day
        ([visit("v2", days_ago(5), "c1", "F"), visit("v1", days_ago(5), "c1", "A")], 0),
        # an empty level is no information: the earlier A still holds
        ([visit("v1", days_ago(5), "c1", "A"), follow("f1", days_ago(1), "c1", None)], 1),
        # a row after as_of is not known yet
        ([visit("v1", days_ago(5), "c1", "A"), follow("f1", AS_OF + timedelta(1), "c1", "F")], 1),
        # F = lost; no level at all = no lead
        ([visit("v1", days_ago(5), "c1", "F")], 0),
        ([visit("v1", days_ago(5), "c1", None)], 0),
        # an anonymous walk-in is no lead
        ([visit("v1", days_ago(5), None, "A")], 0),
    ],
)
def test_latest_level(con, rows, is_open):
    insert(con, "traffic", [r for r in rows if "visit_id" in r])
    insert(con, "followups", [r for r in rows if "followup_id" in r])
    assert customers.summary(con, SEPT)["open_leads"] == is_open


def test_contact_without_level_resets_the_clock(con):
    # A on 09-10 (20 days ago, cadence 7): overdue alone
    insert(con, "traffic", [visit("v1", date(2026, 9, 10), "c1", "A")])
    assert customers.summary(con, SEPT)["overdue_followups"] == 1
    # a return-visit call without a level on 09-25 (5 days ago) is the last contact
    insert(con, "followups", [follow("f1", date(2026, 9, 25), "c1", kind="return_visit")])
    r = customers.summary(con, SEPT)
    assert (r["open_leads"], r["overdue_followups"]) == (1, 0)


@pytest.mark.parametrize(
    ("order_day", "status", "is_open"),
    [
        (AS_OF, "open", 0),  # an order on as_of closes the lead
        (date(2026, 8, 1), "delivered", 0),  # any earlier order too
        (AS_OF + timedelta(1), "open", 1),  # not yet on as_of
        (date(2026, 9, 20), "cancelled", 1),  # a cancelled order closes nothing
    ],
)
def test_order_closes_lead(con, order_day, status, is_open):
    insert(con, "traffic", [visit("v1", days_ago(1), "c1", "H")])
    insert(con, "orders", [order("o1", order_day, "c1", status)])
    assert customers.summary(con, SEPT)["open_leads"] == is_open


@pytest.fixture(scope="module")
def leads():
    """Five open leads, two overdue, as of 2026-09-30, and three closed ones (store s1)."""
    con = memory_db()  # read only: the module's tests share it
    insert(con, "traffic", [
        visit("v1", date(2026, 9, 20), "c1", "A", "Li"),  # last contact f1 09-25: on time
        visit("v2", date(2026, 9, 27), "c2", "H", "Li"),  # 3 days > 2: overdue by 1
        visit("v3", date(2026, 9, 1), "c3", "B", "Wang"),  # 29 days > 14: overdue by 15
        visit("v4", date(2026, 9, 29), "c4", "C", "Wang"),  # on time
        visit("v5", date(2026, 9, 29), "c5", "O", "Li"),  # on time
        visit("v6", date(2026, 9, 5), "c6", "F", "Li"),  # lost
        visit("v7", date(2026, 9, 6), "c7", "A", "Li"),  # ordered
    ])  # fmt: skip
    insert(con, "followups", [follow("f1", date(2026, 9, 25), "c1", None, "Wang")])
    insert(con, "orders", [order("o7", date(2026, 9, 8), "c7")])
    yield con
    release(con)


def test_leads_summary(leads):
    r = customers.summary(leads, SEPT)
    assert (r["open_leads"], r["overdue_followups"]) == (5, 2)
    assert r["followup_compliance"] == pytest.approx(0.6)  # 1 − 2 / 5


def test_lead_consultant_is_the_latest_contact(leads):
    # c1 was received by Li but last followed up by Wang: c1 is Wang's lead
    wang = customers.summary(leads, SEPT.with_filters(consultant="Wang"))
    assert (wang["open_leads"], wang["overdue_followups"]) == (3, 1)  # c1, c3, c4; c3
    assert wang["followup_compliance"] == pytest.approx(2 / 3)  # 1 − 1 / 3
    li = customers.summary(leads, SEPT.with_filters(consultant="Li"))
    assert (li["open_leads"], li["overdue_followups"]) == (2, 1)  # c2, c5; c2


def test_open_leads_by_level(leads):
    got = customers.open_leads_by_level(leads, SEPT)
    expected = pd.DataFrame(
        {
            "store": ["s1"] * 4,
            "consultant": ["Li", "Li", "Wang", "Wang"],
            "level": ["O", "H", "A", "B"],
            "open_leads": [1, 1, 1, 1],
        }
    )
    # c4 (C, Wang) is the fifth lead
    expected.loc[4] = ["s1", "Wang", "C", 1]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_overdue_list(leads):
    got = customers.overdue_list(leads, SEPT)
    expected = pd.DataFrame(
        {
            "store": ["s1", "s1"],
            "customer_id": ["c3", "c2"],
            "consultant": ["Wang", "Li"],
            "lead_level": ["B", "H"],
            "last_contact": [date(2026, 9, 1), date(2026, 9, 27)],
            "cadence_days": [14, 2],
            "days_overdue": [15, 1],  # 29 − 14; 3 − 2
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_two_stores_count_customers_per_store(con):
    # the same customer id in two stores is two leads
    insert(con, "traffic", [visit("v1", days_ago(1), "c1", "A")], store="s1")
    insert(con, "traffic", [visit("v1", days_ago(10), "c1", "A")], store="s2")
    # an order in s2 does not close s1's lead
    insert(con, "orders", [order("o1", days_ago(30), "c9")], store="s2")
    insert(con, "followups", [follow("f1", days_ago(1), "c1", "F")], store="s3")
    r = customers.summary(con, SEPT)
    assert (r["open_leads"], r["overdue_followups"]) == (2, 1)  # s2's lead: 10 days > 7
    assert r["followup_compliance"] == pytest.approx(0.5)
    s1 = customers.summary(con, SEPT.with_filters(store="s1"))
    assert (s1["open_leads"], s1["overdue_followups"]) == (1, 0)


@pytest.fixture(scope="module")
def served():
    """September's deliveries and closed ROs of store s1 and their return visits."""
    con = memory_db()  # read only: the module's tests share it
    insert(con, "orders", [
        order("d1", date(2026, 9, 1), "c1", "delivered", date(2026, 9, 10), "Li"),
        order("d2", date(2026, 9, 1), "c2", "delivered", date(2026, 9, 20), "Wang"),
        order("d3", date(2026, 9, 1), "c3", "delivered", date(2026, 9, 30), "Li"),
        order("d4", date(2026, 9, 1), None, "delivered", date(2026, 9, 15), "Li"),
        order("d5", date(2026, 9, 1), "c5", "open"),
        order("d6", date(2026, 8, 1), "c6", "delivered", date(2026, 8, 31), "Li"),
    ])  # fmt: skip
    insert(con, "repair_orders", [
        ro("r1", date(2026, 9, 5), "c6"),
        ro("r2", date(2026, 9, 5), "c6", "internal"),
        ro("r3", date(2026, 9, 12), "c7", "repair", "Qian"),
        ro("r4", date(2026, 10, 1), "c8"),
    ])  # fmt: skip
    insert(con, "followups", [
        follow("f1", date(2026, 9, 17), "c1", kind="return_visit"),  # d1 + 7: in
        follow("f2", date(2026, 9, 28), "c2", kind="return_visit"),  # d2 + 8: out
        follow("f3", date(2026, 9, 21), "c2"),  # a lead follow-up is no return visit
        follow("f4", date(2026, 10, 5), "c3", kind="return_visit"),  # after the period: in
        follow("f5", date(2026, 9, 5), "c6", kind="return_visit"),  # r1's close day: in
        follow("f6", date(2026, 8, 31), "c6", kind="return_visit"),  # d6: not in September
    ])  # fmt: skip
    insert(con, "followups", [follow("f7", date(2026, 9, 13), "c7", kind="return_visit")],
           store="s2")  # fmt: skip
    yield con
    release(con)


def test_return_visit_rate(served):
    # denominator: d1 d2 d3 d4 (anonymous) + r1 r3 = 6 (d5 open, d6 August, r2 internal,
    # r4 October); numerator: d1, d3, r1 = 3 (r3's return visit is another store's c7)
    assert customers.summary(served, SEPT)["return_visit_rate"] == pytest.approx(0.5)


def test_return_visit_rate_filters(served):
    # Li's deliveries: d1 d3 d4 -> d1, d3 followed; ROs have no consultant
    li = customers.summary(served, SEPT.with_filters(consultant="Li"))
    assert li["return_visit_rate"] == pytest.approx(2 / 3)
    # advisor Qian's ROs: r3, not followed; deliveries have no advisor
    qian = customers.summary(served, SEPT.with_filters(advisor="Qian"))
    assert qian["return_visit_rate"] == 0.0
    nobody = customers.summary(served, SEPT.with_filters(consultant="Zhou"))
    assert nobody["return_visit_rate"] is None  # no deliveries: no value


@pytest.mark.parametrize(("days_after", "followed"), [(-1, 0.0), (0, 1.0), (7, 1.0), (8, 0.0)])
def test_return_visit_window(con, days_after, followed):
    delivered = date(2026, 9, 30)
    insert(con, "orders", [order("d1", date(2026, 9, 1), "c1", "delivered", delivered)])
    day = delivered + timedelta(days=days_after)
    insert(con, "followups", [follow("f1", day, "c1", kind="return_visit")])
    assert customers.summary(con, SEPT)["return_visit_rate"] == followed


@pytest.fixture
def surveys(con):
    def s(sid, day, dept, score, recommend):
        return {"survey_id": sid, "survey_date": day, "department": dept, "customer_id": "c",
                "score": score, "recommend": recommend}  # fmt: skip

    insert(con, "surveys", [
        s("s1", date(2026, 9, 1), "sales", 8.0, 10.0),
        s("s2", date(2026, 9, 30), "sales", 9.0, 9.0),
        s("s3", date(2026, 9, 15), "service", 7.0, 8.0),
        s("s4", date(2026, 9, 16), "service", 7.0, 6.0),
        s("s5", date(2026, 9, 17), "service", 10.0, None),  # no answer to recommend
        s("s6", date(2026, 8, 31), "sales", 2.0, 0.0),  # August
    ])  # fmt: skip
    return con


def test_csi_and_nps(surveys):
    r = customers.summary(surveys, SEPT)
    assert r["csi_sales"] == pytest.approx(85.0)  # (8 + 9) / 2 × 10
    assert r["csi_service"] == pytest.approx(80.0)  # (7 + 7 + 10) / 3 × 10
    # answers 10, 9, 8, 6 (s5 empty): 100 × (2 promoters − 1 detractor) / 4
    assert r["nps"] == pytest.approx(25.0)


def test_csi_monthly(surveys):
    got = customers.csi_monthly(surveys, SEPT, months=3)
    assert got["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    assert pd.isna(got.loc[0, "csi_sales"]) and pd.isna(got.loc[0, "nps"])
    assert got.loc[1, "csi_sales"] == pytest.approx(20.0)  # 2 × 10
    assert pd.isna(got.loc[1, "csi_service"])
    assert got.loc[1, "nps"] == pytest.approx(-100.0)  # 100 × (0 − 1) / 1
    assert got.loc[2, ["csi_sales", "csi_service", "nps"]].tolist() == pytest.approx(
        [85.0, 80.0, 25.0]
    )


def test_nps_without_answers(con):
    insert(con, "surveys", [{"survey_id": "s1", "survey_date": date(2026, 9, 3),
                             "department": "sales", "customer_id": "c", "score": 9.0}])  # fmt: skip
    r = customers.summary(con, SEPT)
    assert r["csi_sales"] == pytest.approx(90.0)
    assert r["nps"] is None  # no answer: no value
    assert r["csi_service"] is None


@pytest.fixture
def complaints(con):
    def k(cid, opened, closed, satisfied, major=False):
        return {"complaint_id": cid, "opened_date": opened, "closed_date": closed,
                "department": "service", "category": "wait", "major": major,
                "satisfied": satisfied}  # fmt: skip

    insert(con, "complaints", [
        k("k1", date(2026, 9, 1), date(2026, 9, 4), True),  # 3 days
        k("k2", date(2026, 8, 20), date(2026, 9, 10), False, major=True),  # 21 days
        k("k3", date(2026, 9, 5), date(2026, 9, 6), None),  # 1 day, no answer
        k("k4", date(2026, 9, 20), None, None),  # open on as_of
        k("k5", date(2026, 8, 1), date(2026, 10, 2), True, major=True),  # closed after as_of
        k("k6", date(2026, 8, 1), date(2026, 8, 30), True),  # closed in August
    ])  # fmt: skip
    return con


def test_complaints(complaints):
    r = customers.summary(complaints, SEPT)
    assert r["complaint_satisfaction"] == pytest.approx(0.5)  # k1 / (k1, k2)
    assert r["complaint_close_days"] == pytest.approx(25 / 3)  # (3 + 21 + 1) / 3


def test_complaints_list(complaints):
    got = customers.complaints_list(complaints, SEPT)
    assert got[["complaint_id", "status", "major", "days_open"]].values.tolist() == [
        ["k5", "open", True, 60],  # 08-01 .. as_of 09-30
        ["k4", "open", False, 10],  # 09-20 .. 09-30
        ["k2", "closed", True, 21],
        ["k1", "closed", False, 3],
        ["k3", "closed", False, 1],
    ]


def test_complaint_satisfaction_without_answers(con):
    insert(con, "complaints", [{"complaint_id": "k1", "opened_date": date(2026, 9, 1),
                                "closed_date": date(2026, 9, 1), "department": "sales",
                                "category": "price", "major": False}])  # fmt: skip
    r = customers.summary(con, SEPT)
    assert r["complaint_satisfaction"] is None  # no satisfied true/false: no value
    assert r["complaint_close_days"] == 0.0  # closed on the day it was opened


def test_period_running_past_today(leads):
    # today 2026-09-26: as_of = 09-26; v2 (09-27), v4 and v5 (09-29) are not known yet
    scope = Scope.for_month("2026-09", today=date(2026, 9, 26))
    r = customers.summary(leads, scope)
    # open: c1 (A, last contact 09-25, on time) and c3 (B, 09-01: 25 days > 14, overdue)
    assert (r["open_leads"], r["overdue_followups"]) == (2, 1)
    assert r["followup_compliance"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("today", "rate"),
    [
        # served to Sept 20: d1, d4 (anonymous), d2, r1, r3 = 5; followed: d1 (f1 Sept 17),
        # r1 (f5 Sept 5); d3 (Sept 30) and f4 (Oct 5) are later
        (date(2026, 9, 20), 0.4),
        # served to Sept 16: d1, d4, r1, r3 = 4; d1's return visit (Sept 17) is not known yet
        (date(2026, 9, 16), 0.25),
    ],
)
def test_return_visits_of_a_running_month(served, today, rate):
    scope = Scope.for_month("2026-09", today=today)
    assert customers.summary(served, scope)["return_visit_rate"] == pytest.approx(rate)
    assert customers.summaries(served, scope)[0]["return_visit_rate"] == pytest.approx(rate)


def test_surveys_and_complaints_of_a_running_month(surveys):
    scope = Scope.for_month("2026-09", today=date(2026, 9, 15))
    r = customers.summary(surveys, scope)
    assert r["csi_sales"] == pytest.approx(80.0)  # s1 only: 8 × 10
    assert r["csi_service"] == pytest.approx(70.0)  # s3 only: 7 × 10
    assert r["nps"] == pytest.approx(50.0)  # answers 10, 8: 100 × (1 − 0) / 2


def test_complaints_of_a_running_month(complaints):
    r = customers.summary(complaints, Scope.for_month("2026-09", today=date(2026, 9, 5)))
    assert r["complaint_satisfaction"] == pytest.approx(1.0)  # k1 closed Sept 4, satisfied
    assert r["complaint_close_days"] == pytest.approx(3.0)  # k1: Sept 1 .. Sept 4


# The lead book read from the stored month states (derived_lead_months) plus, for an as_of
# inside a month that has later contacts, that month's contacts up to as_of.
SEPT_15 = Scope.for_month("2026-09", today=date(2026, 9, 15))  # as_of 09-15, a later contact
SEPT_25 = Scope.for_month("2026-09", today=date(2026, 9, 25))  # as_of 09-25, none after it


@pytest.fixture(scope="module")
def book():
    """Five customers of store s1 with contacts from July to September 2026."""
    con = memory_db()  # read only: the module's tests share it
    insert(con, "traffic", [
        visit("v1", date(2026, 7, 10), "a1", "H", "Li"),
        visit("v2", date(2026, 8, 20), "a2", "A", "Li"),
        visit("v3", date(2026, 9, 2), "a3", "H", "Wang"),
        visit("v4", date(2026, 7, 25), "a4", "C", "Li"),
        visit("v5", date(2026, 8, 10), "a5", "O", "Li"),
    ])  # fmt: skip
    insert(con, "followups", [
        follow("f1", date(2026, 8, 5), "a1", "A", "Wang"),
        follow("f2", date(2026, 9, 20), "a2", "F", "Li"),  # a2's only September contact
        follow("f3", date(2026, 9, 12), "a3", "B", "Wang"),  # H -> B within the month
        follow("f4", date(2026, 9, 14), "a4", None, "Wang"),  # no level: a4 stays C
    ])  # fmt: skip
    insert(con, "orders", [order("o5", date(2026, 9, 5), "a5")])
    yield con
    release(con)


def test_as_of_inside_a_month_with_later_contacts(book):
    # as of 09-15 (cadence A 7, B 14, C 30):
    #   a1 A, last contact 08-05 (f1) < 09-08: overdue
    #   a2 A, last contact 08-20: its F of 09-20 is after as_of; 08-20 < 09-08: overdue
    #   a3 B since 09-12 (H on 09-02 in the same month), 09-12 >= 09-01: on time
    #   a4 C, last contact 09-14 (f4, no level) >= 08-16: on time
    #   a5 ordered on 09-05: closed
    r = customers.summary(book, SEPT_15)
    assert (r["open_leads"], r["overdue_followups"]) == (4, 2)
    assert r["followup_compliance"] == pytest.approx(0.5)  # 1 − 2 / 4


def test_as_of_inside_a_month_without_later_contacts(book):
    # as of 09-25 nothing later is known: September's stored state is the state on 09-25.
    #   a1 A, 08-05 < 09-18: overdue; a2 F since 09-20: lost; a3 B, 09-12 >= 09-11: on time;
    #   a4 C, 09-14: on time; a5 ordered
    r = customers.summary(book, SEPT_25)
    assert (r["open_leads"], r["overdue_followups"]) == (3, 1)


def test_lead_consultant_inside_a_month(book):
    # as of 09-15 the latest contacts: a1 f1 (Wang), a2 v2 (Li), a3 f3 (Wang), a4 f4 (Wang)
    wang = customers.summary(book, SEPT_15.with_filters(consultant="Wang"))
    assert (wang["open_leads"], wang["overdue_followups"]) == (3, 1)  # a1 a3 a4; a1
    li = customers.summary(book, SEPT_15.with_filters(consultant="Li"))
    assert (li["open_leads"], li["overdue_followups"]) == (1, 1)  # a2


def test_overdue_list_inside_a_month(book):
    got = customers.overdue_list(book, SEPT_15)
    assert got.values.tolist() == [
        # 09-15 − 08-05 = 41 days, − 7 = 34; 09-15 − 08-20 = 26 days, − 7 = 19
        ["s1", "a1", "Wang", "A", date(2026, 8, 5), 7, 34],
        ["s1", "a2", "Li", "A", date(2026, 8, 20), 7, 19],
    ]


def test_open_lead_list_inside_a_month(book):
    # every open lead as of 09-15, most overdue first: the overdue list, then the rest
    got = customers.open_lead_list(book, SEPT_15)
    assert got.values.tolist() == [
        ["s1", "a1", "Wang", "A", date(2026, 8, 5), 7, 34],  # 41 days − 7
        ["s1", "a2", "Li", "A", date(2026, 8, 20), 7, 19],  # 26 days − 7
        ["s1", "a3", "Wang", "B", date(2026, 9, 12), 14, -11],  # 3 days − 14
        ["s1", "a4", "Wang", "C", date(2026, 9, 14), 30, -29],  # 1 day − 30
    ]


def test_open_leads_by_level_inside_a_month(book):
    got = customers.open_leads_by_level(book, SEPT_15)
    assert got.values.tolist() == [
        ["s1", "Li", "A", 1],  # a2
        ["s1", "Wang", "A", 1],  # a1
        ["s1", "Wang", "B", 1],  # a3
        ["s1", "Wang", "C", 1],  # a4
    ]


def test_month_trend_reads_each_month_end(book):
    got = customers.month_trend(book, SEPT_15, months=3)
    assert got["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    # 07-31: a1 H, 07-10 < 07-29: overdue; a4 C, 07-25 >= 07-01: on time
    # 08-31: a1 A 08-05, a2 A 08-20, a5 O 08-10 (all < 08-24) and a4 C 07-25 (< 08-01):
    #        four open, four overdue
    # 09-15 (as_of): as in test_as_of_inside_a_month_with_later_contacts
    assert got["open_leads"].tolist() == [2, 4, 4]
    assert got["overdue_followups"].tolist() == [1, 4, 2]
    assert got["followup_compliance"].tolist() == pytest.approx([0.5, 0.0, 0.5])


def test_summaries_of_the_cards_inside_a_month(book):
    # previous period: 08-01 .. 08-15, as of 08-15 (a2's visit of 08-20 is later):
    #   a1 A 08-05 < 08-08: overdue; a4 C 07-25 >= 07-16: on time; a5 O 08-10: on time
    # last year (2025-09-01 .. 09-15): no contacts
    cur, prev, ly = customers.summaries(book, SEPT_15)
    assert [(r["open_leads"], r["overdue_followups"]) for r in (cur, prev, ly)] == [
        (4, 2), (3, 1), (0, 0)
    ]  # fmt: skip
    # Wang's leads: now a1 a3 a4 (a1 overdue); on 08-15 a1 only (a4's last contact was Li's)
    cur, prev, ly = customers.summaries(book, SEPT_15.with_filters(consultant="Wang"))
    assert [(r["open_leads"], r["overdue_followups"]) for r in (cur, prev, ly)] == [
        (3, 1), (1, 1), (0, 0)
    ]  # fmt: skip


@pytest.mark.parametrize("later", [True, False])
def test_same_day_levels_in_an_earlier_month(con, later):
    # Two follow-ups of b1 on 08-12: the greater id (f9b, H) is the later, so b1 is an H lead
    # (cadence 2) last contacted 08-12: overdue as of 09-15. With or without a contact after
    # as_of in September (another customer's), the same answer.
    insert(con, "followups", [
        follow("f9b", date(2026, 8, 12), "b1", "H", "Wang"),
        follow("f9a", date(2026, 8, 12), "b1", "F", "Li"),
    ])  # fmt: skip
    if later:
        insert(con, "traffic", [visit("v9", date(2026, 9, 20), "b2", None)])
    r = customers.summary(con, SEPT_15)
    assert (r["open_leads"], r["overdue_followups"]) == (1, 1)
    got = customers.overdue_list(con, SEPT_15)
    # 09-15 − 08-12 = 34 days, − 2 = 32
    assert got.values.tolist() == [["s1", "b1", "Wang", "H", date(2026, 8, 12), 2, 32]]


def stored(con) -> list[tuple]:
    return con.execute(
        "SELECT customer_id, m, next_m, last_contact, l_hi, l_lo FROM derived_lead_months "
        "ORDER BY customer_id, m"
    ).fetchall()


def test_stored_month_states_after_a_second_insert(con):
    insert(con, "traffic", [
        visit("v1", date(2026, 1, 5), "c1", "H"),
        visit("v2", date(2026, 1, 6), "c2", "F"),  # lost: never a lead, not stored
        visit("v3", date(2026, 1, 7), "c3", None),  # no level: not stored
    ])  # fmt: skip
    # m = year * 12 + month - 1: January 2026 = 24312. Days from 1970-01-01: 2026-01-01 is
    # 56 * 365 + 14 leap days = 20454, so v1 (01-05) is day 20458, k = 2 * 20458 = 40916;
    # H has code 2: l_hi = 40916 * 8 + 2 = 327330, l_lo = 40916 * 8 + 7 − 2 = 327333.
    assert stored(con) == [("c1", 24312, None, date(2026, 1, 5), 327330, 327333)]
    insert(con, "followups", [
        follow("f1", date(2026, 2, 3), "c1", "F"),
        follow("f2", date(2026, 3, 2), "c1", "A"),
        follow("f3", date(2026, 2, 10), "c2", "B"),
    ])  # fmt: skip
    # c1: January's row now ends at February (c1's next month with contacts); February's
    #   state (F) is not stored; March: f2 on day 20454 + 31 + 28 + 1 = 20514, a follow-up:
    #   k = 2 * 20514 + 1 = 41029, A (code 3): l_hi = 328232 + 3, l_lo = 328232 + 4.
    # c2: February: f3 on day 20454 + 31 + 9 = 20494, k = 40989, B (code 4):
    #   l_hi = 327912 + 4, l_lo = 327912 + 3.
    assert stored(con) == [
        ("c1", 24312, 24313, date(2026, 1, 5), 327330, 327333),
        ("c1", 24314, None, date(2026, 3, 2), 328235, 328236),
        ("c2", 24313, None, date(2026, 2, 10), 327916, 327915),
    ]
    # as of 02-28: c1 lost (F), c2 B; as of 03-31: c1 A and c2 B
    feb = customers.summary(con, Scope.for_month("2026-02", today=date(2026, 4, 1)))
    mar = customers.summary(con, Scope.for_month("2026-03", today=date(2026, 4, 1)))
    assert (feb["open_leads"], mar["open_leads"]) == (1, 2)
