"""Every download the app offers: CSV with formula injection neutralised, one button helper.

A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return) as a formula;
such cells are prefixed with a single quote so a name or note cannot run as one. Numbers stay
numbers: only text cells are touched.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> object:
    """Return a text cell prefixed with a quote when it would start a spreadsheet formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


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
