"""The one private Streamlit flag the app touches (ui/entry.py: run_through_entry_point).

Streamlit 1.67 has no public switch for an app whose entry file calls st.navigation while a
pages/ folder sits beside it: until st.navigation has run once in the process, a first visit
to /sales runs pages/sales.py alone. ui/entry.py turns Streamlit's old pages-folder mode off
through PagesManager.uses_pages_directory. These tests fail when an upgrade renames or drops
that flag, so the workaround is revisited instead of silently doing nothing.
"""

from __future__ import annotations

import inspect

import streamlit
from streamlit.runtime.pages_manager import PagesManager

from ui import entry


def test_streamlit_still_has_the_pages_directory_flag():
    assert "uses_pages_directory" in vars(PagesManager), streamlit.__version__
    assert PagesManager.uses_pages_directory in (True, False, None)


def test_the_flag_is_touched_in_one_place_of_the_app():
    source = inspect.getsource(entry.run_through_entry_point)
    assert "PagesManager.uses_pages_directory = False" in source
    assert streamlit.__version__ == "1.67.0", "pinned: re-check ui/entry.py on an upgrade"


def test_only_ui_data_opens_database_connections():
    """Pages and ui helpers read and write through ui.data (reading, writing, cached)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    opened = [
        str(path.relative_to(root))
        for path in [*root.glob("ui/*.py"), *root.glob("pages/*.py"), root / "dashboard.py"]
        if path.name != "data.py" and ("db.connect(" in path.read_text(encoding="utf-8")
                                       or "duckdb.connect(" in path.read_text(encoding="utf-8"))
    ]  # fmt: skip
    assert opened == []
