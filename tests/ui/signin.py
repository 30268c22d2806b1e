"""Helpers for app tests that sign in and click through dashboard.py.

A running server reruns the entry file on every interaction once st.navigation has been seen
(ui/entry.py's run_through_entry_point); AppTest rebuilds Streamlit's page manager for every
run, which makes each run after the first execute the page file alone and drops the click.
`steady_navigation` keeps the server's steady state for the test, so a click in the sidebar
or on a page reaches the entry file like in a browser.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from warehouse.auth import create_user
from warehouse.db import bump_data_version, connect

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-25"
ACCOUNTS = {
    "boss": ("boss-secret", "manager", "gm@store.cn"),
    "clerk": ("clerk-secret", "staff", None),
    "reader": ("reader-secret", "viewer", None),
}


def steady_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every AppTest run go through dashboard.py, as a warmed-up server does."""
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def with_accounts(source: Path, target: Path) -> Path:
    """Copy a database and add a manager, a staff and a viewer account to the copy."""
    shutil.copy(source, target)
    with connect(target) as con:
        for name, (password, role, email) in ACCOUNTS.items():
            create_user(con, name, password, role, email=email)
    return target


def made_public(db: Path, stores: tuple[str, ...] | None = None, part: str = "all") -> Path:
    """Make stores public explicitly (stores are private by default): the whole store
    (part 'all') or only its showroom TV board ('tv'). Returns db."""
    column = {"all": "public_view", "tv": "public_tv"}[part]
    with connect(db) as con:
        # The column name comes from the mapping above, never from the caller.
        con.execute(
            f"UPDATE stores SET {column} = true WHERE $s IS NULL OR list_contains($s, store)",
            {"s": list(stores) if stores is not None else None},
        )
        bump_data_version(con, tables={"stores"})
    return db


def public_copy(source: Path, target: Path) -> Path:
    """Copy a database and make every store in the copy public (tests reading as anyone)."""
    shutil.copy(source, target)
    return made_public(target)


def start(db: Path, monkeypatch: pytest.MonkeyPatch, lang: str = "en", **state) -> AppTest:
    """Return an AppTest of dashboard.py on `db` after its first run."""
    monkeypatch.setenv("KPI_DB", str(db))
    monkeypatch.setenv("KPI_TODAY", TODAY)
    steady_navigation(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=180)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


def sign_in(at: AppTest, name: str, password: str | None = None) -> AppTest:
    """Sign in through the sidebar's password form and rerun."""
    at.sidebar.text_input(key="sidebar-name").input(name)
    at.sidebar.text_input(key="sidebar-password").input(password or ACCOUNTS[name][0])
    next(b for b in at.sidebar.button if b.key == "FormSubmitter:sidebar-form-Sign in").click()
    return at.run()


def page_files(at: AppTest) -> list[str]:
    """Return the page files the navigation lists for this session."""
    return sorted(
        Path(info["script_path"]).name
        for info in at._registered_pages.values()
        if info.get("script_path")
    )


def texts(elements) -> list[str]:
    """Return the values of a list of text elements (titles, errors, captions ...)."""
    return [e.value for e in elements]
