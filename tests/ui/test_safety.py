"""Data shows as text and tables download escaped: Markdown and Plotly tags from data or the
URL are not rendered, and Streamlit's own (unescaped) table export is off."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import insert
from tests.ui.signin import ROOT, made_public, start, texts
from ui.auth import md
from ui.theme import plain_text
from warehouse.db import connect

IMAGE = "![x](http://host.invalid/x.png)"
LINK = "**Closed** [Sign in](https://evil.invalid)"
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """One store named like a link whose consultant is named like an image; made public."""
    path = tmp_path_factory.mktemp("hostile") / "store.duckdb"
    order = {
        "order_id": "o1", "order_date": date(2026, 11, 2), "delivery_date": date(2026, 11, 20),
        "status": "delivered", "consultant": IMAGE, "model": "<a href='https://evil'>X5</a>",
        "customer_id": "c1", "sale_type": "retail", "buyer_type": "private",
        "channel": "wechat", "sale_price": 101_000.0, "vehicle_cost": 100_000.0,
        "rebate": 0.0, "fi_income": 0.0, "accessories_revenue": 0.0,
        "accessories_cost": 0.0, "finance": False, "insurance": False, "trade_in": False,
    }  # fmt: skip
    with connect(path) as con:
        insert(con, "orders", [order], store="s1")
        con.execute("UPDATE stores SET name = $n", {"n": LINK})
    return made_public(path)


def test_streamlit_table_export_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True


def test_md_escapes_every_markdown_construct_of_the_probes():
    assert md(IMAGE) == r"\!\[x\]\(http\://host\.invalid/x\.png\)"
    assert md(LINK) == r"\*\*Closed\*\* \[Sign in\]\(https\://evil\.invalid\)"
    assert md(":red[x] :material/home:") == r"\:red\[x\] \:material/home\:"


def test_chart_text_from_data_shows_as_written():
    fig = go.Figure(go.Bar(x=["<a href='https://evil'>X5</a>", "F&I"], y=[1, 2], name="<b>n</b>"))
    plain_text(fig)
    assert fig.data[0].x == ("&lt;a href='https://evil'&gt;X5&lt;/a&gt;", "F&amp;I")
    assert fig.data[0].name == "&lt;b&gt;n&lt;/b&gt;"


def test_the_tv_shows_a_markdown_name_as_text(hostile_db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(hostile_db))
    monkeypatch.setenv("KPI_TODAY", TODAY.isoformat())
    for panel, column, value in (("leaderboard", "Consultant", IMAGE),
                                 ("models", "Model", "<a href='https://evil'>X5</a>")):  # fmt: skip
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.query_params.update({"tv": "1", "store": "s1", "panel": panel, "lang": "en"})
        at.switch_page("pages/kanban.py").run()
        assert not at.exception
        assert md(value) in list(at.table[0].value[column])
        assert LINK in texts(at.text)  # the header: st.text, never Markdown


def test_a_store_name_in_captions_is_escaped(hostile_db, monkeypatch):
    monkeypatch.setenv("KPI_TODAY", TODAY.isoformat())
    at = start(hostile_db, monkeypatch, store="s1")
    at.switch_page("pages/sales.py").run()
    assert not at.exception
    captions = texts(at.caption)
    assert any(md(LINK) in c for c in captions)
    assert not any(LINK in c for c in captions)


def test_every_table_offers_the_escaped_download(hostile_db, monkeypatch):
    monkeypatch.setenv("KPI_TODAY", TODAY.isoformat())
    at = start(hostile_db, monkeypatch, store="s1")
    at.switch_page("pages/sales.py").run()
    buttons = [b for b in at.get("download_button") if b.proto.label == "Download CSV"]
    assert len(at.dataframe) >= 1
    assert len(buttons) == len(at.dataframe)
