"""Every download the app offers: CSV with formula injection neutralised, one button helper.

A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return) as a formula;
such cells are prefixed with a single quote so a name or note cannot run as one. Numbers stay
numbers: only text cells are touched.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

# One rule for every file the app writes (CSV here, the Excel report in kpi/workbook.py).
from kpi.workbook import DANGEROUS_PREFIXES, escape_cell

__all__ = ["DANGEROUS_PREFIXES", "escape_cell", "to_csv", "csv_button"]


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
