"""Open a URL in a brand-new Chromium (no profile, no cookies) and print what it shows as JSON.

`python -m tests.browser.fresh URL [SCREENSHOT]`: a shared link pasted by someone else. Run as
its own process so it cannot share anything with the test's browser.
"""

from __future__ import annotations

import json
import sys

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, wait_for_app

CAPTIONS = "[data-testid=stMain] [data-testid=stCaptionContainer]"  # the page's, not the sidebar's


def main(url: str, shot: str | None = None) -> dict:
    """Return the title, captions, open dialog's text and sidebar choices of the page at url."""
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(url)
        wait_for_app(page)
        dialog = page.locator("[role=dialog]")
        if dialog.count():
            dialog.locator("[data-testid=stDataFrame]").first.wait_for(timeout=30_000)
        if shot:
            page.screenshot(path=shot)
        found = {
            "url": page.url,
            "title": page.locator("h1").first.inner_text(),
            "captions": page.locator(CAPTIONS).all_inner_texts(),
            "dialog": dialog.first.inner_text() if dialog.count() else "",
            "exceptions": page.locator("[data-testid=stException]").count(),
        }
        browser.close()
    return found


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)))
