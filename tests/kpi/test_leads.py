"""Tests of kpi/leads.py against hand-worked values (KPI-CATALOGUE.md, "Customers":
lead_capture_rate, lost_leads, lost_rate, lost_reasons)."""

from __future__ import annotations

from datetime import date

import pytest

from kpi import leads
from kpi.report import compute_kpis, to_csv
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release

RUNNING = Scope.for_month("2026-09", today=date(2026, 9, 15), store="s1")  # as_of 09-15
COMPLETE = Scope.for_month("2026-09", today=date(2026, 10, 20), store="s1")  # as_of 09-30


def visit(vid, day, customer, level=None, first=True, kind="walk_in", consultant="李"):
    return {"visit_id": vid, "visit_date": day, "kind": kind, "first_visit": first,
            "channel": "autohome", "consultant": consultant, "customer_id": customer,
            "lead_level": level, "model_interest": "朗逸", "test_drive": False}  # fmt: skip


def contact(fid, day, customer, level, reason=None, lost_to=None, consultant="李"):
    return {"followup_id": fid, "followup_date": day, "customer_id": customer,
            "consultant": consultant, "kind": "lead_followup", "lead_level": level,
            "lost_reason": reason, "lost_to": lost_to}  # fmt: skip


def order(oid, day, customer, status="open", consultant="李"):
    return {
        "order_id": oid, "order_date": day, "status": status, "customer_id": customer,
        "consultant": consultant, "model": "朗逸", "sale_type": "retail",
        "buyer_type": "private", "channel": "autohome", "sale_price": 1.0,
        "vehicle_cost": 1.0, "rebate": 0.0, "finance": False, "insurance": False,
        "fi_income": 0.0, "trade_in": False, "accessories_revenue": 0.0,
        "accessories_cost": 0.0,
    }  # fmt: skip


def d(day: int, month: int = 9) -> date:
    return date(2026, month, day)


@pytest.fixture(scope="module")
def data():
    con = memory_db()  # read only: the module's tests share it
    insert(con, "traffic", [
        visit("T1", d(2), "C1", "A", consultant="张"),
        visit("T2", d(3), None),  # anonymous first visit
        visit("T3", d(4), "C2", "F"),  # lost on the visit: no reason
        visit("T4", d(5), "C1", "A", first=False),  # a return visit: not in lead capture
        visit("T5", d(6), "C5", "A", kind="phone"),  # a call: not a walk-in
        visit("T6", d(20), None),  # anonymous, after 09-15
        visit("T7", d(30, 8), "C9", "B"),  # August
        visit("T8", d(12), "C4", "B", first=False),  # C4 comes back after F
        visit("T9", d(14), "C5", "A", first=False),  # same day as C5's F follow-up
        visit("T10", d(13), "C6", "H", first=False),  # same day as C6's F follow-up
    ])  # fmt: skip
    insert(con, "followups", [
        contact("F1", d(10), "C1", "F", "competitor", "比亚迪 秦PLUS", consultant="张"),
        contact("F2", d(25, 8), "C3", "F", "price"),  # lost before the period
        contact("F3", d(8), "C4", "F", "price"),  # undone by T8 on 09-12
        contact("F4", d(14), "C5", "F"),  # after T9 on the same day; no reason: unknown
        contact("F5", d(13), "C6", "F", "financing"),  # after T10 on the same day
        contact("F-7a", d(11), "C7", "F", "no_stock"),
        contact("F-7b", d(11), "C7", "C"),  # same day, greater id: the later one
        contact("F8", d(25), "C8", "F", "postponed", "理想 L6"),  # after 09-15
        contact("F9", d(9), "C10", "F", "other"),
        contact("F10", d(12), "C10", None),  # no level: no information, C10 stays lost
    ])  # fmt: skip
    insert(con, "orders", [
        order("O1", d(5), "C11", consultant="张"),
        order("O2", d(6), "C11", status="delivered"),  # the same customer again
        order("O3", d(7), "C12", status="cancelled"),
        order("O4", d(20), "C13"),  # after 09-15
        order("O5", d(3), None),  # no customer id
    ])  # fmt: skip
    insert(con, "traffic", [visit("S1", d(2), None)], store="s2")
    insert(con, "followups", [contact("SF1", d(5), "C1", "F", "price")], store="s2")
    yield con
    release(con)


