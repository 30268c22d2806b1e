"""The page registry: each screen is one NavItem; dashboard.py lists them, this builds the menu."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui import auth
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class NavItem:
    """One page: its file under pages/, title key, icon, menu section key, URL path."""

    file: str
    title: str
    icon: str
    section: str
    url_path: str
    default: bool = False
    role: str | None = None  # None: anyone; 'staff'/'manager': listed only for that role
    # A page that only reads: its KPI calls share one read-only connection (ui.data.batch) on
    # a cold run. Pages that write (uploads, settings, accounts, targets, entries) and the TV
    # keep a short connection per call: a write cannot open while a read is held.
    reads_only: bool = False


def navigation(items: list[NavItem]):
    """Return st.navigation over the items, grouped by section, titles in the session language."""
    sections: dict[str, list] = {}
    for item in items:
        if not auth.allowed(item.role):
            continue
        page = st.Page(
            str(ROOT / item.file),
            title=t(item.title),
            icon=item.icon,
            url_path=item.url_path,
            default=item.default,
        )
        sections.setdefault(t(item.section), []).append(page)
    # Expanded: every page is listed, no "View N more" link (Streamlit's, English only).
    return st.navigation(sections, position="sidebar", expanded=True)
