"""The showroom TV's numbers on small named datasets, every expected value worked by hand."""

from datetime import date

import pandas as pd
import pytest

from kpi import kanban
from tests.helpers import insert

TODAY = date(2026, 9, 16)  # a Wednesday; 16 of September's 30 days have passed
TIME_PROGRESS = 16 / 30


def visit(vid, day, kind="walk_in", first=False, drive=False, consultant="Li", **kw):
    return {
        "visit_id": vid,
        "visit_date": day,
        "kind": kind,
        "first_visit": first,
        "test_drive": drive,
        "consultant": consultant,
        "channel": "autohome",
        **kw,
    }


def order(oid, ordered, consultant, *, delivered=None, status=None, gross=0.0, model="X5"):
    """Return an order whose total gross is `gross` (price - cost, nothing else)."""
    return {
        "order_id": oid,
        "order_date": ordered,
        "delivery_date": delivered,
        "status": status or ("delivered" if delivered else "open"),
        "consultant": consultant,
        "model": model,
        "customer_id": f"c-{oid}",
        "sale_type": "retail",
        "buyer_type": "private",
        "channel": "autohome",
        "sale_price": 100_000.0 + gross,
        "vehicle_cost": 100_000.0,
        "rebate": 0.0,
        "fi_income": 0.0,
        "accessories_revenue": 0.0,
        "accessories_cost": 0.0,
        "finance": False,
        "insurance": False,
        "trade_in": False,
    }


# ----------------------------------------------------------------------------- today on the floor


def test_same_weekdays_are_the_eight_wednesdays_before():
    assert kanban.same_weekdays(TODAY) == [
        date(2026, 9, 9),
        date(2026, 9, 2),
        date(2026, 8, 26),
        date(2026, 8, 19),
        date(2026, 8, 12),
        date(2026, 8, 5),
        date(2026, 7, 29),
        date(2026, 7, 22),
    ]


@pytest.fixture
def floor(con):
    """Walk-ins on Wednesdays 1-9 weeks back, other days, and today."""
    rows = [visit("first", date(2026, 7, 1))]  # the store's first record: all 8 weeks count
    # Walk-ins on the same weekday: 3 + 1 + 0 + 2 + 2 + 0 + 0 + 1 = 9 in the 8 weeks.
    per_week = {
        date(2026, 9, 9): 3,
        date(2026, 9, 2): 1,
        date(2026, 8, 19): 2,
        date(2026, 8, 12): 2,
        date(2026, 7, 22): 1,
    }
    for day, n in per_week.items():
        rows += [visit(f"w{day}-{i}", day, first=(i == 0), drive=(i == 0)) for i in range(n)]
    rows += [
        visit("nine-weeks-back", date(2026, 7, 15)),  # 63 days back: outside the 8 weeks
        visit("tuesday", date(2026, 9, 15)),  # not a Wednesday
        visit("today-1", TODAY, first=True, drive=True),
        visit("today-2", TODAY),
        visit("today-call", TODAY, kind="phone", first=True),
        visit("call-9-9", date(2026, 9, 9), kind="phone", first=True),
        visit("other-store", TODAY, store="s2"),
    ]
    insert(con, "traffic", rows)
    insert(
        con,
        "orders",
        [
            order("o-today", TODAY, "Li"),
            order("o-today-cancelled", TODAY, "Li", status="cancelled"),
            order("o-9-2", date(2026, 9, 2), "Li"),
            order("o-8-5", date(2026, 8, 5), "Wang"),
        ],
    )
    return con


