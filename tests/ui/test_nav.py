"""The one private Streamlit flag the app touches (ui/nav.py: run_through_entry_point).

Streamlit 1.67 has no public switch for an app whose entry file calls st.navigation while a
pages/ folder sits beside it: until st.navigation has run once in the process, a first visit
to /sales runs pages/sales.py alone. ui/nav.py turns Streamlit's old pages-folder mode off
through PagesManager.uses_pages_directory. These tests fail when an upgrade renames or drops
that flag, so the workaround is revisited instead of silently doing nothing.
"""

from __future__ import annotations

import inspect

import streamlit
from streamlit.runtime.pages_manager import PagesManager

from ui import nav


def test_streamlit_still_has_the_pages_directory_flag():
    assert "uses_pages_directory" in vars(PagesManager), streamlit.__version__
    assert PagesManager.uses_pages_directory in (True, False, None)


def test_the_flag_is_touched_in_one_place_of_the_app():
    source = inspect.getsource(nav.run_through_entry_point)
    assert "PagesManager.uses_pages_directory = False" in source
    assert streamlit.__version__ == "1.67.0", "pinned: re-check ui/nav.py on an upgrade"
