"""The group view on a tiny named two-store group: pooled totals, heatmap colours, click-through.

The group (November 2026, today 2026-11-25):
- s1 "西湖店" (上汽大众, 浙江): 10 walk-ins, 4 with a test drive, 5 first visits; 2 retail
  orders, both delivered in November.
- s2 "滨江店" (一汽-大众, 浙江): 5 walk-ins, 1 with a test drive, 3 first visits; 1 retail
  order delivered in November, not financed.
s1's first order is financed, its second not.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from tests.helpers import insert
from tests.ui.signin import made_public
from warehouse.db import connect

pytestmark = pytest.mark.slow

NOV = date(2026, 11, 10)


def _walk_ins(store: str, n: int, test_drives: int) -> list[dict]:
    return [
        {
            "store": store,
            "visit_id": f"{store}-v{i}",
            "visit_date": NOV,
            "kind": "walk_in",
            "first_visit": i % 2 == 0,
            "customer_id": f"{store}-c{i}",
            "consultant": "王磊",
            "test_drive": i < test_drives,
        }
        for i in range(n)
    ]


def _orders(store: str, n: int) -> list[dict]:
    return [
        {
            "store": store,
            "order_id": f"{store}-o{i}",
            "order_date": NOV,
            "delivery_date": date(2026, 11, 20),
            "status": "delivered",
            "customer_id": f"{store}-c{i}",
            "consultant": "王磊",
            "sale_type": "retail",
            "buyer_type": "private",
            "sale_price": 150_000.0,
            "vehicle_cost": 140_000.0,
            "finance": store == "s1" and i == 0,
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def tiny_group(tmp_path_factory):
    path = tmp_path_factory.mktemp("group_view") / "group.duckdb"
    with connect(path) as con:
        # First visits are the even-numbered walk-ins: s1 5 of 10, s2 3 of 5.
        insert(con, "traffic", _walk_ins("s1", 10, 4) + _walk_ins("s2", 5, 1))
        insert(con, "orders", _orders("s1", 2) + _orders("s2", 1))
        for store, name, brand in (("s1", "西湖店", "上汽大众"), ("s2", "滨江店", "一汽-大众")):
            con.execute(
                "UPDATE stores SET name = $n, brand = $b, region = '浙江' WHERE store = $s",
                {"n": name, "b": brand, "s": store},
            )
        con.execute("UPDATE meta SET value = '1' WHERE key = 'data_version'")
    return made_public(path)  # read as anyone (stores are private by default)


def _open(run_app, db, lang="en", **state):
    at = run_app(db, "pages/group.py", lang, **state)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at, key):
    """Return the group total (the page's first table) or the ranking (its second)."""
    return at.dataframe[0 if key == "group_totals" else 1].value


def _heatmap(at) -> dict:
    chart = [c for c in at.get("plotly_chart") if "group_heatmap" in c.proto.id][0]
    return json.loads(chart.proto.spec)["data"][0]


@pytest.mark.parametrize(
    ("lang", "title", "walk_ins", "rate"),
    [
        ("en", "Group view", "Showroom traffic", "Test-drive rate"),
        ("zh", "集团总览", "来店批次", "试驾率"),
    ],
)
def test_totals_are_pooled_in_both_languages(run_app, tiny_group, lang, title, walk_ins, rate):
    at = _open(run_app, tiny_group, lang)
    assert at.title[0].value == title
    totals = _table(at, "group_totals")
    assert totals[walk_ins].tolist() == [15]  # 10 + 5 walk-ins
    # Pooled: (4 + 1) test drives / (10 + 5) walk-ins = 1/3, shown in percent; the mean of the
    # stores' rates (40% and 20%) would be 30%.
    assert totals[rate].tolist() == [pytest.approx(100 / 3)]


def test_ranking_lists_each_store_with_its_own_figures(run_app, tiny_group):
    at = _open(run_app, tiny_group, "en", group_rank="test_drive_rate")
    table = _table(at, "group_table")
    assert table["Store"].tolist() == ["西湖店", "滨江店"]  # 40% before 20%
    assert table["Test-drive rate"].tolist() == [pytest.approx(40.0), pytest.approx(20.0)]
    assert table["Deliveries (units sold)"].tolist() == [2, 1]
    assert table["Brand"].tolist() == ["上汽大众", "一汽-大众"]


def test_heatmap_colours_follow_the_catalogue_status(run_app, tiny_group):
    at = _open(run_app, tiny_group, "en", group_rank="test_drive_rate")
    cells = _heatmap(at)
    column = cells["x"].index("Test-drive rate")
    # Warning 0.35, critical 0.25 (up): s1 0.40 is green, s2 0.20 is below critical: red.
    assert [row[column] for row in cells["customdata"]] == ["green", "red"]
    assert [row[column] for row in cells["text"]] == ["40.0%", "20.0%"]
    assert cells["y"] == ["西湖店", "滨江店"]
    # Finance penetration: s1 1 of 2 retail deliveries = 0.5 (green, warning 0.40); s2 0 of 1
    # = 0 (red, critical 0.25).
    column = cells["x"].index("Finance penetration")
    assert [row[column] for row in cells["customdata"]] == ["green", "red"]


def test_region_pools_its_stores(run_app, tiny_group):
    at = _open(run_app, tiny_group, "en", group_by="region")
    table = _table(at, "group_table")
    assert table["Region"].tolist() == ["浙江"]
    assert table["Showroom traffic"].tolist() == [15]
    assert table["Test-drive rate"].tolist() == [pytest.approx(100 / 3)]  # 5 / 15


def test_open_cockpit_sets_the_store_and_shows_the_overview(run_app, tiny_group):
    at = _open(run_app, tiny_group, "en")
    at.selectbox(key="group_open").set_value("s2")
    at.button(key="group_open_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["store"] == "s2"
    assert at.title[0].value == "Overview"
    assert at.selectbox(key="store").value == "s2"


def test_a_heatmap_cell_opens_its_records(run_app, tiny_group):
    # Plotly heatmap cells cannot be clicked in Streamlit: the picker under it opens them.
    at = _open(run_app, tiny_group, "en")
    label = at.selectbox(key="group_cell_row").options[-1]
    at.selectbox(key="group_cell_row").set_value(label)
    at.button(key="group_cell_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    opened = at.session_state["_drill"]
    assert opened["by"] == "store" and opened["point"] in ("s1", "s2")
    assert opened["drill"] == "deliveries"  # the heatmap's first KPI with records


def test_a_warm_rerun_draws_the_same_tables_and_heatmap_in_the_new_language(run_app, tiny_group):
    # The tinted tables and the heatmap come from caches on a rerun (ui/tables.py _styled,
    # ui/group_view.py _heatmap_figure): the same figures, and a language switch redraws them.
    at = _open(run_app, tiny_group, "en", group_rank="test_drive_rate")
    table, cells = _table(at, "group_table"), _heatmap(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    pd.testing.assert_frame_equal(_table(at, "group_table"), table)
    assert _heatmap(at) == cells
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "试驾率" in _heatmap(at)["x"] and "试驾率" in _table(at, "group_table").columns
    assert _heatmap(at)["customdata"] == cells["customdata"]
