"""The GM's phone: Overview, Sales, Customers (overdue list) and the consultant ranking at
390×844 in Chromium: no sideways page scroll, readable Chinese, tables that scroll inside
themselves. Screenshots are kept in tests/artifacts/phone_*.png to be looked at."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app

PHONE = {"width": 390, "height": 844}
TOLERANCE_PX = 2
# (name, path): the pages a digest's links open, with the store the link names.
# The last item: an element that shows the page has drawn its figures.
PAGES = [
    ("overview", "?store=sh-pudong", "[data-testid=stMetric]"),
    ("sales", "sales?store=sh-pudong", "[data-testid=stMetric]"),
    ("customers", "customers?store=sh-pudong", "[data-testid=stDataFrame]"),
    (
        "ranking",
        "kanban?store=sh-pudong&panel=leaderboard",
        ".st-key-tv-board [data-testid=stTable]",
    ),
]


def _open(page, url: str, ready: str) -> None:
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector(ready, timeout=60_000)  # a cold server's first run may lag
    wait_for_app(page)


pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def phone(browser):
    page = browser.new_page()  # the session's persistent context: size set per tab
    page.set_viewport_size(PHONE)
    yield page
    page.close()


def _overflow(page) -> list[str]:
    """Return elements of the main area wider than the screen that do not scroll themselves."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] *')].filter(e => {
             const r = e.getBoundingClientRect();
             if (r.width === 0 || r.right <= window.innerWidth + 2) return false;
             // inside an element that scrolls sideways itself (tables, charts): fine
             for (let p = e; p; p = p.parentElement) {
               const s = getComputedStyle(p);
               if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && p !== e
                   && p.getBoundingClientRect().right <= window.innerWidth + 2) return false;
             }
             return true;
           }).slice(0, 5).map(e => (e.getAttribute('data-testid') || e.tagName)
             + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_fit_a_phone(app_server, phone, lang):
    for name, path, ready in PAGES:
        _open(phone, f"{app_server.url}/{path}&lang={lang}", ready)
        shot = screenshot(phone, f"phone_{name}_{lang}")
        assert phone.locator("[data-testid='stException']").count() == 0, (
            f"{name} ({lang}) shows an exception; see {shot}\n{app_server.output()}"
        )
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + TOLERANCE_PX, f"{name} ({lang}) is {width}px wide; {shot}"
        main = phone.evaluate(
            "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
            "[data-testid=stAppViewContainer]')].map(e => e.scrollWidth))"
        )
        assert main <= PHONE["width"] + TOLERANCE_PX, f"{name} ({lang}): main {main}px; {shot}"
        assert not _overflow(phone), f"{name} ({lang}) overflows: {_overflow(phone)}; {shot}"
        if lang == "zh":
            size = phone.evaluate(
                "() => parseFloat(getComputedStyle(document.querySelector("
                "'[data-testid=stMarkdownContainer] p, [data-testid=stMetricLabel]')).fontSize)"
            )
            assert size >= 12, f"{name}: Chinese text at {size}px is too small to read"


def test_cards_two_a_row_at_most(app_server, phone):
    _open(phone, f"{app_server.url}/?store=sh-pudong&lang=zh", "[data-testid=stMetric]")
    lefts = phone.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".map(e => Math.round(e.getBoundingClientRect().top) + ':' +"
        " Math.round(e.getBoundingClientRect().left))"
    )
    per_row: dict[str, int] = {}
    for item in lefts:
        top = item.split(":")[0]
        per_row[top] = per_row.get(top, 0) + 1
    assert lefts and max(per_row.values()) <= 2, per_row
