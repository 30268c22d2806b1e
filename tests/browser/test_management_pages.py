"""The management pages in a real browser: the Finance page's report button downloads a workbook
that opens (a download is what AppTest cannot see). Every page's rendering in both languages, and
a manager splitting and saving an annual target, are AppTests (tests/ui/test_pages.py,
tests/ui/test_management_pages.py).
"""

from __future__ import annotations

import openpyxl
import pytest

from tests.browser.conftest import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
