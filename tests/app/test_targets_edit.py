"""Tests for app/targets_edit.py: the split proposal, the editor table and saving."""

from datetime import date

import pandas as pd
import pytest

from app.targets_edit import (
    MONTH_COLUMN,
    STORE_COLUMN,
    TargetsError,
    apportion,
    last_year_deliveries,
    mismatched_months,
    proposal,
    quarters,
    rows_from_frame,
    save_targets,
    saved_frame,
    store_monthly,
    team,
    weeks,
)
from tests.helpers import insert
from warehouse.auth import User
from warehouse.db import connect, data_version

MANAGER = User("gm", "Zhang GM", "manager")
STAFF = User("desk", "Reception", "staff")
VIEWER = User("look", "Viewer", "viewer")


def _targets(con, store="s1"):
    return con.execute(
        "SELECT month, consultant, metric, target FROM targets WHERE store = $s "
        "ORDER BY month, consultant NULLS FIRST, metric",
        {"s": store},
    ).fetchall()


def _delivered(order_id: str, day: date, consultant: str = "Li") -> dict:
    return {"order_id": order_id, "order_date": day, "delivery_date": day,
            "status": "delivered", "consultant": consultant, "sale_type": "retail",
            "buyer_type": "private"}  # fmt: skip


# ----------------------------------------------------------------------------- saving


@pytest.mark.parametrize("user", [None, STAFF, VIEWER])
def test_save_refuses_anyone_but_a_manager(con, user):
    rows = [{"month": "2027-01", "consultant": None, "metric": "deliveries", "target": 30}]
    with pytest.raises(PermissionError, match="Only a manager"):
        save_targets(con, "s1", rows, user)
    assert _targets(con) == []
    assert data_version(con) == 0


def test_save_inserts_updates_deletes_and_bumps_the_version_once(con):
    insert(con, "targets", [
        {"month": "2027-01", "consultant": None, "metric": "deliveries", "target": 30},
        {"month": "2027-01", "consultant": "Li", "metric": "deliveries", "target": 12},
        {"month": "2027-02", "consultant": None, "metric": "deliveries", "target": 25},
        {"month": "2027-01", "consultant": None, "metric": "deliveries", "target": 99},
    ], store="s2")  # fmt: skip
    insert(con, "targets", [
        {"month": "2027-01", "consultant": None, "metric": "deliveries", "target": 30},
        {"month": "2027-01", "consultant": "Li", "metric": "deliveries", "target": 12},
        {"month": "2027-02", "consultant": None, "metric": "deliveries", "target": 25},
    ])  # fmt: skip
    rows = [
        {"month": "2027-01", "consultant": None, "metric": "deliveries", "target": 30},  # same
        {"month": "2027-01", "consultant": "Li", "metric": "deliveries", "target": 14},  # update
        {"month": "2027-02", "consultant": "", "metric": "deliveries", "target": None},  # delete
        {"month": "2027-02", "consultant": "Wang", "metric": "deliveries", "target": 9},  # new
        {"month": "2027-03", "consultant": "Wang", "metric": "deliveries", "target": None},  # none
    ]
    result = save_targets(con, "s1", rows, MANAGER)
    assert (result.inserted, result.updated, result.deleted, result.unchanged) == (1, 1, 1, 2)
    assert result.data_version == 1 == data_version(con)
    assert _targets(con) == [
        ("2027-01", None, "deliveries", 30.0),
        ("2027-01", "Li", "deliveries", 14.0),
        ("2027-02", "Wang", "deliveries", 9.0),
    ]
    # the other store is untouched
    assert len(_targets(con, "s2")) == 4


def test_save_with_nothing_changed_keeps_the_version(con):
    insert(con, "targets", [{"month": "2027-01", "consultant": None, "metric": "orders",
                             "target": 40}])  # fmt: skip
    result = save_targets(
        con, "s1", [{"month": "2027-01", "consultant": None, "metric": "orders", "target": 40.0}],
        MANAGER,
    )  # fmt: skip
    assert (result.unchanged, result.data_version) == (1, 0)


def test_save_creates_the_store_row(con):
    save_targets(con, "new", [{"month": "2027-05", "metric": "service_revenue",
                               "target": 450000}], MANAGER)  # fmt: skip
    assert con.execute("SELECT store FROM stores").fetchall() == [("new",)]
    assert _targets(con, "new") == [("2027-05", None, "service_revenue", 450000.0)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"month": "2027-13", "metric": "deliveries", "target": 1}, "month must be YYYY-MM"),
        ({"month": "2027/01", "metric": "deliveries", "target": 1}, "month must be YYYY-MM"),
        ({"month": "2027-01", "metric": "profit", "target": 1}, "unknown metric 'profit'"),
        ({"month": "2027-01", "metric": "order_gap", "target": 1}, "unknown metric"),
        ({"month": "2027-01", "metric": "deliveries", "target": -1}, "number ≥ 0"),
        ({"month": "2027-01", "metric": "deliveries", "target": "many"}, "row 1"),
        ({"month": "2027-01", "metric": "deliveries", "target": float("inf")}, "number ≥ 0"),
    ],
)
def test_save_refuses_bad_rows_and_writes_nothing(con, row, message):
    good = {"month": "2027-02", "metric": "deliveries", "target": 5}
    with pytest.raises(TargetsError, match=message):
        save_targets(con, "s1", [row, good], MANAGER)
    assert _targets(con) == []


