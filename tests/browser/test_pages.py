"""Every page in a real browser: it renders without an exception, in both languages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from ui.i18n import t

# One browser smoke test for every screen (AppTest checks their numbers; this one shows that
# they render in Chromium, and keeps a screenshot of each in tests/artifacts/).
PAGES = ["overview", "sales", "inventory", "service", "workshop", "order_planning", "manufacturer",
         "marketing", "customers", "finance", "targets", "data_status"]  # fmt: skip

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders(app_server, browser_page, lang):
    for name in PAGES:
        browser_page.goto(f"{app_server.url}/{name}?lang={lang}")
        wait_for_app(browser_page)
        shot = screenshot(browser_page, f"{name}_{lang}")
        errors = browser_page.locator("[data-testid='stException']")
        assert errors.count() == 0, (
            f"{name} ({lang}) shows an exception; see {shot}\n{app_server.output()}"
        )
        assert browser_page.locator("h1").first.is_visible(), f"{name} ({lang}) has no title"


def test_empty_database_shows_first_run(start_server, browser_page, tmp_path):
    server = start_server(tmp_path / "missing.duckdb")
    browser_page.goto(f"{server.url}/sales?lang=en")
    wait_for_app(browser_page)
    screenshot(browser_page, "first_run_en")
    assert browser_page.locator("[data-testid='stException']").count() == 0
    assert browser_page.get_by_text(t("first_run.title", "en")).first.is_visible()
    # the command lines wait for IT in an expander
    browser_page.get_by_text(t("first_run.it", "en")).first.click()
    browser_page.get_by_text("make run").first.wait_for(state="visible", timeout=10_000)
