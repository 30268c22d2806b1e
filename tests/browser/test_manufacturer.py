"""The Manufacturer page (厂家商务) in a real browser at 1440 px, in both languages.

Screenshots go to tests/artifacts/manufacturer_<lang>.png: one store's programmes, each with its
cards, the units bars and the tier lines with their labels.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_manufacturer_page_renders(app_server, browser_page, lang):
    browser_page.goto(f"{app_server.url}/manufacturer?lang={lang}&store=sh-pudong")
    wait_for_app(browser_page)
    shot = screenshot(browser_page, f"manufacturer_{lang}")
    assert browser_page.locator("[data-testid='stException']").count() == 0, f"see {shot}"
    assert browser_page.locator("h1").first.inner_text().strip() in ("厂家商务", "Manufacturer")
    # two programmes of the store: two charts, each with its tier labels drawn
    assert browser_page.locator("[data-testid='stPlotlyChart']").count() == 2, f"see {shot}"
    labels = browser_page.locator(
        "[data-testid='stPlotlyChart'] .annotation-text"
    ).all_inner_texts()
    assert len(labels) == 5, labels  # 3 retail tiers + 2 wholesale tiers
