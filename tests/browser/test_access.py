"""Private stores in a real Chromium: the TV URL in every spelling of a private store shows the
sign-in and no figure; names from data render as text (no remote image, no link).

The server decodes the query string itself (%20, %09, %E3%80%80 ...), so these run against
`streamlit run`, not AppTest.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser.conftest import Server, wait_for_app
from tests.helpers import insert
from warehouse.db import bump_data_version, connect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IMAGE = "![x](http://127.0.0.1:9/x.png)"
LINK = "**Closed** [Sign in](https://evil.invalid/)"
# s1: the TV board public; s2: private. Every spelling of s2 must stop at the sign-in.
PRIVATE_SPELLINGS = ("s2", "s2%20", "%20s2", "s2%09", "%09s2", "s2%E3%80%80", "S2", "s2%0A")


@pytest.fixture(scope="module")
def access_db(tmp_path_factory) -> Path:
    from tests.ui.sample_store import build

    path = build(tmp_path_factory.mktemp("access") / "store.duckdb")
    order = {
        "order_id": "hostile", "order_date": date(2026, 11, 2), "status": "delivered",
        "delivery_date": date(2026, 11, 20), "consultant": IMAGE, "model": "X5",
        "customer_id": "c-hostile", "sale_type": "retail", "buyer_type": "private",
        "channel": "wechat", "sale_price": 101_000.0, "vehicle_cost": 100_000.0,
        "rebate": 0.0, "fi_income": 0.0, "accessories_revenue": 0.0,
        "accessories_cost": 0.0, "finance": False, "insurance": False, "trade_in": False,
    }  # fmt: skip
    with connect(path) as con:
        insert(con, "orders", [order], store="s1")
        con.execute("UPDATE stores SET public_tv = true WHERE store = 's1'")
        bump_data_version(con)
    return path


@pytest.fixture(scope="module")
def access_server(start_server, access_db) -> Server:
    return start_server(access_db)


def open_url(page, server: Server, query: str) -> None:
    page.goto(f"{server.url}/kanban?{query}")
    wait_for_app(page)
    page.wait_for_timeout(800)


@pytest.mark.parametrize("spelling", PRIVATE_SPELLINGS)
def test_every_spelling_of_a_private_store_stops_at_the_sign_in(
    browser_page, access_server, spelling
):
    open_url(browser_page, access_server, f"tv=1&lang=en&panel=leaderboard&store={spelling}")
    body = browser_page.inner_text("body")
    assert "Sign-in needed" in body
    assert browser_page.locator(".st-key-tv-board").count() == 0
    assert browser_page.locator("[data-testid='stTable'], [data-testid='stMetric']").count() == 0


def test_the_public_board_shows_a_markdown_name_as_text_and_loads_no_image(
    browser_page, access_server
):
    requested: list[str] = []
    browser_page.on("request", lambda r: requested.append(r.url))
    open_url(browser_page, access_server, "tv=1&lang=en&panel=leaderboard&store=s1%20")
    browser_page.wait_for_selector(".st-key-tv-board", timeout=60_000)
    board = browser_page.locator(".st-key-tv-board")
    assert IMAGE in board.inner_text()
    assert board.locator("img").count() == 0
    assert not [u for u in requested if "127.0.0.1:9" in u]


def test_a_markdown_store_parameter_renders_no_link(browser_page, access_server):
    open_url(browser_page, access_server, f"tv=1&lang=en&store={quote(LINK)}")
    assert "Sign-in needed" in browser_page.inner_text("body")
    assert browser_page.locator("a[href*='evil.invalid']").count() == 0
