"""The workshop page's technician heatmap past the cap of 40 rows, and under it.

The roster (November 2026 only, today 2026-11-25), productivity = clocked ÷ available:
- s1: T01..T45, T<i> available 100 h, clocked 50 + i h: 51% (T01) .. 95% (T45).
- s2: U1 161 of 200 h (80.5%), U2 121 of 200 h (60.5%), U3 0 of 0 h (no value, unranked).
48 technicians, 47 ranked. Highest first: T45..T31 are #1..#15 (95%..81%), U1 #16,
T30..T11 #17..#36 (80%..61%), U2 #37, T10..T01 #38..#47 (60%..51%).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.helpers import insert
from tests.ui.signin import made_public
from warehouse.db import connect

pytestmark = pytest.mark.slow


def _tech(name: str, available: float, clocked: float) -> dict:
    return {
        "month": "2026-11",
        "technician": name,
        "available_hours": available,
        "clocked_hours": clocked,
        "training_required": 0,
        "training_passed": 0,
    }


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    path = tmp_path_factory.mktemp("workshop") / "workshop.duckdb"
    with connect(path) as con:
        insert(con, "technicians", [_tech(f"T{i:02d}", 100.0, 50.0 + i) for i in range(1, 46)])
        insert(
            con,
            "technicians",
            [_tech("U1", 200.0, 161.0), _tech("U2", 200.0, 121.0), _tech("U3", 0.0, 0.0)],
            store="s2",
        )
        con.execute("UPDATE meta SET value = '1' WHERE key = 'data_version'")
    return made_public(path)  # read as anyone (stores are private by default)


def _open(run_app, db, **state):
    at = run_app(db, "pages/workshop.py", "en", **state)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _heatmap(at) -> dict:
    chart = [c for c in at.get("plotly_chart") if "tech_monthly" in c.proto.id][0]
    return json.loads(chart.proto.spec)["data"][0]


def test_past_the_cap_the_heatmap_shows_the_20_best_and_20_worst(run_app, crowded):
    at = _open(run_app, crowded)
    heat = _heatmap(at)
    assert len(heat["y"]) == 40
    assert heat["y"][:2] == ["#1 T45 · s1", "#2 T44 · s1"]
    assert heat["y"][15] == "#16 U1 · s2"  # 80.5%, between T31 (81%) and T30 (80%)
    assert heat["y"][19] == "#20 T27 · s1"  # the last of the best 20
    assert heat["y"][20] == "#28 T19 · s1"  # the first of the worst 20: 47 - 20 + 1 = 28
    assert heat["y"][29] == "#37 U2 · s2"  # 60.5%, between T11 (61%) and T10 (60%)
    assert heat["y"][39] == "#47 T01 · s1"
    assert len(heat["x"]) == 12  # December 2025 .. November 2026
    assert heat["text"][0][-1] == "95%"  # T45 in November: 95 / 100
    assert heat["text"][0][0] == "—"  # no roster in December 2025
    assert heat["text"][39][-1] == "51%"  # T01: 51 / 100
    captions = [c.value for c in at.caption]
    assert (
        "48 technicians: the 20 highest and the 20 lowest by Technician productivity over the "
        "12 months are shown, ranked (#1 is the highest). Every technician is in the table "
        "below the chart." in captions
    )
    assert "Pick a store in the sidebar to see each of its technicians." in captions


def test_every_technician_stays_in_the_table_and_its_download(run_app, crowded):
    at = _open(run_app, crowded)
    assert [e.label for e in at.expander][0] == "Every technician: Technician productivity by month"
    table = [d.value for d in at.dataframe if "Rank" in d.value.columns][0]
    assert len(table) == 48
    assert table["Technician"].tolist()[:3] == ["T45", "T44", "T43"]
    assert table["Technician"].tolist()[-2:] == ["T01", "U3"]  # U3 has no value: last
    assert table["Rank"].tolist()[:3] == [1, 2, 3]
    assert table["Rank"].isna().tolist()[-2:] == [False, True]
    total = "Technician productivity (12 months)"
    assert table[total].tolist()[:2] == [pytest.approx(95.0), pytest.approx(94.0)]
    assert table["2026-11"].tolist()[15] == pytest.approx(80.5)  # U1: 161 / 200
    assert any(b.proto.label == "Download CSV" for b in at.get("download_button"))


def test_under_the_cap_every_technician_is_drawn_without_a_caption(run_app, crowded):
    at = _open(run_app, crowded)
    at.selectbox(key="store").select("s2").run()
    assert not at.exception, [e.value for e in at.exception]
    heat = _heatmap(at)
    assert heat["y"] == ["#1 U1", "#2 U2", "– U3"]  # one store: no store in the label
    assert heat["text"][0][-1] == "80%"  # 0.805 shown to whole percent (half to even)
    assert not [c for c in at.caption if "technicians:" in c.value]
    assert not at.expander or "Every technician" not in at.expander[0].label


@pytest.fixture(scope="module")
def mostly_unranked(tmp_path_factory):
    """41 technicians in s1: R01..R35 with hours (productivity 51%..85%), N1..N6 without."""
    path = tmp_path_factory.mktemp("workshop_unranked") / "workshop.duckdb"
    with connect(path) as con:
        insert(
            con,
            "technicians",
            [_tech(f"R{i:02d}", 100.0, 50.0 + i) for i in range(1, 36)]
            + [_tech(f"N{i}", 0.0, 0.0) for i in range(1, 7)],
        )
        con.execute("UPDATE meta SET value = '1' WHERE key = 'data_version'")
    return made_public(path)  # read as anyone (stores are private by default)


def test_past_the_cap_with_few_ranked_every_ranked_one_is_drawn(run_app, mostly_unranked):
    at = _open(run_app, mostly_unranked)
    heat = _heatmap(at)
    # 41 > 40, but only 35 have a value: all 35 are drawn (not 20 + 20), best first.
    assert len(heat["y"]) == 35
    # The only store is shown on its own: no store in the labels, no hint to pick one.
    assert (heat["y"][0], heat["y"][34]) == ("#1 R35", "#35 R01")
    captions = [c.value for c in at.caption]
    assert (
        "41 technicians: the 35 with a value of Technician productivity over the 12 months "
        "are shown, ranked (#1 is the highest). Every technician is in the table below the "
        "chart." in captions
    )
    assert "Pick a store in the sidebar to see each of its technicians." not in captions


def test_shown_rows_takes_the_best_and_worst_of_the_ranked():
    from ui.technicians import shown_rows

    ranks = [1, 2, 3, 4, 5, None]
    trend = pd.DataFrame({"rank": ranks, "technician": list("abcdef"), "store": ["s"] * 6})
    assert shown_rows(trend, cap=6, each=2)["technician"].tolist() == list("abcdef")  # <= cap
    assert shown_rows(trend, cap=5, each=2)["technician"].tolist() == ["a", "b", "d", "e"]
    assert shown_rows(trend, cap=5, each=3)["technician"].tolist() == list("abcde")  # 5 <= 6