def test_today_floor_against_the_same_weekday_average(floor):
    got = kanban.today_floor(floor, "s1", TODAY).set_index("metric")
    assert list(got.index) == list(kanban.FLOOR_METRICS)
    assert got.loc["walk_in_batches", "today"] == 2
    assert got.loc["walk_in_batches", "avg_8w"] == pytest.approx(9 / 8)  # 3+1+0+2+2+0+0+1 / 8
    # First visits and test drives: one per Wednesday with walk-ins: 5 Wednesdays / 8.
    assert got.loc["first_visit_batches", "today"] == 1
    assert got.loc["first_visit_batches", "avg_8w"] == pytest.approx(5 / 8)
    assert got.loc["test_drives", "today"] == 1
    assert got.loc["test_drives", "avg_8w"] == pytest.approx(5 / 8)
    assert got.loc["phone_batches", "today"] == 1
    assert got.loc["phone_batches", "avg_8w"] == pytest.approx(1 / 8)  # the call on 9 Sep
    # Orders: today 1 (the cancelled one counts nowhere); 9-2 and 8-5 -> 2 / 8.
    assert got.loc["orders", "today"] == 1
    assert got.loc["orders", "avg_8w"] == pytest.approx(2 / 8)
    assert set(got["weeks"]) == {8}


def test_today_floor_of_a_new_store_averages_only_weeks_with_data(con):
    insert(
        con,
        "traffic",
        [
            visit("first", date(2026, 8, 20)),  # first record: only 8-26, 9-2, 9-9 count
            visit("a", date(2026, 9, 9)),
            visit("b", date(2026, 9, 9)),
            visit("c", date(2026, 8, 26)),
            visit("today", TODAY),
        ],
    )
    got = kanban.today_floor(con, "s1", TODAY).set_index("metric")
    assert got.loc["walk_in_batches", "weeks"] == 3
    assert got.loc["walk_in_batches", "avg_8w"] == pytest.approx(1.0)  # (2 + 0 + 1) / 3
    assert got.loc["walk_in_batches", "today"] == 1


def test_today_floor_of_an_empty_store_has_no_average(con):
    got = kanban.today_floor(con, "s1", TODAY)
    assert list(got["today"]) == [0, 0, 0, 0, 0]
    assert got["avg_8w"].isna().all()
    assert list(got["weeks"]) == [0, 0, 0, 0, 0]


# ----------------------------------------------------------------------------- leaderboard


@pytest.fixture
def board(con):
    """Five consultants: a gross tie-break, a full tie, a target without activity."""
    sep = date(2026, 9, 1)
    insert(
        con,
        "orders",
        [
            order("li-1", sep, "Li", delivered=date(2026, 9, 3), gross=6000),
            order("li-2", sep, "Li", delivered=date(2026, 9, 10), gross=4000),
            order("wang-1", date(2026, 8, 28), "Wang", delivered=date(2026, 9, 5), gross=7000),
            order("wang-2", sep, "Wang", delivered=date(2026, 9, 12), gross=5000),
            order("zhao-1", date(2026, 9, 2), "Zhao", delivered=date(2026, 9, 8), gross=5000),
            order("chen-1", date(2026, 9, 4), "Chen", delivered=date(2026, 9, 9), gross=5000),
            order("chen-open", date(2026, 9, 14), "Chen"),
            order("chen-cancelled", date(2026, 9, 15), "Chen", status="cancelled"),
            order("nobody", date(2026, 9, 6), None, delivered=date(2026, 9, 11), gross=1000),
            order("aug", date(2026, 8, 1), "Zhao", delivered=date(2026, 8, 30), gross=9000),
            order("other-store", sep, "Li", delivered=date(2026, 9, 4), gross=9000)
            | {"store": "s2"},
        ],
    )
    insert(
        con,
        "targets",
        [
            {"month": "2026-09", "consultant": "Li", "metric": "deliveries", "target": 4},
            {"month": "2026-09", "consultant": "Wang", "metric": "deliveries", "target": 3},
            {"month": "2026-09", "consultant": "Zhao", "metric": "deliveries", "target": 5},
            {"month": "2026-09", "consultant": "Sun", "metric": "deliveries", "target": 2},
            {"month": "2026-09", "consultant": None, "metric": "deliveries", "target": 10},
            {"month": "2026-08", "consultant": None, "metric": "deliveries", "target": 99},
        ],
    )
    return con


