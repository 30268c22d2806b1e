"""Filters, drill-down, links and the consultant's page (issue 17) through AppTest on the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi import drill, sales
from kpi.scope import Scope
from tests.ui.conftest import DEMO_TODAY, ROOT
from tests.ui.signin import steady_navigation
from ui.formatting import kpi_value
from warehouse.db import connect

pytestmark = pytest.mark.slow

STORE = "sh-pudong"
CONSULTANT = "张伟"  # one of sh-pudong's consultants in the demo (seed 7)


def open_link(db: Path, monkeypatch, page: str, params: dict, lang: str = "en") -> AppTest:
    """Return an AppTest that opened /<page>?<params> as a fresh session (a pasted link)."""
    monkeypatch.setenv("KPI_DB", str(db))
    monkeypatch.setenv("KPI_TODAY", DEMO_TODAY)
    steady_navigation(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.session_state["lang"] = lang
    at.query_params.update(params)
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def library(db: Path, kpi_id: str, **filters) -> object:
    scope = Scope.for_month("2026-11", today=date.fromisoformat(DEMO_TODAY), store=STORE)
    with connect(db, read_only=True) as con:
        return sales.summary(con, scope.with_filters(**filters))[kpi_id]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def records_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "records" in m.value or "条记录" in m.value)


# ------------------------------------------------------------------ filters


def test_a_consultant_filter_shows_the_filtered_library_value(app_db, monkeypatch):
    at = open_link(app_db, monkeypatch, "sales", {"store": STORE, "month": "2026-11"})
    at.sidebar.selectbox(key="flt_consultant").set_value(CONSULTANT).run()
    assert not at.exception
    orders = library(app_db, "orders", consultant=CONSULTANT)
    assert orders < library(app_db, "orders")  # the filter narrows the store's figure
    assert metric(at, "New orders") == kpi_value("orders", orders)
    assert f"Filtered: Consultant {CONSULTANT}" in at.caption[0].value
    assert at.query_params["consultant"] == CONSULTANT


def test_a_kpi_the_filter_does_not_restrict_says_so(app_db, monkeypatch):
    at = open_link(app_db, monkeypatch, "customers", {"store": STORE, "model": "ID.4 X"})
    ignored = [k for k in ("csi_service", "csi_sales", "nps") if not drill.applies(k, "model")]
    assert ignored, "the catalogue has customer KPIs that no model filter restricts"
    notes = [c.value for c in at.caption if c.value.startswith("Not filtered by")]
    assert "Not filtered by Model" in notes


def test_filter_options_come_from_the_store_in_scope(app_db, monkeypatch):
    at = open_link(app_db, monkeypatch, "service", {"store": STORE})
    with connect(app_db, read_only=True) as con:
        advisors = [r[0] for r in con.execute(
            "SELECT DISTINCT advisor FROM repair_orders WHERE store = $s ORDER BY 1", {"s": STORE}
        ).fetchall()]  # fmt: skip
    assert at.sidebar.selectbox(key="flt_advisor").options == ["All", *advisors]
    assert "flt_consultant" not in [s.key for s in at.sidebar.selectbox]  # not on after-sales


# ------------------------------------------------------------------ drill-down


def test_a_cards_records_count_is_the_cards_value(app_db, monkeypatch):
    at = open_link(app_db, monkeypatch, "sales", {"store": STORE, "month": "2026-10"})
    shown = metric(at, "New orders")
    at.button(key="drill_orders_0").click().run()
    assert not at.exception
    assert at.query_params["drill"] == "orders"
    n = library_month(app_db, "orders", "2026-10")
    assert kpi_value("orders", n) == shown
    assert records_line(at).startswith(f"**{n:,}** records")
    assert at.dataframe[-1].value.shape[0] == n
    assert "Order" in at.dataframe[-1].value.columns  # headers translated (col.order_id)


def test_a_ratio_opens_its_numerator_and_denominator(app_db, monkeypatch):
    params = {"store": STORE, "month": "2026-10", "drill": "close_rate", "part": "denominator"}
    at = open_link(app_db, monkeypatch, "sales", params)
    assert drill.parts("close_rate") == ("numerator", "denominator")
    radio = next(r for r in at.radio if r.key and r.key.startswith("drill_part_close_rate"))
    assert radio.value == "denominator"
    radio.set_value("numerator").run()
    assert not at.exception
    assert at.query_params["part"] == "numerator"


def test_the_records_can_be_searched_in_chinese(app_db, monkeypatch):
    params = {"store": STORE, "month": "2026-10", "drill": "orders"}
    at = open_link(app_db, monkeypatch, "sales", params, lang="zh")
    everyone = at.dataframe[-1].value.shape[0]
    at.text_input(key="drill_q").input(CONSULTANT).run()
    mine = at.dataframe[-1].value
    assert 0 < mine.shape[0] < everyone
    assert set(mine["销售顾问"]) == {CONSULTANT}


def library_month(db: Path, kpi_id: str, month: str) -> int:
    scope = Scope.for_month(month, today=date.fromisoformat(DEMO_TODAY), store=STORE)
    with connect(db, read_only=True) as con:
        return sales.summary(con, scope)[kpi_id]


# ------------------------------------------------------------------ links


def test_a_link_opens_the_same_view(app_db, monkeypatch):
    params = {"store": STORE, "from": "2026-10-05", "to": "2026-11-10", "channel": "autohome"}
    at = open_link(app_db, monkeypatch, "marketing", params, lang="zh")
    ctx = at.session_state["_ctx"]
    assert (ctx.store, ctx.scope.start, ctx.scope.end) == (STORE, date(2026, 10, 5),
                                                          date(2026, 11, 10))  # fmt: skip
    assert ctx.scope.channel == "autohome"
    assert ctx.lang == "zh"
    assert not at.toast
    # The view writes itself back: the same parameters, so a copied URL reopens it.
    again = {k: at.query_params[k] for k in ("store", "from", "to", "channel")}
    assert again == params


def test_invalid_parameters_fall_back_to_defaults_with_a_notice(app_db, monkeypatch):
    params = {"store": "nowhere", "month": "2026-13", "consultant": "nobody",
              "drill": "no_such_kpi", "lang": "fr"}  # fmt: skip
    at = open_link(app_db, monkeypatch, "sales", params)
    assert not at.exception
    notice = at.toast[0].value
    for name in ("store", "month", "consultant", "drill", "lang"):
        assert name in notice
    assert "nowhere" not in notice and "nobody" not in notice  # never echoes the value
    ctx = at.session_state["_ctx"]
    assert ctx.month == "2026-11" and ctx.filters == {} and ctx.store is None
    assert "drill" not in at.query_params


def test_a_bad_custom_range_falls_back_to_the_month(app_db, monkeypatch):
    at = open_link(app_db, monkeypatch, "sales", {"from": "2026-11-20", "to": "2026-11-02"})
    assert "from/to" in at.toast[0].value
    assert at.session_state["_ctx"].month == "2026-11"


# ------------------------------------------------------------------ the consultant's page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_consultants_page(app_db, monkeypatch, lang):
    params = {"store": STORE, "consultant": CONSULTANT, "month": "2026-10"}
    at = open_link(app_db, monkeypatch, "consultant", params, lang=lang)
    assert not at.error
    title = {"en": f"Consultant: {CONSULTANT}", "zh": f"销售顾问：{CONSULTANT}"}[lang]
    assert at.title[0].value == title
    rank = at.markdown[0].value
    assert rank.startswith("Rank " if lang == "en" else "2026年10月排名")
    orders = library_month_for(app_db, "orders", CONSULTANT)
    label = "New orders" if lang == "en" else "新增订单"
    assert metric(at, label) == kpi_value("orders", orders, lang)
    months = at.dataframe[-1].value
    assert len(months) == 12


def library_month_for(db: Path, kpi_id: str, consultant: str) -> int:
    scope = Scope.for_month("2026-10", today=date.fromisoformat(DEMO_TODAY), store=STORE)
    with connect(db, read_only=True) as con:
        return sales.summary(con, scope.with_filters(consultant=consultant))[kpi_id]


def test_the_sales_ranking_links_to_the_consultants_page(app_db, monkeypatch):
    at = open_link(app_db, monkeypatch, "sales", {"store": STORE, "month": "2026-10"})
    ranking = at.dataframe[0].value
    links = ranking["Page"].tolist()
    assert links and all(u.startswith("consultant?consultant=") for u in links)
    assert f"store={STORE}" in links[0] and "month=2026-10" in links[0]


def test_every_record_column_has_a_header_in_both_languages(app_db):
    from kpi import catalogue
    from ui.i18n import STRINGS

    scope = Scope.for_month("2026-10", today=date.fromisoformat(DEMO_TODAY), store=STORE)
    columns: set[str] = set()
    with connect(app_db, read_only=True) as con:
        for kpi_id in catalogue.CATALOGUE:
            for part in drill.parts(kpi_id):
                columns |= set(drill.records(con, scope, kpi_id, part).columns)
    missing = {c for c in columns if f"col.{c}" not in STRINGS and c not in catalogue.CATALOGUE}
    assert not missing


def test_a_clicked_chart_point_names_its_records():
    from ui.drill import ChartDrill, point_drill

    days = ChartDrill(kpis=("walk_in_batches", "phone_batches"), by="day",
                      keys=(date(2026, 11, 1), date(2026, 11, 2)))  # fmt: skip
    # Streamlit's selection point: trace (curve) 1 = calls, its second point = 2 Nov.
    assert point_drill(days, {"curve_number": 1, "point_index": 1}) == (
        "phone_batches",
        "value",
        "day",
        "2026-11-02",
    )
    stages = ChartDrill(point_kpis=("walk_in_batches", "test_drives", "orders", "deliveries"))
    assert point_drill(stages, {"curve_number": 0, "point_number": 2}) == (
        "orders",
        "value",
        None,
        None,
    )
    ratio = ChartDrill(kpis=("close_rate",), by="channel", keys=("autohome",))
    assert point_drill(ratio, {"curve_number": 0, "point_index": 0}) == (
        "close_rate",
        "numerator",
        "channel",
        "autohome",
    )
    store_avg = ChartDrill(kpis=("deliveries", None), by="month", keys=("2026-10",))
    assert point_drill(store_avg, {"curve_number": 1, "point_index": 0}) is None


def test_records_close_when_the_menu_moves_to_another_page(app_db, monkeypatch):
    at = open_link(app_db, monkeypatch, "sales", {"store": STORE, "drill": "orders"})
    assert records_line(at)
    at.switch_page("pages/customers.py").run()
    assert not at.exception
    assert "drill" not in at.query_params
    assert not [m for m in at.markdown if " records" in m.value]
