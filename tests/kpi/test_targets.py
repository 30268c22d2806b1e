"""Tests for kpi/targets.py: pacing, prorated targets, achievement and the target splits."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kpi import targets
from kpi.scope import Scope
from tests.helpers import insert


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def target(month: str, consultant: str | None, value: float, metric: str = "deliveries") -> dict:
    return {"month": month, "consultant": consultant, "metric": metric, "target": value}


def delivery(order_id: str, day: date, consultant: str = "Li", **kw) -> dict:
    """Return a retail order delivered on `day`, ordered the same day."""
    row = {
        "order_id": order_id,
        "order_date": day,
        "delivery_date": day,
        "status": "delivered",
        "customer_id": None,
        "consultant": consultant,
        "model": "A6",
        "sale_type": "retail",
        "buyer_type": "private",
        "channel": "autohome",
        "sale_price": 200000.0,
        "vehicle_cost": 190000.0,
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


@pytest.fixture
def stores(con):
    """Two stores' deliveries targets and deliveries for Sept and Oct 2026.

    s1: Sept has a store row (6) and consultant rows (Li 4, Wang 4) -> the store row wins;
        Oct has consultant rows only (Li 5, Wang 5) -> the store's target is their sum, 10.
        Deliveries: Li Sept 1, Sept 10, Oct 1; Wang Sept 15, Oct 15, Oct 16.
    s2: Sept consultant rows only (Zhou 3, Sun 1) -> 4; Oct a store row of 31.
        Deliveries: Zhou Sept 5; Sun Oct 31.
    """
    insert(
        con,
        "targets",
        [
            target("2026-09", None, 6),
            target("2026-09", "Li", 4),
            target("2026-09", "Wang", 4),
            target("2026-10", "Li", 5),
            target("2026-10", "Wang", 5),
            target("2026-09", None, 8, metric="orders"),
        ],
        store="s1",
    )
    insert(
        con,
        "targets",
        [target("2026-09", "Zhou", 3), target("2026-09", "Sun", 1), target("2026-10", None, 31)],
        store="s2",
    )
    insert(
        con,
        "orders",
        [
            delivery("a1", d(9, 1)),
            delivery("a2", d(9, 10)),
            delivery("a3", d(10, 1)),
            delivery("a4", d(9, 15), "Wang"),
            delivery("a5", d(10, 15), "Wang"),
            delivery("a6", d(10, 16), "Wang"),
        ],
        store="s1",
    )
    insert(
        con,
        "orders",
        [delivery("b1", d(9, 5), "Zhou"), delivery("b2", d(10, 31), "Sun")],
        store="s2",
    )
    return con


MID_SEPT = Scope.for_month("2026-09", today=d(9, 15))


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (d(9, 15), 0.5),  # 15 / 30
        (d(9, 30), 1.0),  # month end
        (d(10, 1), 1 / 31),
        (d(2, 28), 1.0),  # 28 / 28
        (date(2028, 2, 28), 28 / 29),  # leap year
    ],
)
def test_time_progress(as_of, expected):
    assert targets.time_progress(as_of) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("achievement", "expected", "light"),
    [
        (0.5, 0.5, "green"),  # equal is green
        (0.6, 0.5, "green"),
        (0.4, 0.5, "amber"),  # exactly 0.8 x 0.5
        (0.41, 0.5, "amber"),
        (0.39, 0.5, "red"),
        (0.24, 0.3, "amber"),  # 0.8 x 0.3 = 0.24000000000000002: on the line within float noise
        (0.0, 0.0, "green"),
        (None, 0.5, None),  # no value is grey, never green
        (float("nan"), 0.5, None),
    ],
)
def test_status_light(achievement, expected, light):
    assert targets.status_light(achievement, expected) == light


@pytest.mark.parametrize(
    ("store", "achievement", "pace", "light"),
    [
        ("s1", 0.5, 6.0, "green"),  # 3 / 6 (store row, not 4 + 4); pace 3 / 15 x 30
        ("s2", 0.25, 2.0, "red"),  # 1 / (3 + 1) consultants' sum; pace 1 / 15 x 30
        (None, 0.4, 8.0, "amber"),  # (3 + 1) / (6 + 4); 0.4 = 0.8 x 0.5; pace 4 / 15 x 30
    ],
)
def test_summary_mid_month(stores, store, achievement, pace, light):
    r = targets.summary(stores, MID_SEPT.with_filters(store=store))
    assert {k: r[k] for k in targets.SUMMARY_IDS} == {
        "time_progress": pytest.approx(0.5),  # Sept 15 / 30
        "target_achievement": pytest.approx(achievement),
        "pace": pytest.approx(pace),
        "traffic_light": light,
    }


def test_summary_custom_multi_month_range_prorates_targets(stores):
    # Sept 16..Oct 15, as_of Oct 15
    scope = Scope.for_range(d(9, 16), d(10, 15), today=d(12, 1))
    s1 = targets.summary(stores, scope.with_filters(store="s1"))
    # s1 target 6 x 15/30 + (5 + 5) x 15/31 = 3 + 150/31 = 243/31; deliveries a3, a5 = 2
    assert s1["target_achievement"] == pytest.approx(2 / (243 / 31))
    assert s1["time_progress"] == pytest.approx(15 / 31)  # as_of's month
    assert s1["pace"] == pytest.approx(2 / 15 * 31)  # a3, a5 in Oct 1..15
    assert s1["traffic_light"] == "red"  # 0.255 < 0.8 x 1.0 (the whole period has elapsed)
    s2 = targets.summary(stores, scope.with_filters(store="s2"))
    # s2 target (3 + 1) x 15/30 + 31 x 15/31 = 2 + 15 = 17; no delivery in the range
    assert s2["target_achievement"] == pytest.approx(0.0)
    pooled = targets.summary(stores, scope)
    assert pooled["target_achievement"] == pytest.approx(2 / (243 / 31 + 17))  # 62 / 770


@pytest.mark.parametrize(
    ("units", "light"),
    [(15, "green"), (12, "amber"), (11, "red")],
)
def test_custom_range_light_uses_elapsed_share_of_the_target(con, units, light):
    # Sept 16..Oct 15 as of Sept 30: target 30 x 15/30 + 31 x 15/31 = 30, of which 15 falls
    # on days up to as_of -> expected 0.5; units / 30 against it (time_progress is 1.0)
    insert(con, "targets", [target("2026-09", None, 30), target("2026-10", None, 31)])
    insert(con, "orders", [delivery(f"o{i}", d(9, 16 + i % 15)) for i in range(units)])
    scope = Scope.for_range(d(9, 16), d(10, 15), today=d(9, 30))
    r = targets.summary(con, scope)
    assert r["time_progress"] == pytest.approx(1.0)  # Sept 30 / 30
    assert r["target_achievement"] == pytest.approx(units / 30)
    assert r["traffic_light"] == light


def test_summary_consultant_filter_uses_consultant_rows(stores):
    r = targets.summary(stores, MID_SEPT.with_filters(store="s1", consultant="Li"))
    assert r["target_achievement"] == pytest.approx(0.5)  # a1, a2 / Li's 4
    assert r["pace"] == pytest.approx(4.0)  # 2 / 15 x 30
    assert r["traffic_light"] == "green"


def test_summary_ignores_model_and_channel_filters(stores):
    r = targets.summary(stores, MID_SEPT.with_filters(store="s1", model="X9", channel="tv"))
    assert r["target_achievement"] == pytest.approx(0.5)  # 3 / 6 as without the filters


def test_summary_empty_database(con):
    r = targets.summary(con, MID_SEPT)
    assert r == {
        "time_progress": pytest.approx(0.5),
        "target_achievement": None,
        "pace": 0.0,
        "traffic_light": None,
        # no history: the forecast falls back to pace, with no interval (tests/kpi/test_forecast)
        "deliveries_forecast": 0.0,
        "deliveries_forecast_low": None,
        "deliveries_forecast_high": None,
        "target_chance": None,
        "month_deliveries_target": None,  # no target row
    }


def test_no_target_and_zero_target(con):
    insert(con, "orders", [delivery("o1", d(9, 2))])
    insert(con, "targets", [target("2026-09", None, 5, metric="orders")])  # other metric
    assert targets.summary(con, MID_SEPT)["target_achievement"] is None
    insert(con, "targets", [target("2026-09", None, 0)])
    r = targets.summary(con, MID_SEPT)
    assert r["target_achievement"] is None  # a target of 0 gives no value
    assert r["traffic_light"] is None
    assert r["pace"] == pytest.approx(2.0)  # 1 / 15 x 30


def test_empty_consultant_text_is_the_store_row(con):
    insert(con, "targets", [target("2026-09", "", 10), target("2026-09", "Li", 3)])
    insert(con, "orders", [delivery("o1", d(9, 2))])
    assert targets.summary(con, MID_SEPT)["target_achievement"] == pytest.approx(0.1)  # 1 / 10


def test_month_without_target_contributes_nothing(con):
    # Oct has no rows: the period's target is Sept's share only
    insert(con, "targets", [target("2026-09", None, 30)])
    insert(con, "orders", [delivery("o1", d(9, 20)), delivery("o2", d(10, 2))])
    scope = Scope.for_range(d(9, 16), d(10, 15), today=d(12, 1))
    r = targets.summary(con, scope)
    assert r["target_achievement"] == pytest.approx(2 / 15)  # 2 / (30 x 15/30)


def test_achievement_by_store(stores):
    df = targets.achievement(stores, MID_SEPT, "deliveries")
    expected = pd.DataFrame(
        {
            "store": ["s1", "s2"],
            "consultant": [None, None],
            "metric": ["deliveries", "deliveries"],
            "actual": [3.0, 1.0],
            "target": [6.0, 4.0],
            "achievement": [0.5, 0.25],
            "time_progress": [0.5, 0.5],
            "traffic_light": ["green", "red"],
            "pace": [6.0, 2.0],  # 3 / 15 x 30 | 1 / 15 x 30
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)


def test_achievement_by_consultant(stores):
    df = targets.achievement(stores, MID_SEPT, "deliveries", by="consultant")
    expected = pd.DataFrame(
        {
            "store": ["s1", "s2", "s1", "s2"],
            "consultant": ["Li", "Zhou", "Wang", "Sun"],
            "metric": ["deliveries"] * 4,
            "actual": [2.0, 1.0, 1.0, 0.0],  # a1, a2 | b1 | a4 | -
            "target": [4.0, 3.0, 4.0, 1.0],
            "achievement": [0.5, 1 / 3, 0.25, 0.0],
            "time_progress": [0.5] * 4,
            "traffic_light": ["green", "red", "red", "red"],  # 1/3 < 0.4
            "pace": [4.0, 2.0, 2.0, 0.0],  # actual / 15 x 30
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)


def test_achievement_custom_range_by_consultant(stores):
    scope = Scope.for_range(d(9, 16), d(10, 15), today=d(12, 1))
    df = targets.achievement(stores, scope.with_filters(store="s1"), "deliveries", "consultant")
    got = {c: (a, t) for c, a, t in zip(df["consultant"], df["actual"], df["target"], strict=True)}
    assert got == {
        "Li": (1.0, pytest.approx(4 * 15 / 30 + 5 * 15 / 31)),  # a3; 2 + 75/31
        "Wang": (1.0, pytest.approx(4 * 15 / 30 + 5 * 15 / 31)),  # a5 (a6 is Oct 16)
    }


def test_achievement_rows_without_target_or_actual(con):
    insert(con, "targets", [target("2026-09", "Li", 2)])
    insert(con, "orders", [delivery("o1", d(9, 3), "Chen")])
    con.execute("INSERT INTO stores (store) VALUES ('s9')")
    df = targets.achievement(con, MID_SEPT, "deliveries", by="consultant")
    assert df["consultant"].tolist() == ["Li", "Chen"]
    assert df["actual"].tolist() == [0.0, 1.0]
    assert df["achievement"].iloc[0] == pytest.approx(0.0)  # 0 / 2
    assert pd.isna(df["target"].iloc[1]) and pd.isna(df["achievement"].iloc[1])
    assert df["traffic_light"].tolist() == ["red", None]
    by_store = targets.achievement(con, MID_SEPT, "deliveries")
    assert by_store["store"].tolist() == ["s1", "s9"]  # s9 exists with nothing
    assert by_store["target"].iloc[0] == pytest.approx(2.0)  # Li's row, no store row
    assert by_store["actual"].tolist() == [1.0, 0.0]


def test_achievement_other_metric(stores):
    df = targets.achievement(stores, MID_SEPT.with_filters(store="s1"), "orders")
    # orders dated Sept 1..30: a1, a2, a4 = 3 of 8
    assert df[["actual", "target", "achievement"]].values.tolist() == [[3.0, 8.0, 0.375]]
    assert df["traffic_light"].tolist() == ["red"]  # 0.375 < 0.4


def test_achievement_registry_and_errors(stores, monkeypatch):
    def service_revenue(con, scope, by):
        return pd.DataFrame({"store": ["s1"], "consultant": [None], "actual": [50000.0]})

    monkeypatch.setitem(targets.METRICS, "service_revenue", service_revenue)
    stores.execute(
        "INSERT INTO targets (store, month, consultant, metric, target) "
        "VALUES ('s1', '2026-09', NULL, 'service_revenue', 100000)"
    )
    df = targets.achievement(stores, MID_SEPT.with_filters(store="s1"), "service_revenue")
    assert df[["actual", "target", "achievement"]].values.tolist() == [[50000.0, 100000.0, 0.5]]
    assert df["traffic_light"].tolist() == ["green"]
    with pytest.raises(ValueError, match="no actual registered"):
        targets.achievement(stores, MID_SEPT, "csi")
    with pytest.raises(ValueError, match="by must be"):
        targets.achievement(stores, MID_SEPT, "deliveries", by="model")


def test_achievement_empty_database(con):
    assert targets.achievement(con, MID_SEPT, "deliveries").empty
    assert targets.achievement(con, MID_SEPT, "walk_in_batches", by="consultant").empty


def test_month_weights():
    assert targets.month_weights(d(9, 16), d(10, 15)) == {
        "2026-09": pytest.approx(15 / 30),
        "2026-10": pytest.approx(15 / 31),
    }
    assert targets.month_weights(d(9, 1), d(9, 30)) == {"2026-09": 1.0}
    assert targets.month_weights(d(9, 2), d(9, 1)) == {}


@pytest.mark.parametrize(
    ("annual", "history", "expected"),
    [
        (1200, None, {m: 100.0 for m in range(1, 13)}),  # no history: twelfths
        (1200, {}, {m: 100.0 for m in range(1, 13)}),
        (1200, {m: 0 for m in range(1, 13)}, {m: 100.0 for m in range(1, 13)}),
        # Jan 1 and Feb 3 of 4 units last year
        (1200, {1: 1, 2: 3}, {1: 300.0, 2: 900.0, **{m: 0.0 for m in range(3, 13)}}),
        # 10 units in March and 50 in December of 60
        (600, {3: 10, 12: 50}, {3: 100.0, 12: 500.0, **{m: 0.0 for m in (1, 2, *range(4, 12))}}),
    ],
)
def test_split_annual(annual, history, expected):
    got = targets.split_annual(annual, history)
    assert got == pytest.approx(expected)
    assert sum(got.values()) == pytest.approx(annual)


def test_split_to_quarters():
    monthly = {m: float(m) for m in range(1, 13)}
    assert targets.split_to_quarters(monthly) == {1: 6.0, 2: 15.0, 3: 24.0, 4: 33.0}


@pytest.mark.parametrize(
    ("month", "value", "expected"),
    [
        # Sept 2026 starts on a Tuesday: W36 Sept 1-6, W37-W39 full, W40 Sept 28-30
        (
            "2026-09",
            30.0,
            {"2026-W36": 6.0, "2026-W37": 7.0, "2026-W38": 7.0, "2026-W39": 7.0, "2026-W40": 3.0},
        ),
        # Jan 1 2026 is a Thursday of ISO week 2026-W01; W05 is Jan 26-31
        (
            "2026-01",
            62.0,
            {
                "2026-W01": 8.0,
                "2026-W02": 14.0,
                "2026-W03": 14.0,
                "2026-W04": 14.0,
                "2026-W05": 12.0,
            },
        ),
        # Jan 1-3 2027 belong to ISO week 53 of 2026
        (
            "2027-01",
            31.0,
            {"2026-W53": 3.0, "2027-W01": 7.0, "2027-W02": 7.0, "2027-W03": 7.0, "2027-W04": 7.0},
        ),
    ],
)
def test_split_month_to_weeks(month, value, expected):
    got = targets.split_month_to_weeks(month, value)
    assert got == pytest.approx(expected)
    assert list(got) == list(expected)  # in calendar order


def test_service_revenue_target_achievement(con):
    """Store s1: two non-internal ROs closed in Sept (1000 + 500, 300 + 200) and an internal one."""
    insert(
        con,
        "repair_orders",
        [
            {
                "ro_id": "r1",
                "open_date": date(2026, 9, 2),
                "close_date": date(2026, 9, 3),
                "vin": "V1",
                "ro_type": "repair",
                "labor_hours": 2.0,
                "labor_revenue": 1000.0,
                "parts_revenue": 500.0,
                "parts_cost": 300.0,
            },
            {
                "ro_id": "r2",
                "open_date": date(2026, 9, 5),
                "close_date": date(2026, 9, 6),
                "vin": "V2",
                "ro_type": "maintenance",
                "labor_hours": 1.0,
                "labor_revenue": 300.0,
                "parts_revenue": 200.0,
                "parts_cost": 100.0,
            },
            {
                "ro_id": "r3",
                "open_date": date(2026, 9, 5),
                "close_date": date(2026, 9, 6),
                "vin": "V3",
                "ro_type": "internal",
                "labor_hours": 1.0,
                "labor_revenue": 900.0,
                "parts_revenue": 900.0,
                "parts_cost": 100.0,
            },
        ],
    )
    insert(
        con,
        "targets",
        [{"month": "2026-09", "consultant": None, "metric": "service_revenue", "target": 4000.0}],
    )
    scope = Scope.for_month("2026-09", today=date(2026, 9, 30))
    df = targets.achievement(con, scope, "service_revenue", by="store")
    assert df["actual"].tolist() == [2000.0]  # (1000 + 500) + (300 + 200); internal left out
    assert df["achievement"].tolist() == [pytest.approx(0.5)]  # 2000 / 4000


def test_pooled_achievements(stores):
    insert(
        stores,
        "targets",
        [target("2026-09", None, 0, metric="walk_in_batches")],  # a target of 0 is none
        store="s2",
    )
    got = targets.pooled_achievements(stores, MID_SEPT, ("deliveries", "orders", "walk_in_batches"))
    # deliveries a1, a2, a4, b1 / s1's store row 6 + s2's consultant rows 3 + 1
    assert got["deliveries"] == pytest.approx(0.4)
    # orders a1, a2, a4, b1 (ordered on delivery) / s1's 8; s2 has no orders target
    assert got["orders"] == pytest.approx(0.5)
    assert got["walk_in_batches"] is None  # s2's 0 only
    # As the per-store rows pooled: (3 + 1) / (6 + 4)
    df = targets.achievement(stores, MID_SEPT, "deliveries")
    assert df["actual"].sum() / df["target"].sum() == pytest.approx(got["deliveries"])


def test_pooled_achievements_ignore_model_and_channel(stores):
    scope = MID_SEPT.with_filters(store="s1", model="X9", channel="tv")
    got = targets.pooled_achievements(stores, scope, ("deliveries",))
    assert got == {"deliveries": pytest.approx(0.5)}  # a1, a2, a4 / 6, as without filters
    with pytest.raises(ValueError, match="not a sales count"):
        targets.pooled_achievements(stores, MID_SEPT, ("service_revenue",))