def test_leaderboard_ranks_by_deliveries_with_gross_breaking_ties(board):
    got = kanban.leaderboard(board, "s1", TODAY)
    rows = got.rows
    # Wang and Li both delivered 2; Wang's gross 7000 + 5000 = 12000 beats Li's 6000 + 4000.
    # Chen and Zhao both delivered 1 with 5000 gross: the same rank 3, listed by name.
    assert list(rows["consultant"]) == ["Wang", "Li", "Chen", "Zhao", "Sun"]
    assert list(rows["rank"]) == [1, 2, 3, 3, 5]
    assert list(rows["deliveries"]) == [2, 2, 1, 1, 0]
    # Orders dated in September, not cancelled: Wang's 8-28 order is August's.
    assert list(rows["orders"]) == [1, 2, 2, 1, 0]  # Chen: chen-1 and chen-open, not cancelled
    assert list(rows["total_gross"]) == pytest.approx([12000, 10000, 5000, 5000, 0])


def test_leaderboard_targets_and_lights_against_time_progress(board):
    rows = kanban.leaderboard(board, "s1", TODAY).rows.set_index("consultant")
    # Time progress 16/30 = 0.5333; amber from 0.8 x 0.5333 = 0.4267.
    assert rows.loc["Wang", "achievement"] == pytest.approx(2 / 3)  # 0.667 >= 0.533: green
    assert rows.loc["Wang", "traffic_light"] == "green"
    assert rows.loc["Li", "achievement"] == pytest.approx(0.5)  # 2/4; 0.427 <= 0.5 < 0.533
    assert rows.loc["Li", "traffic_light"] == "amber"
    assert rows.loc["Zhao", "achievement"] == pytest.approx(0.2)  # 1/5 < 0.427
    assert rows.loc["Zhao", "traffic_light"] == "red"
    assert rows.loc["Sun", "achievement"] == 0.0  # 0/2
    assert rows.loc["Sun", "traffic_light"] == "red"
    assert pd.isna(rows.loc["Chen", "target"])  # no target: no achievement, grey
    assert pd.isna(rows.loc["Chen", "achievement"])
    assert rows.loc["Chen", "traffic_light"] is None


def test_leaderboard_shows_no_lights_in_the_first_week(board):
    # Sept 7: a week is not yet known, progress without lights (kpi.catalogue.judged)
    got = kanban.leaderboard(board, "s1", date(2026, 9, 7))
    assert got.rows["traffic_light"].isna().all()
    assert got.total["traffic_light"] is None
    assert got.total["target"] == 10  # targets stay whole
    lit = kanban.leaderboard(board, "s1", date(2026, 9, 8))
    assert lit.total["traffic_light"] in ("green", "amber", "red")


def test_leaderboard_team_total_is_the_store(board):
    got = kanban.leaderboard(board, "s1", TODAY)
    # Deliveries: 2 + 2 + 1 + 1 + the one without a consultant = 7 (s2 and August apart).
    assert got.total["deliveries"] == 7
    # Orders in September: li-1, li-2, wang-2, zhao-1, chen-1, chen-open, nobody = 7.
    assert got.total["orders"] == 7
    assert got.total["target"] == 10  # the store row wins over the consultants' 4+3+5+2
    assert got.total["achievement"] == pytest.approx(0.7)  # 7 / 10 >= 0.533
    assert got.total["traffic_light"] == "green"
    assert got.time_progress == pytest.approx(TIME_PROGRESS)


def test_leaderboard_store_target_falls_back_to_the_consultants_sum(board):
    board.execute("DELETE FROM targets WHERE consultant IS NULL")
    got = kanban.leaderboard(board, "s1", TODAY)
    assert got.total["target"] == 14  # 4 + 3 + 5 + 2
    assert got.total["achievement"] == pytest.approx(0.5)  # 7 / 14, amber
    assert got.total["traffic_light"] == "amber"


def test_leaderboard_of_an_empty_store(con):
    got = kanban.leaderboard(con, "s1", TODAY)
    assert got.rows.empty
    assert got.total == {
        "deliveries": 0,
        "orders": 0,
        "target": None,
        "achievement": None,
        "traffic_light": None,
    }