def test_save_refuses_a_key_given_twice(con):
    rows = [
        {"month": "2027-01", "consultant": "Li", "metric": "orders", "target": 1},
        {"month": "2027-01", "consultant": " Li ", "metric": "orders", "target": 2},
    ]
    with pytest.raises(TargetsError, match="row 2: 2027-01 Li orders given twice"):
        save_targets(con, "s1", rows, MANAGER)


def test_save_refuses_an_empty_store(con):
    with pytest.raises(TargetsError, match="store"):
        save_targets(con, " ", [], MANAGER)


def test_save_to_a_database_file_and_read_back(tmp_path):
    path = tmp_path / "store.duckdb"
    rows = [{"month": "2027-01", "consultant": "王丽", "metric": "test_drives", "target": 20}]
    result = save_targets(path, "s1", rows, MANAGER)
    assert result.inserted == 1
    with connect(path, read_only=True) as con:
        assert _targets(con) == [("2027-01", "王丽", "test_drives", 20.0)]
        assert data_version(con) == 1


def test_save_logs_who_changed_the_targets(con, caplog):
    with caplog.at_level("INFO", logger="app.targets_edit"):
        save_targets(con, "s1", [{"month": "2027-01", "metric": "orders", "target": 3}], MANAGER)
    assert "targets of store s1 saved by gm: 1 inserted" in caplog.text


# ----------------------------------------------------------------------------- splitting


@pytest.mark.parametrize(
    ("total", "weights", "offset", "expected"),
    [
        (100, [1, 2, 3], 0, [17, 33, 50]),  # 16.67, 33.33, 50 -> the largest remainder gets +1
        (10, [1, 1, 1], 0, [4, 3, 3]),  # 3.33 each, the tie goes to the offset first
        (10, [1, 1, 1], 1, [3, 4, 3]),
        (10, [1, 1, 1], 2, [3, 3, 4]),
        (12, [0, 0], 0, [6, 6]),  # no weight at all: equal parts
        (7.4, [1], 0, [7]),  # the total is rounded to whole units
        (0, [3, 1], 0, [0, 0]),
    ],
)
def test_apportion(total, weights, offset, expected):
    assert apportion(total, weights, offset) == expected
    assert sum(expected) == round(total)


def test_proposal_follows_last_years_deliveries():
    # last year: 10 deliveries in January, 30 in June, 60 in December (100 in all)
    frame = proposal(2027, 200, {1: 10, 6: 30, 12: 60}, ["Li", "Wang"])
    assert frame[MONTH_COLUMN].tolist()[0] == "2027-01"
    store = dict(zip(frame[MONTH_COLUMN], frame[STORE_COLUMN], strict=True))
    assert store["2027-01"] == 20  # 200 x 10/100
    assert store["2027-06"] == 60  # 200 x 30/100
    assert store["2027-12"] == 120  # 200 x 60/100
    assert store["2027-02"] == 0
    # 20 shared by two consultants: 10 each; the sum of each month is the store's month
    assert frame.loc[0, "Li"] == 10 and frame.loc[0, "Wang"] == 10
    assert (frame["Li"] + frame["Wang"]).tolist() == frame[STORE_COLUMN].tolist()


def test_proposal_clears_people_who_left():
    frame = proposal(2027, 12, {}, ["Li"], others=["Gone", "Li", MONTH_COLUMN])
    assert list(frame.columns) == [MONTH_COLUMN, STORE_COLUMN, "Li", "Gone"]
    assert frame["Gone"].isna().all()
    assert frame["Li"].tolist() == [1.0] * 12  # 12 / 12 months, all to Li


def test_proposal_without_history_is_even_in_whole_units():
    frame = proposal(2027, 100, {}, ["A", "B", "C"])
    # 100 / 12 = 8.33: four months get 9 (the first four, ties in order), eight get 8
    assert frame[STORE_COLUMN].tolist() == [9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8]
    # January: 9 over three people = 3 each. May (month index 4): 8 = 2.67 each, two extra
    # units, which rotate to start at person 4 mod 3 = 1: B and C get 3, A gets 2
    assert frame.loc[0, ["A", "B", "C"]].tolist() == [3, 3, 3]
    assert frame.loc[4, ["A", "B", "C"]].tolist() == [2, 3, 3]
    assert frame[["A", "B", "C"]].to_numpy().sum() == 100


def test_last_year_deliveries_reads_the_previous_year(con):
    insert(con, "orders", [_delivered("o1", date(2025, 3, 1)), _delivered("o2", date(2025, 3, 31)),
                           _delivered("o3", date(2025, 12, 31)), _delivered("o4", date(2026, 1, 1)),
                           _delivered("o5", date(2024, 12, 31))])  # fmt: skip
    insert(con, "orders", [_delivered("x1", date(2025, 3, 2))], store="s2")
    history = last_year_deliveries(con, "s1", 2026)
    assert history[3] == 2 and history[12] == 1 and history[1] == 0
    assert sum(history.values()) == 3


