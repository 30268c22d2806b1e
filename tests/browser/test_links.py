"""Issue 17 in a real browser: filter, click a chart point, share the link, use the back button.

The shared link is opened by a separate Chromium process (tests/browser/fresh.py): a fresh
browser with nothing in common with the one that made the link. Screenshots in both
languages go to tests/artifacts/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from kpi import sales
from kpi.scope import Scope
from tests.browser.conftest import ARTIFACTS, DEMO_TODAY, ROOT, screenshot, wait_for_app
from warehouse.db import connect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STORE = "sh-pudong"
CAPTIONS = "[data-testid=stMain] [data-testid=stCaptionContainer]"  # the page's, not the sidebar's
CONSULTANT = "张伟"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def settle(page) -> None:
    page.wait_for_timeout(600)  # the rerun starts after the click
    wait_for_app(page)


def orders_of(db, month: str, **filters) -> int:
    scope = Scope.for_month(month, today=date.fromisoformat(DEMO_TODAY), store=STORE)
    with connect(db, read_only=True) as con:
        return sales.summary(con, scope.with_filters(**filters))["orders"]


def pick(page, key: str, option: str) -> None:
    """Choose an option of the sidebar selectbox with the widget key ``key``."""
    page.locator(f".st-key-{key} [data-testid=stSelectbox] input").click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option).first.click()
    settle(page)


def test_filter_click_share_and_go_back(app_server, app_db, browser_page):
    page = browser_page
    page.goto(f"{app_server.url}/sales?lang=en&store={STORE}&month=2026-10")
    wait_for_app(page)
    pick(page, "flt_consultant", CONSULTANT)
    assert query(page.url)["consultant"] == CONSULTANT
    caption = page.locator(CAPTIONS).first.inner_text()
    assert f"Filtered: Consultant {CONSULTANT}" in caption

    # Click the funnel's "orders" stage: its records open in a dialog.
    page.locator(".st-key-funnel .point path").nth(2).click(force=True)
    settle(page)
    dialog = page.locator("[role=dialog]")
    dialog.locator("[data-testid=stDataFrame]").wait_for(timeout=30_000)
    n = orders_of(app_db, "2026-10", consultant=CONSULTANT)
    assert f"{n} records" in dialog.inner_text()
    shared = page.url
    view = {"lang": "en", "store": STORE, "month": "2026-10", "consultant": CONSULTANT}
    assert query(shared) == {**view, "drill": "orders", "part": "value"}
    screenshot(page, "drill_sales_en")

    # A fresh browser opens the same view from the link alone.
    shot = str(ARTIFACTS / "drill_shared_link_en.png")
    out = subprocess.run(
        [sys.executable, "-m", "tests.browser.fresh", shared, shot],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["exceptions"] == 0
    assert seen["title"] == "Sales"
    assert any(f"Filtered: Consultant {CONSULTANT}" in c for c in seen["captions"])
    assert f"{n} records" in seen["dialog"]
    assert query(seen["url"]) == query(shared)

    # Back: the dialog closes; back again: the consultant filter is gone.
    page.go_back()
    settle(page)
    assert page.locator("[role=dialog]").count() == 0
    assert "drill" not in query(page.url) and query(page.url)["consultant"] == CONSULTANT
    page.go_back()
    settle(page)
    assert "consultant" not in query(page.url)
    assert "Filtered" not in page.locator(CAPTIONS).first.inner_text()
    assert page.locator("[data-testid=stException]").count() == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_consultant_page_and_records_screenshots(app_server, browser_page, lang):
    page = browser_page
    page.goto(f"{app_server.url}/consultant?lang={lang}&store={STORE}&consultant={CONSULTANT}"
              "&month=2026-10")  # fmt: skip
    wait_for_app(page)
    assert CONSULTANT in page.locator("h1").first.inner_text()
    screenshot(page, f"consultant_{lang}")
    # A ratio card opens its numerator and denominator.
    page.locator(".st-key-drill_close_rate_0 button").first.click()
    settle(page)
    dialog = page.locator("[role=dialog]")
    dialog.locator("[data-testid=stDataFrame]").wait_for(timeout=30_000)
    text = dialog.inner_text()
    assert re.search("分子|Numerator", text) and re.search("分母|Denominator", text)
    assert page.locator("[data-testid=stException]").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"drill_ratio_{lang}.png"))
