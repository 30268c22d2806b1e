"""Every download the app offers: CSV with formula injection neutralised, one button helper.

A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return) as a formula;
such cells are prefixed with a single quote so a name or note cannot run as one. Numbers stay
numbers: only text cells are touched.

Streamlit's own table toolbar would write its CSV unescaped, so `.streamlit/config.toml` turns
it off (client.disableDataExport) and every table of ui.tables and ui.highlight offers
:func:`table_button` instead.
"""

from __future__ import annotations

import zlib

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitDuplicateElementId, StreamlitDuplicateElementKey

# One rule for every file the app writes (CSV here, the Excel report in kpi/workbook.py).
from kpi.cells import DANGEROUS_PREFIXES, escape_cell

__all__ = ["DANGEROUS_PREFIXES", "escape_cell", "to_csv", "csv_button", "table_button"]


def to_csv(df: pd.DataFrame) -> bytes:
    """Return the frame as UTF-8 CSV with a BOM (Excel opens Chinese correctly), cells escaped."""
    safe = df.copy()
    safe.columns = [escape_cell(str(c)) for c in safe.columns]
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(escape_cell)
    return safe.to_csv(index=False).encode("utf-8-sig")


def csv_button(df: pd.DataFrame, label: str, file_name: str, key: str | None = None) -> None:
    """Offer the frame as a CSV download (the one way the app writes a file for a user)."""
    st.download_button(
        label,
        data=to_csv(df),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def table_button(shown: pd.DataFrame, key: str | None = None) -> None:
    """Offer a table as it is shown as an escaped CSV, written only when clicked.

    The key is the table's key, else its headers; an identical table drawn twice on one page
    offers its file once.
    """
    from ui.i18n import t

    if shown is None or shown.empty:
        return
    name = key or f"table-{zlib.crc32('|'.join(map(str, shown.columns)).encode()):08x}"
    try:
        st.download_button(
            t("common.download_csv"),
            data=lambda: to_csv(shown),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"csv-{name}",
            icon=":material/download:",
            on_click="ignore",
            type="tertiary",
        )
    except (StreamlitDuplicateElementId, StreamlitDuplicateElementKey):
        pass
