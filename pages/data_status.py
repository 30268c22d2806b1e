"""Data status: which table, store and month is loaded, row counts and the newest records."""

import streamlit as st

from ui import data, sidebar, tables
from ui.formatting import month_label
from ui.i18n import enum_label, t
from ui.theme import STATUS_COLOURS

ctx = sidebar.context()
src = data.current()

st.title(t("data.title"))
st.caption(t("data.db", path=src.path) + " · " + t("sidebar.data_version", version=src.version))
st.markdown(t("data.caption"))

months = data.trailing_months(ctx.scope.end, 12)
grid = data.coverage_grid(ctx.store, months)
gaps = [
    t(
        "data.missing_months",
        table=enum_label("table", table),
        months=", ".join(month_label(m) for m in grid.columns[row == 0]),
    )
    for table, row in grid.iterrows()
    if (row == 0).any()
]

st.subheader(f"{t('data.coverage')} · {ctx.store_label}")
shown = grid.rename(index=lambda n: enum_label("table", n), columns=month_label)
shown.index.name = t("data.table")
st.dataframe(
    shown.style.map(lambda v: f"background-color: {STATUS_COLOURS['red']}22" if v == 0 else ""),
    column_config={c: st.column_config.NumberColumn(c, format="%d") for c in shown.columns},
)
if gaps:
    st.markdown("\n".join(f"- :orange[{g}]" for g in gaps))
else:
    st.success(t("data.all_present"))

st.subheader(t("data.tables"))
tables.show(
    data.table_stats(),
    [
        ("table_name", "data.table", "enum:table"),
        ("store", "data.store", "text"),
        ("n_rows", "data.rows", "int"),
        ("newest", "data.newest", "text"),
    ],
)

st.subheader(t("data.imports"))
tables.show(
    data.recent_imports(),
    [
        ("imported_at", "data.imported_at", "text"),
        ("store", "data.store", "text"),
        ("table_name", "data.table", "enum:table"),
        ("file_name", "data.file", "text"),
        ("username", "data.user", "text"),
        ("inserted", "data.inserted", "int"),
        ("updated", "data.updated", "int"),
        ("rejected", "data.rejected", "int"),
    ],
)