def test_while_the_month_runs(data):
    s = leads.summary(data, RUNNING)
    # First-visit walk-ins to 09-15: T1, T2, T3; with a customer id: T1, T3.
    assert s["lead_capture_rate"] == pytest.approx(2 / 3)
    # Lost: C1 (F1), C2 (T3), C5 (F4 after T9), C6 (F5 after T10), C10 (F9; F10 has no level).
    # Not: C3 (lost in August), C4 (back to B), C7 (C later that day), C8 (F on 09-25).
    assert s["lost_leads"] == 5
    assert s["lost_rate"] == pytest.approx(5 / 6)  # 5 ÷ (5 + 1 buyer: C11)
    assert leads.tables(data, RUNNING)["lost_reasons"] == {
        "unknown": 2,  # C2 lost on a visit, C5's follow-up without a reason
        "competitor": 1,
        "financing": 1,
        "other": 1,
    }
    rows = {r["customer_id"]: r for r in leads.lost_records(data, RUNNING)}
    assert (rows["C1"]["lost_date"], rows["C1"]["lost_to"], rows["C1"]["consultant"]) == (
        d(10),
        "比亚迪 秦PLUS",
        "张",
    )


def test_the_complete_month(data):
    s = leads.summary(data, COMPLETE)
    assert s["lead_capture_rate"] == pytest.approx(0.5)  # T1, T3 of T1, T2, T3, T6
    assert s["lost_leads"] == 6  # + C8 on 09-25
    assert s["lost_rate"] == pytest.approx(0.75)  # 6 ÷ (6 + 2 buyers: C11, C13)
    assert leads.tables(data, COMPLETE)["lost_reasons"]["postponed"] == 1


def test_august_counts_the_loss_set_in_august(data):
    august = Scope.for_month("2026-08", today=date(2026, 10, 20), store="s1")
    s = leads.summary(data, august)
    assert s["lost_leads"] == 1  # C3 (F2 on 08-25)
    assert s["lost_rate"] == pytest.approx(1.0)  # 1 ÷ (1 + 0 buyers)
    assert s["lead_capture_rate"] == pytest.approx(1.0)  # T7 carries C9
    assert leads.tables(data, august)["lost_reasons"] == {"price": 1}


def test_consultant_filter(data):
    s = leads.summary(data, RUNNING.with_filters(consultant="张"))
    assert s["lead_capture_rate"] == pytest.approx(1.0)  # T1
    assert s["lost_leads"] == 1  # C1, set by 张's follow-up
    assert s["lost_rate"] == pytest.approx(0.5)  # 1 ÷ (1 + C11's order O1 by 张)


def test_pooled_stores(data):
    pooled = Scope.for_month("2026-09", today=date(2026, 9, 15))
    s = leads.summary(data, pooled)
    assert s["lead_capture_rate"] == pytest.approx(0.5)  # (2 + 0) ÷ (3 + 1)
    assert s["lost_leads"] == 6  # s2's C1 is another customer than s1's
    assert leads.tables(data, pooled)["lost_reasons"]["price"] == 1


def test_the_report_carries_them_in_customers(data):
    kpis = compute_kpis(data, RUNNING, sections=("customers",))
    assert kpis["lost_leads"] == 5
    assert kpis["lost_reasons"]["unknown"] == 2
    text = to_csv({"kpis": kpis})
    assert "lost_reasons.competitor,1\n" in text
    assert "lead_capture_rate,0.666" in text


def test_empty_database_and_zero_denominators(con):
    assert leads.summary(con, RUNNING) == {
        "lead_capture_rate": None,
        "lost_leads": 0,
        "lost_rate": None,
    }
    assert leads.tables(con, RUNNING) == {"lost_reasons": {}}
    assert leads.capture_by_consultant(con, RUNNING).empty


def test_capture_by_consultant(data):
    frame = leads.capture_by_consultant(data, RUNNING)
    got = {r.consultant: (r.captured, r.first_visits) for r in frame.itertuples()}
    assert got == {"张": (1, 1), "李": (1, 2)}  # 李: T3 of T2, T3
