"""Tables that colour what needs a look: a traffic-light column, or whole flagged rows.

ui.tables tints cells by a KPI's thresholds; these two cover the cases it does not: the
targets' traffic light (green/amber/red against time elapsed) and rows flagged by the page
(major complaints).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ui.download import table_button
from ui.i18n import kpi_label, t
from ui.tables import FORMATS, MAX_TINTED_ROWS, STATUS_TINTS, ColSpec, display_frame

LIGHT = "traffic_light"


def _header(spec: ColSpec) -> str:
    col, label, _ = spec
    return t(label) if label else kpi_label(col)


def _config(columns: Sequence[ColSpec]) -> dict:
    """Return the number and date formats of the columns (Streamlit column config)."""
    config = {}
    for spec in columns:
        header, kind = _header(spec), spec[2]
        if kind in FORMATS:
            config[header] = st.column_config.NumberColumn(header, format=FORMATS[kind])
        elif kind == "date":
            config[header] = st.column_config.DateColumn(header, format="YYYY-MM-DD")
    return config


def light_table(df: pd.DataFrame, columns: Sequence[ColSpec], key: str | None = None) -> None:
    """Draw a table whose traffic_light column shows the status word on its colour."""
    if df is None or df.empty:
        st.caption(t("common.none_listed"))
        return
    lights = [x if isinstance(x, str) else "grey" for x in df[LIGHT]]
    shown = display_frame(df.assign(**{LIGHT: [t(f"status.{x}") for x in lights]}), columns)
    header = next((_header(c) for c in columns if c[0] == LIGHT), None)

    def tint(col: pd.Series) -> list[str]:
        if col.name != header:
            return [""] * len(col)
        return [f"background-color: {STATUS_TINTS.get(x, '')}" for x in lights]

    _draw(shown, lambda: shown.style.apply(tint, axis=0), columns, key)
    table_button(shown, key)


def _draw(shown: pd.DataFrame, styled, columns: Sequence[ColSpec], key: str | None) -> None:
    """Draw the styled table (``styled()``), or the plain one past MAX_TINTED_ROWS rows."""
    data = shown
    if len(shown) > MAX_TINTED_ROWS:
        st.caption(t("common.tints_limited", n=f"{MAX_TINTED_ROWS:,}"))
    else:
        data = styled()
    st.dataframe(data, hide_index=True, column_config=_config(columns), key=key, placeholder="—")


def flagged_table(
    df: pd.DataFrame,
    columns: Sequence[ColSpec],
    flags: Sequence[bool],
    state: str = "red",
    key: str | None = None,
) -> None:
    """Draw a table with the rows whose flag is true shaded in a status colour."""
    if df is None or df.empty:
        st.caption(t("common.none_listed"))
        return
    shown = display_frame(df, columns)
    colour = STATUS_TINTS[state]
    marks = list(flags)
    _draw(
        shown,
        lambda: shown.style.apply(
            lambda row: [f"background-color: {colour}" if marks[row.name] else ""] * len(row),
            axis=1,
        ),
        columns,
        key,
    )
    table_button(shown, key)
