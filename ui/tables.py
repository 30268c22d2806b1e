"""Tables for the pages: translated headers and enum values, number formats, status colours."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from ui.cards import status
from ui.download import table_button
from ui.formatting import unit_kind, unit_of
from ui.i18n import current_lang, enum_label, kpi_label, t

# Light cell tints for threshold status (text stays dark and readable).
STATUS_TINTS = {"green": "#E6F4EA", "amber": "#FEF3C7", "red": "#FDE2E1", "grey": "#F3F4F6"}

FORMATS = {
    "int": "%,d",
    "number": "%,.1f",
    "number2": "%,.2f",
    "percent": "%.1f%%",
    "money": "¥%,.0f",
}

MAX_AUTO_ROWS = 12
# Status tints up to this many rows: a dealer group's tables (every consultant of 700 stores)
# would spend seconds of every rerun styling cells; past it the table is plain and says so.
MAX_TINTED_ROWS = 1000

# One column: (frame column, label key or None for a KPI id's catalogue label, kind or None
# for the KPI's unit). Kinds: text, enum:<kind>, int, number, number2, percent, money, date.
ColSpec = tuple[str, str | None, str | None]


def _kind_for(col: str, kind: str | None) -> str:
    if kind:
        return kind
    uk = unit_kind(unit_of(col))
    return {"percent": "percent", "money": "money", "count": "int", "score": "number"}.get(
        uk, "number2"
    )


def display_frame(df: pd.DataFrame, columns: Sequence[ColSpec]) -> pd.DataFrame:
    """Return the columns to show, enum values translated and headers in the session language."""
    out = pd.DataFrame(index=df.index)
    for col, label, kind in columns:
        if col not in df.columns:
            continue
        kind = _kind_for(col, kind)
        header = t(label) if label else kpi_label(col)
        values = df[col]
        if kind.startswith("enum:"):
            # each distinct value translated once (a group's tables repeat a few values)
            lang = current_lang()
            labels = {v: enum_label(kind[5:], v, lang) for v in values.dropna().unique()}
            values = values.map(labels).astype(object).where(values.notna(), "—")
        elif kind in ("int", "number", "number2", "money"):
            values = pd.to_numeric(values, errors="coerce")
        elif kind == "percent":  # fractions in the library, percentages on screen
            values = pd.to_numeric(values, errors="coerce") * 100
        out[header] = values
    return out.reset_index(drop=True)


def show(
    df: pd.DataFrame,
    columns: Sequence[ColSpec],
    status_cols: Sequence[str] = (),
    overrides: dict | None = None,
    height: int | str = "auto",
    key: str | None = None,
    on_select=None,
    download: bool = True,
) -> pd.DataFrame:
    """Draw a table; cells of `status_cols` (KPI ids) are tinted by threshold. Return the frame.

    ``on_select`` (a callback) makes rows clickable, one at a time (st.dataframe selection).
    Under the table the escaped CSV of what is shown is offered (``download=False``: the page
    offers its own).
    """
    if df is None or df.empty:
        st.caption(t("common.none_listed"))
        return pd.DataFrame()
    shown = display_frame(df, columns)
    config = {}
    headers = {}
    for col, label, kind in columns:
        if col not in df.columns:
            continue
        kind = _kind_for(col, kind)
        header = t(label) if label else kpi_label(col)
        headers[col] = header
        if kind in FORMATS:
            config[header] = st.column_config.NumberColumn(header, format=FORMATS[kind])
        elif kind == "date":
            config[header] = st.column_config.DateColumn(header, format="YYYY-MM-DD")
        elif kind == "link":  # a relative URL of the app (a consultant's page), same tab
            config[header] = st.column_config.LinkColumn(
                header, display_text=t("consultant.open_link")
            )
    data: pd.DataFrame | pd.io.formats.style.Styler = shown
    tinted = [c for c in status_cols if c in headers]
    if tinted and len(shown) > MAX_TINTED_ROWS:
        st.caption(t("common.tints_limited", n=f"{MAX_TINTED_ROWS:,}"))
        tinted = []
    if tinted:
        ctx = st.session_state.get("_ctx")  # the page's period judges every cell (cards.status)
        elapsed = ctx.scope.elapsed if ctx is not None else None
        values = df[tinted].reset_index(drop=True)
        css = _tints(values, tuple(headers[c] for c in tinted), overrides or {}, elapsed)
        data = _styled(shown, css)
    if height == "auto" and len(shown) > MAX_AUTO_ROWS:
        height = 420
    select = {"on_select": on_select, "selection_mode": "single-row"} if on_select else {}
    st.dataframe(
        data,
        hide_index=True,
        column_config=config,
        height=height,
        key=key,
        placeholder="—",
        **select,
    )
    if download:
        table_button(shown, key)
    return shown


def _css(state: str) -> str:
    return f"background-color: {STATUS_TINTS[state]}" if state in STATUS_TINTS else ""


@st.cache_data(show_spinner=False, max_entries=64)
def _tints(
    values: pd.DataFrame, headers: tuple[str, ...], overrides: dict, elapsed: int | None
) -> pd.DataFrame:
    """Return each tinted cell's CSS under its shown header (the catalogue status of its value).

    ``values``: the KPI columns (ids) of the frame; judged once per values, warning lines and
    period: 700 stores' cells were judged on every rerun.
    """
    return pd.DataFrame(
        {
            header: [_css(status(kpi_id, v, overrides, elapsed)) for v in values[kpi_id]]
            for kpi_id, header in zip(values.columns, headers, strict=True)
        },
        index=values.index,
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _styled(shown: pd.DataFrame, css: pd.DataFrame) -> Styler:
    """Return the shown frame styled with the cells' tints, rendered once per frame and tints.

    Streamlit draws a Styler by calling its ``_compute()`` and ``_translate(False, False)``
    every rerun; for a group's 700-row table that re-styling was most of a warm rerun. This
    Styler is computed and translated here, once, and answers both calls with that result, so
    a rerun with the same table only copies it. It is shared (cache_resource) and never
    changed after it is built; the tests compare what Streamlit sends with a plain Styler's.
    """

    def _tint(column: pd.Series) -> list[str]:
        if column.name in css.columns:
            return list(css[column.name])
        return [""] * len(column)

    # Its own copy: the caller gets `shown` back and may change it. pandas draws the Styler's
    # uuid (the CSS selectors' prefix) at random: fixed from here on.
    styler = shown.copy().style.apply(_tint, axis=0)
    styler._compute()
    translated = styler._translate(False, False)
    plain = styler._translate

    def _translate(sparse_index: bool, sparse_cols: bool, *args, **kwargs) -> dict:
        if (sparse_index, sparse_cols, args, kwargs) == (False, False, (), {}):
            return translated
        return plain(sparse_index, sparse_cols, *args, **kwargs)

    styler._compute = lambda: styler
    styler._translate = _translate
    return styler
