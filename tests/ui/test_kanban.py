"""The TV and reception pages in Streamlit's AppTest: the numbers on screen are kpi.kanban's."""

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kpi import kanban
from tests.helpers import insert
from ui.formatting import number, percent
from ui.i18n import kpi_label, t
from warehouse.auth import User, create_user
from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 9, 16)  # Wednesday; the 8-week comparison days are 9-9, 9-2, ..., 7-22


def order(oid, ordered, consultant, delivered=None, model="X5", gross=1000.0):
    return {
        "order_id": oid,
        "order_date": ordered,
        "delivery_date": delivered,
        "status": "delivered" if delivered else "open",
        "consultant": consultant,
        "model": model,
        "customer_id": oid,
        "sale_type": "retail",
        "buyer_type": "private",
        "channel": "wechat",
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


def visit(vid, day, consultant="李强", first=True, drive=False, kind="walk_in"):
    return {
        "visit_id": vid,
        "visit_date": day,
        "kind": kind,
        "first_visit": first,
        "test_drive": drive,
        "consultant": consultant,
        "channel": "autohome",
        "model_interest": "X5",
    }


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    """A one-store database: three consultants, targets, traffic on Wednesdays, stock."""
    path = tmp_path_factory.mktemp("tv") / "tv.duckdb"
    with connect(path) as con:
        insert(
            con,
            "orders",
            [
                order("o1", date(2026, 9, 1), "李强", date(2026, 9, 3), gross=5000),
                order("o2", date(2026, 9, 2), "王丽", date(2026, 9, 5), gross=8000),
                order("o3", date(2026, 9, 4), "王丽", date(2026, 9, 8), "X3"),
                order("o4", TODAY, "张伟"),
            ],
            store="sh-pudong",
        )
        insert(
            con,
            "traffic",
            [
                visit("t1", TODAY, drive=True),
                visit("t2", TODAY, "王丽", first=False),
                visit("t3", TODAY, kind="phone"),
                visit("t4", date(2026, 9, 9)),
                visit("t5", date(2026, 7, 1)),
            ],
            store="sh-pudong",
        )
        insert(
            con,
            "targets",
            [
                {"month": "2026-09", "consultant": "李强", "metric": "deliveries", "target": 4},
                {"month": "2026-09", "consultant": "王丽", "metric": "deliveries", "target": 3},
                {"month": "2026-09", "consultant": None, "metric": "deliveries", "target": 8},
            ],
            store="sh-pudong",
        )
        insert(
            con,
            "vehicles",
            [{"vin": "V1", "model": "X5", "arrival_date": date(2026, 8, 1), "cost": 1.0}],
            store="sh-pudong",
        )
        # The board is made public explicitly (stores are private by default).
        con.execute(
            "UPDATE stores SET name = '浦东店', opening_hours = '00:00-24:00', public_tv = true"
        )
        create_user(con, "amy", "password123", "staff", "Amy")
        create_user(con, "guest", "password123", "viewer", "Guest")
    return path


@pytest.fixture
def app_env(small_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(small_db))
    monkeypatch.setenv("KPI_TODAY", TODAY.isoformat())
    return small_db


def tv_app(panel: str, user: User | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if user is not None:
        at.session_state["_auth_user"] = user
    at.query_params.update({"tv": "1", "store": "sh-pudong", "panel": panel, "lang": "zh"})
    at.query_params.update(params)
    at.switch_page("pages/kanban.py")
    return at.run()


def expected(small_db: Path, fn):
    with connect(small_db, read_only=True) as con:
        return fn(con, "sh-pudong", TODAY)


def test_leaderboard_panel_shows_kanban_leaderboard(app_env):
    at = tv_app("leaderboard")
    assert not at.exception
    shown = at.table[0].value
    board = expected(app_env, kanban.leaderboard)
    rows = board.rows
    # 王丽 delivered 2, 李强 1 (more gross than nobody), 张伟 0 with an open order today.
    assert list(rows["consultant"]) == ["王丽", "李强", "张伟"]
    assert list(shown[t("tv.consultant", "zh")]) == ["王丽", "李强", "张伟", t("tv.team", "zh")]
    assert list(shown[t("tv.rank", "zh")]) == [*(str(r) for r in rows["rank"]), ""]
    assert list(shown[t("tv.deliveries", "zh")]) == ["2", "1", "0", "3"]
    assert list(shown[t("tv.deliveries", "zh")])[:3] == [number(v) for v in rows["deliveries"]]
    assert list(shown[t("tv.orders", "zh")]) == [number(v) for v in rows["orders"]] + ["4"]
    assert list(shown[t("tv.target", "zh")]) == ["3", "4", "—", "8"]
    achieved = [percent(v, 0) for v in rows["achievement"]] + [
        percent(board.total["achievement"], 0)
    ]
    assert list(shown[t("tv.achievement", "zh")]) == achieved
    assert achieved == ["67%", "25%", "—", "38%"]  # 2/3, 1/4, none, 3/8


def test_today_panel_shows_the_floor_against_eight_weeks(app_env):
    at = tv_app("today")
    assert not at.exception
    floor = expected(app_env, kanban.today_floor).set_index("metric")
    metrics = {m.label: m for m in at.metric}
    assert len(metrics) == 5
    for metric, row in floor.iterrows():
        shown = metrics[kpi_label(metric, "zh")]
        assert shown.value == number(row["today"])
        # delta = today - average of the same weekday over the weeks with data
        assert shown.delta == f"{row['today'] - row['avg_8w']:+.1f}".replace("+0.0", "±0")
    # Walk-ins today: 2; Wednesdays since the store's first record (7-1): all 8, one walk-in.
    assert metrics[kpi_label("walk_in_batches", "zh")].value == "2"
    assert metrics[kpi_label("walk_in_batches", "zh")].delta == "+1.9"  # 2 - 1/8


def test_month_panel_shows_actual_target_and_pace(app_env):
    at = tv_app("month")
    assert not at.exception
    month = expected(app_env, kanban.month_progress).set_index("metric")
    values = {m.label: m.value for m in at.metric}
    assert values[kpi_label("deliveries", "zh")] == "3"
    assert values[kpi_label("orders", "zh")] == number(month.loc["orders", "actual"]) == "4"
    text = " ".join(md.value for md in at.markdown)
    pace = month.loc["deliveries", "pace"]  # 3 / 16 days x 30 = 5.625
    assert pace == pytest.approx(5.625)
    assert t("tv.pace", "zh", value=number(pace, 0)) in text
    assert t("tv.achieved", "zh", value="38%") in text  # 3 / 8
    assert t("tv.target_of", "zh", value="8") in text


def test_models_panel_shows_orders_deliveries_and_stock(app_env):
    at = tv_app("models")
    assert not at.exception
    shown = at.table[0].value
    models = expected(app_env, kanban.models)
    assert list(shown[t("tv.model", "zh")]) == list(models["model"]) == ["X5", "X3"]
    assert list(shown[t("tv.orders", "zh")]) == ["3", "1"]  # X5: o1, o2, o4; X3: o3
    assert list(shown[t("tv.deliveries", "zh")]) == ["2", "1"]  # X5: o1, o2; X3: o3
    assert list(shown[t("tv.stock", "zh")]) == ["1", "0"]


def test_header_shows_the_store_name(app_env):
    at = tv_app("leaderboard")
    texts = [x.value for x in at.text]
    assert "浦东店" in texts
    assert t("tv.panel.leaderboard", "zh") in texts


def test_stale_banner_when_nothing_new_for_longer_than_the_threshold(app_env):
    # Newest record: rows dated today count from midnight; open around the clock in this store.
    at = tv_app("today", stale="1")
    assert [w.value for w in at.warning] == [t("tv.stale", "zh", minutes=1)]
    at = tv_app("today", stale="0")
    assert not at.warning


def test_unknown_store_is_said_to_a_viewer_and_refused_to_anyone_else(app_env):
    at = tv_app("today", store="nowhere", user=User("guest", "Guest", "viewer"))
    assert [e.value for e in at.error] == [t("tv.unknown_store", "zh", store="nowhere")]
    at = tv_app("today", store="nowhere")  # signed out: the same sign-in as a private store
    assert [x.value for x in at.title] == [t("auth.needs_title", "zh")]
    assert not at.table and not at.metric


def test_options_from_the_url():
    from ui.tv import options_from

    o = options_from({"tv": "1", "panels": "today,bogus,models", "rotate": "5", "refresh": "x"})
    assert (o.tv, o.panels, o.rotate_s, o.refresh_s, o.stale_min) == (
        True,
        ("today", "models"),
        5,
        30,
        120,
    )
    assert o.tick_s == 5  # gcd(5, 30): the board reruns often enough to turn on time
    assert o.ignored == ("panels", "refresh")
    # Numbers out of range fall back to the defaults (and are named), not to the nearest limit.
    one = options_from({"panel": "month", "panels": "today", "refresh": "0", "stale": "-3"})
    assert (one.tv, one.panels, one.refresh_s, one.stale_min, one.tick_s) == (
        False,
        ("month",),
        30,
        120,
        30,
    )
    assert one.ignored == ("refresh", "stale")
    assert options_from({}).panels == kanban.PANELS
    assert options_from({}).ignored == ()


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e309", "1e400", "", "  ", "9" * 400])
def test_absurd_numbers_fall_back_to_the_defaults(value):
    from ui.tv import options_from

    o = options_from({"tv": "1", "refresh": value, "rotate": value, "stale": value})
    assert (o.refresh_s, o.rotate_s, o.stale_min) == (30, 20, 120)
    assert o.ignored == ("rotate", "refresh", "stale")


def test_refresh_inf_shows_the_board_and_a_notice(app_env):
    at = tv_app("today", refresh="inf", panels="today,nonsense")
    assert not at.exception
    assert len(at.metric) == 5  # the floor panel's five counts
    notice = t("tv.bad_params", "zh", names="refresh")
    assert notice in [x.value for x in at.text]


# ----------------------------------------------------------------------------- reception


def reception_app(user: User | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    if user is not None:
        at.session_state["_auth_user"] = user
    at.switch_page("pages/reception.py")
    return at.run()


@pytest.mark.parametrize(
    "user", [None, User("guest", "Guest", "viewer")], ids=["signed-out", "viewer"]
)
def test_reception_refuses_without_a_staff_user(app_env, user):
    # Through the app: the menu does not offer the page below staff, and asking for it does
    # not show the entry forms (the gate or another page shows instead).
    at = reception_app(user)
    assert not at.exception
    assert t("reception.title", "zh") not in [x.value for x in at.title]
    assert t("reception.consultant", "zh") not in [p.label for p in at.pills]


def test_reception_opens_for_staff(app_env):
    at = reception_app(User("amy", "Amy", "staff"))
    assert not at.exception
    assert [x.value for x in at.title] == [t("reception.title", "zh")]
    labels = [p.label for p in at.pills]
    assert t("reception.consultant", "zh") in labels
    consultants = next(p for p in at.pills if p.label == t("reception.consultant", "zh"))
    assert list(consultants.options) == ["张伟", "李强", "王丽"]


def test_display_frames_hold_no_nan(app_env):
    at = tv_app("leaderboard")
    assert not pd.isna(at.table[0].value).any().any()


def test_reception_refuses_when_its_file_is_run_directly(app_env):
    # As when someone types the page's address and the menu never listed it.
    at = AppTest.from_file(str(ROOT / "pages" / "reception.py"), default_timeout=60).run()
    assert not at.exception
    assert [x.value for x in at.title] == [t("auth.needs_title", "zh")]
    assert len(at.pills) == 0


def test_a_damaged_database_keeps_the_board_and_says_reconnecting(app_env, tmp_path, monkeypatch):
    copy = tmp_path / "tv.duckdb"
    shutil.copy(app_env, copy)
    monkeypatch.setenv("KPI_DB", str(copy))
    at = tv_app("month")
    assert not at.exception
    shown = [m.value for m in at.metric]
    copy.write_bytes(b"not a database " * 4096)  # replaced by something unreadable
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric] == shown  # the last board stays up
    assert t("tv.reconnecting", "zh") in [x.value for x in at.text]  # the footer's note