def test_team_is_who_worked_the_floor_in_the_last_90_days(con):
    as_of = date(2026, 11, 25)
    insert(con, "traffic", [
        {"visit_id": "v1", "visit_date": date(2026, 8, 28), "kind": "walk_in", "consultant": "Old"},
        {"visit_id": "v2", "visit_date": date(2026, 8, 27), "kind": "walk_in",
         "consultant": "Gone"},
        {"visit_id": "v3", "visit_date": date(2026, 11, 1), "kind": "phone", "consultant": "Phone"},
        {"visit_id": "v4", "visit_date": date(2026, 11, 26), "kind": "walk_in",
         "consultant": "Future"},
    ])  # fmt: skip
    insert(con, "orders", [_delivered("o1", date(2026, 10, 1), "Li")])
    insert(con, "orders", [_delivered("o2", date(2026, 10, 1), "Other")], store="s2")
    # 2026-11-25 − 90 days = 2026-08-27, which is outside ("the 90 days up to as_of")
    assert team(con, "s1", as_of) == ["Li", "Old"]


# ----------------------------------------------------------------------------- editor table


def test_saved_frame_lays_out_store_and_consultant_targets(con):
    insert(con, "targets", [
        {"month": "2027-01", "consultant": None, "metric": "deliveries", "target": 30},
        {"month": "2027-01", "consultant": "Li", "metric": "deliveries", "target": 12},
        {"month": "2027-03", "consultant": "Wang", "metric": "deliveries", "target": 8},
        {"month": "2027-03", "consultant": "Wang", "metric": "orders", "target": 99},
        {"month": "2026-12", "consultant": None, "metric": "deliveries", "target": 99},
    ])  # fmt: skip
    frame = saved_frame(con, "s1", 2027, "deliveries")
    assert list(frame.columns) == [MONTH_COLUMN, STORE_COLUMN, "Li", "Wang"]
    assert len(frame) == 12
    assert frame.loc[0, STORE_COLUMN] == 30 and frame.loc[0, "Li"] == 12
    assert frame.loc[2, "Wang"] == 8
    assert pd.isna(frame.loc[2, STORE_COLUMN]) and pd.isna(frame.loc[0, "Wang"])


def test_store_monthly_and_quarters_follow_the_store_rule():
    frame = pd.DataFrame({
        MONTH_COLUMN: [f"2027-{m:02d}" for m in range(1, 13)],
        STORE_COLUMN: [30, None, None] + [10] * 9,
        "Li": [12, 5, None] + [None] * 9,
        "Wang": [10, 6, None] + [None] * 9,
    })  # fmt: skip
    monthly = store_monthly(frame)
    assert monthly["2027-01"] == 30  # the store-wide row wins over 12 + 10
    assert monthly["2027-02"] == 11  # no store row: 5 + 6
    assert pd.isna(monthly["2027-03"])  # no target at all
    q = quarters(frame)
    assert q["quarter"].tolist() == ["Q1", "Q2", "Q3", "Q4"]
    assert q["target"].tolist() == [41, 30, 30, 30]  # 30 + 11 + 0; then 3 x 10
    assert mismatched_months(frame) == ["2027-01"]  # 12 + 10 ≠ 30


def test_weeks_of_november_2026():
    # Nov 2026 starts on a Sunday (ISO week 44) and ends on a Monday (week 49)
    frame = weeks("2026-11", 30)
    assert frame["week"].tolist() == [f"2026-W{w}" for w in (44, 45, 46, 47, 48, 49)]
    assert frame["days"].tolist() == [1, 7, 7, 7, 7, 1]
    assert frame["target"].tolist() == pytest.approx([1, 7, 7, 7, 7, 1])  # 30 x days / 30
    assert weeks("2026-11", None).empty


def test_rows_from_frame_round_trip(con):
    frame = pd.DataFrame({
        MONTH_COLUMN: ["2027-01", "2027-02"], STORE_COLUMN: [30.0, None],
        "Li": [12.0, 4.0],
    })  # fmt: skip
    rows = rows_from_frame(frame, "orders")
    assert rows == [
        {"month": "2027-01", "consultant": None, "metric": "orders", "target": 30.0},
        {"month": "2027-01", "consultant": "Li", "metric": "orders", "target": 12.0},
        {"month": "2027-02", "consultant": None, "metric": "orders", "target": None},
        {"month": "2027-02", "consultant": "Li", "metric": "orders", "target": 4.0},
    ]
    save_targets(con, "s1", rows, MANAGER)
    back = saved_frame(con, "s1", 2027, "orders")
    assert back.loc[0, STORE_COLUMN] == 30 and back.loc[1, "Li"] == 4
    assert pd.isna(back.loc[1, STORE_COLUMN])
