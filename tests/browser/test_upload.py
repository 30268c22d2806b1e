"""The Upload page in a real browser: a manager signs in, uploads a GBK export through the file
uploader, maps its unknown column, checks, imports, and sees the Overview's numbers change."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from tests.fixtures.messy.make_fixtures import HERE
from tests.ui.signin import with_accounts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def upload_db(tmp_path):
    """A sample store (two stores to 2026-11-25) with a manager account."""
    from tests.ui.sample_store import build

    return with_accounts(build(tmp_path / "sample.duckdb"), tmp_path / "store.duckdb")


def metric(page, label: str) -> int:
    """Return the whole number shown on the KPI card with this label."""
    card = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile(f"^{label}$"))
    )
    text = card.first.locator("[data-testid='stMetricValue']").inner_text()
    return int(text.replace(",", "").strip())


def shown(page, text: str) -> None:
    """Wait until the text is on the page (a rerun after an upload or a click), then settle."""
    page.get_by_text(text).first.wait_for(state="visible", timeout=60_000)
    wait_for_app(page)


def nav(page, title: str) -> None:
    """Open a page from the sidebar menu (a typed URL would start a new, signed-out session)."""
    more = page.locator("[data-testid='stSidebarNavViewButton']")
    if more.count() and "more" in more.first.inner_text().lower():
        more.first.click()
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    wait_for_app(page)


def sign_in(page):
    """Sign in as the manager boss from the sidebar; return the sidebar."""
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Sign in", exact=True).first.click()
    sidebar.get_by_role("textbox", name="User name").fill("boss")
    sidebar.get_by_role("textbox", name="Password").fill("boss-secret")
    sidebar.get_by_role("button", name="Sign in").click()
    wait_for_app(page)
    return sidebar


def test_manager_uploads_a_gbk_file_and_the_overview_changes(start_server, browser_page, upload_db):
    server = start_server(upload_db)
    page = browser_page
    page.goto(f"{server.url}/?lang=en")
    wait_for_app(page)
    # stores are private until a manager opens them (docs/AUTH.md): sign in first
    sidebar = sign_in(page)
    assert sidebar.get_by_text("Signed in: boss (manager)").is_visible()
    before = metric(page, "Showroom traffic")

    nav(page, "Upload data")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        str(HERE / "traffic_gbk_title.csv")
    )
    shown(page, "Columns not found: kind (来访类型)")
    screenshot(page, "upload_1_unknown_column_en")

    combo = page.get_by_role("combobox", name="接待方式 (not recognised)")
    combo.click()
    combo.fill("kind")  # the list filters as one types; the option then is in view
    page.get_by_role("option", name="kind (来访类型)").click()
    shown(page, "All 4 rows are fine.")

    page.get_by_role("button", name="Check what will change").click()
    shown(page, "What the import will do (nothing written yet)")
    screenshot(page, "upload_2_dry_run_en")

    page.get_by_role("button", name="Import 1 file(s) now").click()
    shown(page, "imported — 4 new, 0 updated, 0 unchanged")
    screenshot(page, "upload_3_imported_en")

    nav(page, "Overview")
    after = metric(page, "Showroom traffic")
    assert after - before == 3  # walk-ins U-001, U-002 and U-004 (U-003 is a phone call)
    screenshot(page, "upload_4_overview_after_en")

    # The same page in Chinese, as a general manager reads it: history and undo.
    sidebar.get_by_text("中文", exact=True).click()
    wait_for_app(page)
    nav(page, "数据导入")
    page.get_by_text("撤销导入").first.click()
    shown(page, "要撤销的导入(每张表仅限最近一次)")
    screenshot(page, "upload_5_history_zh")


def open_list(page, combo) -> None:
    """Open a selectbox's list: typing a word of every option (the table) lists them."""
    combo.locator("xpath=..").get_by_role("button", name="Open").click()
    combo.click()
    page.keyboard.press("Control+A")  # a word left from an earlier try is replaced
    page.keyboard.type("orders")


def choose_first(page, combo, attempts: int = 3) -> str:
    """Choose a selectbox's first option and return its text.

    A rerun that lands while the list is open (the page settling after an import or an undo)
    closes it: the list is opened again, up to ``attempts`` times.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        wait_for_app(page)
        open_list(page, combo)
        option = page.get_by_role("option").first
        try:
            option.wait_for(state="visible", timeout=10_000)
            text = option.inner_text(timeout=5_000)
            option.click(timeout=5_000)
            return text
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
    raise AssertionError("unreachable")


def test_import_several_then_a_correction_then_undo_the_newest(
    start_server, browser_page, upload_db
):
    """One browser visit: two files, then a correction; the undo picks nothing by itself,
    says what it removes, undoes the correction (the newest), and its confirm box takes the
    first click after an undo."""
    server = start_server(upload_db)
    page = browser_page
    page.goto(f"{server.url}/?lang=en")
    wait_for_app(page)
    sign_in(page)
    nav(page, "Upload data")

    dropzone = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    dropzone.set_input_files([str(HERE / "orders_bom.csv"), str(HERE / "repair_orders_utf16.txt")])
    shown(page, "All 3 rows are fine.")
    page.get_by_role("button", name="Check what will change").click()
    shown(page, "What the import will do (nothing written yet)")
    page.get_by_role("button", name="Import 2 file(s) now").click()
    shown(page, "orders_bom.csv: imported — 3 new")

    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        str(HERE / "orders_update_bom.csv")
    )
    shown(page, "All 3 rows are fine.")
    page.get_by_role("button", name="Check what will change").click()
    shown(page, "What the import will do (nothing written yet)")
    page.get_by_role("button", name="Import 1 file(s) now").click()
    shown(page, "orders_update_bom.csv: imported — 1 new, 1 updated, 1 unchanged")

    page.get_by_text("Undo an import").first.click()
    combo = page.get_by_role("combobox", name="Import to undo (the newest of each table)")
    combo.wait_for(state="visible")
    assert combo.input_value() == ""  # nothing preselected
    assert combo.get_attribute("placeholder") == "Choose an import…"
    assert not page.get_by_role("button", name="Undo this import").count()  # none yet
    assert "orders_update_bom.csv" in choose_first(page, combo)  # the newest comes first
    shown(page, "Undoing removes 2 Orders rows")
    assert page.get_by_text("orders_update_bom.csv wrote").first.is_visible()
    assert page.get_by_role("button", name="Undo this import").is_disabled()
    page.get_by_text("Yes: remove the rows this import wrote").click()
    wait_for_app(page)
    page.get_by_role("button", name="Undo this import").click()
    shown(page, "orders_update_bom.csv: undone — 2 rows removed, 1 earlier rows restored.")
    screenshot(page, "upload_6_undone_en")

    # The next undo: the box again starts empty and the confirm box takes its first click.
    combo = page.get_by_role("combobox", name="Import to undo (the newest of each table)")
    if not combo.is_visible():
        page.get_by_text("Undo an import").first.click()
    combo.wait_for(state="visible")
    assert combo.input_value() == ""
    choose_first(page, combo)
    shown(page, "Undoing removes")
    page.get_by_text("Yes: remove the rows this import wrote").click()
    wait_for_app(page)
    # the checkbox's rerun enables the button: wait for it (a busy machine may not have
    # started that rerun when the app last looked idle), then it must be enabled
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Undo this import")).to_be_enabled(timeout=20_000)
