"""Tests of kpi/marketing.py against hand-worked values (KPI-CATALOGUE.md, "Marketing")."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from kpi import marketing
from kpi.scope import Scope
from tests.helpers import insert, memory_db, release

SEPT = Scope.for_month("2026-09", today=date(2026, 10, 20))
SEPT_S1 = Scope.for_month("2026-09", today=date(2026, 10, 20), store="s1")


def walk(vid, day, channel="autohome", customer=None, event=None, level=None, kind="walk_in"):
    """Return a traffic row."""
    return {
        "visit_id": vid, "visit_date": day, "kind": kind, "first_visit": True,
        "channel": channel, "event_id": event, "consultant": "Li", "customer_id": customer,
        "lead_level": level, "model_interest": "M1", "test_drive": False,
    }  # fmt: skip


def order(oid, day, channel="autohome", customer="x", status="open"):
    """Return an orders row."""
    return {
        "order_id": oid, "order_date": day, "status": status, "customer_id": customer,
        "consultant": "Li", "model": "M1", "sale_type": "retail", "buyer_type": "private",
        "channel": channel, "sale_price": 100000.0, "vehicle_cost": 95000.0, "rebate": 0.0,
        "finance": False, "insurance": False, "fi_income": 0.0, "trade_in": False,
        "accessories_revenue": 0.0, "accessories_cost": 0.0,
    }  # fmt: skip


def campaign(cid, month, spend, channel="autohome", kind="advertising", **kw):
    """Return a campaigns row."""
    return {"campaign_id": cid, "month": month, "kind": kind, "channel": channel,
            "name": cid, "spend": spend} | kw  # fmt: skip


@pytest.fixture(scope="module")
def channels():
    """September 2026 in store s1: two ad channels with spend, one without."""
    con = memory_db()  # read only: the module's tests share it
    insert(con, "campaigns", [
        campaign("AH-09", "2026-09", 9000.0, "autohome"),
        campaign("DC-09", "2026-09", 3000.0, "dongchedi"),
        campaign("WX-08", "2026-08", 5000.0, "wechat"),  # August: not in the period
    ])  # fmt: skip
    insert(con, "traffic", [
        walk("v1", date(2026, 9, 1)),
        walk("v2", date(2026, 9, 15)),
        walk("v3", date(2026, 9, 30)),
        walk("p1", date(2026, 9, 3), kind="phone"),  # a call is no walk-in
        walk("v4", date(2026, 10, 1)),  # after the period
        walk("v5", date(2026, 9, 8), channel="referral"),
        walk("v6", date(2026, 9, 9), channel="referral"),
        walk("v7", date(2026, 9, 9), channel=None),
    ])  # fmt: skip
    insert(con, "orders", [
        order("o1", date(2026, 9, 2)),
        order("o2", date(2026, 9, 20), status="delivered"),
        order("o3", date(2026, 9, 21), status="cancelled"),  # counts nowhere
        order("o4", date(2026, 8, 31)),  # before the period
        order("o5", date(2026, 9, 5), channel="referral"),
    ])  # fmt: skip
    yield con
    release(con)


def test_empty_database(con):
    t = marketing.tables(con, SEPT)
    assert t == {
        "channel_walk_ins": {}, "cost_per_walk_in": {}, "cost_per_order": {},
        "event_arrival_rate": {}, "event_a_leads": {}, "event_orders": {},
    }  # fmt: skip
    assert marketing.summary(con, SEPT) == {"marketing_spend": 0.0, "marketing_events": 0}
    assert marketing.by_channel(con, SEPT).empty
    assert marketing.events(con, SEPT).empty
    assert marketing.channel_monthly(con, SEPT).empty


def test_channel_kpis(channels):
    t = marketing.tables(channels, SEPT_S1)
    # walk-ins of September per traffic.channel; the empty channel is keyed "unknown"
    assert t["channel_walk_ins"] == {"autohome": 3, "referral": 2, "unknown": 1}
    # channels with a campaign in September: autohome 9000 / 3 walk-ins; dongchedi has none
    assert t["cost_per_walk_in"] == {"autohome": pytest.approx(3000.0), "dongchedi": None}
    # 9000 / 2 orders (o1, o2; o3 cancelled, o4 in August)
    assert t["cost_per_order"] == {"autohome": pytest.approx(4500.0), "dongchedi": None}
    # 9000 + 3000 (August's wechat spend is outside the period)
    assert marketing.summary(channels, SEPT_S1) == {
        "marketing_spend": pytest.approx(12000.0),
        "marketing_events": 0,
    }


def test_by_channel(channels):
    got = marketing.by_channel(channels, SEPT_S1)
    expected = pd.DataFrame(
        {
            "channel": ["autohome", "referral", "unknown", "dongchedi"],
            "walk_ins": [3, 2, 1, 0],
            "calls": [1, 0, 0, 0],
            "orders": [2, 1, 0, 0],
            "spend_cny": [9000.0, None, None, 3000.0],
            "cost_per_walk_in": [3000.0, None, None, None],
            "cost_per_order": [4500.0, None, None, None],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_channel_filter(channels):
    scope = SEPT_S1.with_filters(channel="autohome")
    t = marketing.tables(channels, scope)
    assert t["channel_walk_ins"] == {"autohome": 3}
    assert t["cost_per_walk_in"] == {"autohome": pytest.approx(3000.0)}
    assert marketing.summary(channels, scope)["marketing_spend"] == pytest.approx(9000.0)


def test_consultant_filter_is_ignored(channels):
    # spend cannot be split by consultant: marketing stays store-wide
    assert marketing.tables(channels, SEPT_S1.with_filters(consultant="Wang")) == (
        marketing.tables(channels, SEPT_S1)
    )


def test_spend_prorated_over_a_custom_range(con):
    insert(con, "campaigns", [
        campaign("AH-09", "2026-09", 3000.0),
        campaign("AH-10", "2026-10", 6200.0),
        campaign("AH-11", "2026-11", 7000.0),  # November is not touched
    ])  # fmt: skip
    insert(con, "traffic", [
        walk("v1", date(2026, 9, 15)),  # the day before the range
        walk("v2", date(2026, 9, 16)),
        walk("v3", date(2026, 10, 15)),
        walk("v4", date(2026, 10, 16)),  # the day after
    ])  # fmt: skip
    insert(con, "orders", [order("o1", date(2026, 10, 1))])
    scope = Scope.for_range(date(2026, 9, 16), date(2026, 10, 15), today=date(2026, 12, 1))
    # September 3000 × 15/30 + October 6200 × 15/31 = 1500 + 3000 = 4500
    assert marketing.summary(con, scope)["marketing_spend"] == pytest.approx(4500.0)
    t = marketing.tables(con, scope)
    assert t["channel_walk_ins"] == {"autohome": 2}
    assert t["cost_per_walk_in"] == {"autohome": pytest.approx(2250.0)}  # 4500 / 2
    assert t["cost_per_order"] == {"autohome": pytest.approx(4500.0)}  # 4500 / 1


def test_period_running_past_today(channels):
    # today 2026-09-15, the rest of September already stored: spend accrues to as_of and
    # walk-ins and orders are those dated Sept 1..15
    scope = Scope.for_month("2026-09", today=date(2026, 9, 15), store="s1")
    assert scope.as_of == date(2026, 9, 15)
    # (9000 + 3000) × 15/30 days
    assert marketing.summary(channels, scope)["marketing_spend"] == pytest.approx(6000.0)
    t = marketing.tables(channels, scope)
    assert t["channel_walk_ins"] == {"autohome": 2, "referral": 2, "unknown": 1}  # v3 later
    assert t["cost_per_walk_in"]["autohome"] == pytest.approx(2250.0)  # 9000 × 15/30 / 2
    assert t["cost_per_order"]["autohome"] == pytest.approx(4500.0)  # 4500 / o1 (o2 later)
    first = Scope.for_month("2026-09", today=date(2026, 9, 1), store="s1")
    # day 1: 12000 / 30; v1 is the only walk-in: 9000 / 30 / 1
    assert marketing.summary(channels, first)["marketing_spend"] == pytest.approx(400.0)
    assert marketing.tables(channels, first)["cost_per_walk_in"]["autohome"] == (
        pytest.approx(300.0)
    )


@pytest.fixture(scope="module")
def events():
    """Events of store s1: E1 (September, outdoor), E2 (October), E3 and E4 without invites."""
    con = memory_db()  # read only: the module's tests share it
    insert(con, "campaigns", [
        campaign("E1", "2026-09", 6000.0, "outdoor_event", "outdoor_event", invited=25,
                 target_arrivals=10, target_a_leads=3),
        campaign("E2", "2026-10", 1000.0, "showroom_event", "showroom_event", invited=10),
        campaign("E3", "2026-09", 500.0, "showroom_event", "showroom_event"),
        campaign("E4", "2026-09", 0.0, "showroom_event", "showroom_event", invited=0),
        campaign("AD", "2026-09", 800.0, "autohome"),  # advertising: no event
    ])  # fmt: skip
    insert(con, "traffic", [
        walk("t1", date(2026, 9, 10), "outdoor_event", "c1", "E1", "A"),
        walk("t2", date(2026, 9, 10), "outdoor_event", "c2", "E1", "B"),
        walk("t3", date(2026, 8, 28), "outdoor_event", "c3", "E1", "H"),  # before the period
        walk("t4", date(2026, 10, 5), "autohome", "c1", "E1", "C"),  # after the period
        walk("t5", date(2026, 9, 1), "outdoor_event", "c4", "E1", "O"),
        walk("t6", date(2026, 9, 11), "outdoor_event", None, "E1", "A"),  # anonymous
        walk("t7", date(2026, 9, 12), "outdoor_event", "c5", "E1", "F", kind="phone"),  # a call
        walk("t8", date(2026, 9, 12), "outdoor_event", "c6", "AD", "A"),
    ])  # fmt: skip
    insert(con, "orders", [
        order("o1", date(2026, 11, 4), customer="c1"),  # 10-05 + 30 days: in
        order("o2", date(2026, 9, 9), customer="c2"),  # the day before c2's visit: out
        order("o3", date(2026, 9, 15), customer="c2", status="cancelled"),  # cancelled: out
        order("o4", date(2026, 8, 28), customer="c3", status="delivered"),  # same day: in
        order("o5", date(2026, 10, 1), customer="c4"),  # 09-01 + 30 days: in
        order("o6", date(2026, 10, 2), customer="c4"),  # 09-01 + 31 days: out
        order("o7", date(2026, 9, 20), customer="c5"),  # c5 only called
    ])  # fmt: skip
    yield con
    release(con)


def test_event_kpis(events):
    t = marketing.tables(events, SEPT_S1)
    # E1: 6 walk-ins (t1-t6, whatever their date; t7 is a call) / 25 invited = 0.24;
    # E3 has no invited count and E4 invited 0: no value. E2 (October) is not in the period.
    assert t["event_arrival_rate"] == {"E1": pytest.approx(0.24), "E3": None, "E4": None}
    # distinct customers whose own row is O/H/A: c1 (A on t1), c3 (H), c4 (O) = 3;
    # c2 is B, the anonymous t6 is no customer
    assert t["event_a_leads"] == {"E1": 3, "E3": 0, "E4": 0}
    # o1 (c1, day 30 after t4), o4 (c3, day 0), o5 (c4, day 30) = 3
    assert t["event_orders"] == {"E1": 3, "E3": 0, "E4": 0}
    assert marketing.summary(events, SEPT_S1)["marketing_events"] == 3


def test_event_kpis_of_a_running_month(events):
    # today Sept 11, the later rows already stored: E1's walk-ins and orders known that day
    scope = Scope.for_month("2026-09", today=date(2026, 9, 11), store="s1")
    t = marketing.tables(events, scope)
    # t1, t2, t3, t5, t6 (t4 on Oct 5 is later) / 25 invited
    assert t["event_arrival_rate"]["E1"] == pytest.approx(0.2)
    assert t["event_a_leads"]["E1"] == 3  # c1 (A on t1), c3 (H), c4 (O)
    # o4 (c3, Aug 28) only: o5 (Oct 1) and o1 (Nov 4) come after as_of
    assert t["event_orders"]["E1"] == 1


@pytest.mark.parametrize(
    ("days_after", "counted"),
    [(-1, 0), (0, 1), (29, 1), (30, 1), (31, 0)],
)
def test_event_order_window(con, days_after, counted):
    insert(con, "campaigns", [campaign("E1", "2026-09", 100.0, "outdoor_event", "outdoor_event")])
    insert(con, "traffic", [walk("t1", date(2026, 9, 10), "outdoor_event", "c1", "E1")])
    day = date(2026, 9, 10) + timedelta(days=days_after)
    insert(con, "orders", [order("o1", day, customer="c1")])
    assert marketing.tables(con, SEPT_S1)["event_orders"] == {"E1": counted}


def test_events_frame(events):
    got = marketing.events(events, SEPT_S1)
    assert list(got.columns) == [
        "store", "campaign_id", "name", "kind", "month", "invited", "arrived",
        "event_arrival_rate", "target_arrivals", "a_leads", "target_a_leads", "orders_30d",
        "spend_cny", "cost_per_order",
    ]  # fmt: skip
    e1 = got.set_index("campaign_id").loc["E1"]
    assert (e1["invited"], e1["arrived"], e1["target_arrivals"]) == (25, 6, 10)
    assert (e1["a_leads"], e1["target_a_leads"], e1["orders_30d"]) == (3, 3, 3)
    assert e1["event_arrival_rate"] == pytest.approx(0.24)  # 6 / 25
    assert e1["cost_per_order"] == pytest.approx(2000.0)  # 6000 spend / 3 orders
    e3 = got.set_index("campaign_id").loc["E3"]
    assert pd.isna(e3["event_arrival_rate"]) and pd.isna(e3["cost_per_order"])  # 500 / 0
    assert list(got["campaign_id"]) == ["E1", "E3", "E4"]


def test_two_stores_pooled(con):
    for store, spend, n in (("s1", 1000.0, 1), ("s2", 2000.0, 4)):
        insert(con, "campaigns", [
            campaign("AH", "2026-09", spend),
            campaign("E1", "2026-09", 0.0, "outdoor_event", "outdoor_event", invited=10),
        ], store=store)  # fmt: skip
        insert(con, "traffic", [walk(f"{store}-v{i}", date(2026, 9, 5)) for i in range(n)],
               store=store)  # fmt: skip
    # the same customer id c1 in both stores: two customers
    insert(con, "traffic", [walk("e1", date(2026, 9, 6), "outdoor_event", "c1", "E1", "A")])
    insert(con, "traffic", [
        walk("e1", date(2026, 9, 6), "outdoor_event", "c1", "E1", "H"),
        walk("e2", date(2026, 9, 6), "outdoor_event", "c2", "E1", "B"),
    ], store="s2")  # fmt: skip
    insert(con, "orders", [order("o1", date(2026, 9, 20), customer="c1")], store="s2")
    t = marketing.tables(con, SEPT)
    assert t["channel_walk_ins"] == {"autohome": 5, "outdoor_event": 3}  # 1 + 4; 1 + 2
    # pooled: (1000 + 2000) / (1 + 4) = 600, not the mean of 1000 and 500; events: 0 / 3
    assert t["cost_per_walk_in"] == {"autohome": pytest.approx(600.0), "outdoor_event": 0.0}
    assert t["event_arrival_rate"] == {"s1/E1": pytest.approx(0.1), "s2/E1": pytest.approx(0.2)}
    assert t["event_a_leads"] == {"s1/E1": 1, "s2/E1": 1}
    # s2's order by c1 is not an order of s1's customer c1
    assert t["event_orders"] == {"s1/E1": 0, "s2/E1": 1}
    s2 = marketing.tables(con, SEPT.with_filters(store="s2"))
    # 2000 / 4; 0 / 2
    assert s2["cost_per_walk_in"] == {"autohome": pytest.approx(500.0), "outdoor_event": 0.0}
    assert s2["event_orders"] == {"E1": 1}


def test_channel_monthly(channels):
    got = marketing.channel_monthly(channels, SEPT_S1, months=2)
    expected = pd.DataFrame(
        {
            "month": ["2026-09", "2026-09", "2026-09"],
            "channel": ["autohome", "referral", "unknown"],
            "walk_ins": [3, 2, 1],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # October's walk-in v4 shows in a window ending in October
    october = Scope.for_month("2026-10", today=date(2026, 10, 20), store="s1")
    got = marketing.channel_monthly(channels, october, months=2)
    assert got.values.tolist() == [
        ["2026-09", "autohome", 3], ["2026-09", "referral", 2], ["2026-09", "unknown", 1],
        ["2026-10", "autohome", 1],
    ]  # fmt: skip
