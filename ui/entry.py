"""The one private Streamlit flag the app touches: the pages-folder mode (tests/ui/test_nav.py).

Alone in its module so that ui.data (which every page reaches) and the navigation can both use
it without importing each other.
"""

from __future__ import annotations

import streamlit as st


def run_through_entry_point() -> None:
    """Rerun through dashboard.py when Streamlit ran a page file on its own.

    Streamlit 1.67 treats an app with a pages/ folder as an old-style multipage app until the
    entry file has called st.navigation once in the process, so on a fresh server the first
    visit to /sales would run pages/sales.py alone (no sidebar, no first-run check). Turning
    that mode off and rerunning lets the entry file build the real navigation.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
