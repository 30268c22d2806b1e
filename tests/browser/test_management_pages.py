"""The management pages' actions in a real browser (each page's rendering and screenshot is
tests/browser/test_pages.py): the Finance page's report button downloads a workbook that
opens; a manager signs in, splits an annual target and sees the proposal before saving.
"""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import screenshot, wait_for_app
from warehouse.auth import create_user
from warehouse.db import connect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _assert_clean(page, shot) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, f"exception; see {shot}"
    assert page.locator("h1").first.is_visible(), f"no title; see {shot}"


def test_report_button_downloads_a_workbook(app_server, browser_page, tmp_path):
    browser_page.goto(f"{app_server.url}/finance?lang=en")
    wait_for_app(browser_page)
    with browser_page.expect_download(timeout=120_000) as info:
        browser_page.get_by_role("button", name="Monthly report (Excel)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "kpi-report_all_2026-11_en.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["Cover", "Sales"]


def test_manager_splits_an_annual_target(start_server, app_db, browser_page, tmp_path):
    db = tmp_path / "store.duckdb"
    shutil.copy(app_db, db)
    with connect(db) as con:
        create_user(con, "gm", "password-gm", "manager", "GM")
    server = start_server(db)
    page = browser_page
    page.goto(f"{server.url}/targets?lang=en")
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Sign in").first.click()
    sidebar.get_by_role("textbox", name="User name").fill("gm")
    sidebar.get_by_role("textbox", name="Password").fill("password-gm")
    sidebar.locator("[data-testid='stFormSubmitButton'] button").click()
    wait_for_app(page)
    # the demo has several stores and the sidebar starts on all of them: plan the first one
    store = sidebar.get_by_role("combobox", name="Store")
    for _ in range(3):  # the first click may land while the sidebar still lays itself out
        store.click()
        try:
            page.get_by_role("listbox").wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    page.get_by_role("option").nth(1).click()
    wait_for_app(page)
    page.get_by_role("button", name="Split by last year's seasonality").click()
    wait_for_app(page)
    shot = screenshot(page, "mgmt_targets_split_en")
    _assert_clean(page, shot)
    assert page.get_by_text("Proposal: not saved yet.").is_visible(), shot
    assert page.get_by_role("button", name="Save targets").is_visible(), shot