# ----------------------------------------------------------------------------- month progress


def test_month_progress_against_target_and_pace(board):
    insert(
        board,
        "traffic",
        [
            visit("v1", date(2026, 9, 1), drive=True),
            visit("v2", date(2026, 9, 15)),
            visit("v3", date(2026, 9, 16), drive=True),
            visit("call", date(2026, 9, 16), kind="phone"),
            visit("aug", date(2026, 8, 31), drive=True),
        ],
    )
    insert(
        board,
        "targets",
        [{"month": "2026-09", "consultant": None, "metric": "walk_in_batches", "target": 12}],
    )
    got = kanban.month_progress(board, "s1", TODAY).set_index("metric")
    assert list(got.index) == ["deliveries", "orders", "walk_in_batches", "test_drives"]
    assert list(got["actual"]) == [7, 7, 3, 2]
    assert got.loc["deliveries", "target"] == 10
    assert got.loc["deliveries", "achievement"] == pytest.approx(0.7)
    assert got.loc["deliveries", "traffic_light"] == "green"
    assert got.loc["deliveries", "pace"] == pytest.approx(13.125)  # 7 / 16 days x 30
    assert got.loc["walk_in_batches", "achievement"] == pytest.approx(0.25)  # 3/12 < 0.427
    assert got.loc["walk_in_batches", "traffic_light"] == "red"
    assert got.loc["walk_in_batches", "pace"] == pytest.approx(5.625)  # 3 / 16 x 30
    assert pd.isna(got.loc["orders", "target"])
    assert got.loc["orders", "traffic_light"] is None
    assert got.loc["test_drives", "pace"] == pytest.approx(3.75)  # 2 / 16 x 30
    assert list(got["time_progress"]) == pytest.approx([TIME_PROGRESS] * 4)
    # the month-end forecast (kpi.forecast) stands beside pace for deliveries only; it never
    # falls below the 7 units already delivered
    assert got.loc["deliveries", "forecast"] >= 7
    assert got[["forecast", "forecast_low", "forecast_high"]].drop("deliveries").isna().all().all()


# ----------------------------------------------------------------------------- models


def test_models_orders_and_deliveries_against_stock(con):
    sep = date(2026, 9, 2)
    insert(
        con,
        "orders",
        [
            order("a", sep, "Li", delivered=date(2026, 9, 5), model="X5"),
            order("b", sep, "Li", delivered=date(2026, 9, 6), model="X5", status="delivered")
            | {"vin": "V-SOLD"},
            order("c", sep, "Li", model="X3"),
            order("d", sep, "Li", model="X3"),
            order("e", sep, "Li", model="X1", status="cancelled"),
        ],
    )
    insert(
        con,
        "vehicles",
        [
            {"vin": "V1", "model": "X5", "arrival_date": date(2026, 8, 1), "cost": 1.0},
            {"vin": "V2", "model": "X1", "arrival_date": date(2026, 9, 16), "cost": 1.0},
            {"vin": "V3", "model": "X1", "arrival_date": date(2026, 9, 17), "cost": 1.0},
            {"vin": "V-SOLD", "model": "X5", "arrival_date": date(2026, 8, 1), "cost": 1.0},
            {"vin": "V4", "model": "iX", "cost": 1.0},  # in transit: not in stock
        ],
    )
    got = kanban.models(con, "s1", TODAY)
    # X5: 2 orders, 2 deliveries, stock V1 (V-SOLD left with order b on 9-6) = 1.
    # X3: 2 open orders, no stock. X1: cancelled order counts nowhere; V2 arrived today = 1
    # (V3 arrives tomorrow). iX: nothing ordered, nothing in stock: not listed.
    assert got.to_dict("records") == [
        {"model": "X5", "orders": 2, "deliveries": 2, "stock_units": 1},
        {"model": "X3", "orders": 2, "deliveries": 0, "stock_units": 0},
        {"model": "X1", "orders": 0, "deliveries": 0, "stock_units": 1},
    ]
