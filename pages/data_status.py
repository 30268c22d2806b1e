"""Data status: which table, store and month is loaded, row counts and the newest records."""

import streamlit as st

from ui import auth, data, notify_view, sidebar, tables
from ui.formatting import month_ranges, month_ticks
from ui.i18n import enum_label, t
from ui.tables import STATUS_TINTS

ctx = sidebar.context()
src = data.current()

st.title(t("data.title"))
st.caption(
    t("data.db", path=auth.md(src.path)) + " · " + t("sidebar.data_version", version=src.version)
)
st.markdown(t("data.caption"))
notify_view.delivery_problems()  # digests and alerts that did not go out

months = data.trailing_months(ctx.scope.end, 12)
grid = data.coverage_grid(ctx.store, months)
gaps = data.coverage_gaps(grid)

st.subheader(f"{t('data.coverage')} · {ctx.store_label}")
shown = grid.rename(index=lambda n: enum_label("table", n))
shown.columns = month_ticks(months)
shown = shown.where(shown > 0)  # an empty cell is a month without rows
shown.index.name = t("data.table")
st.dataframe(
    shown.style.map(lambda v: f"background-color: {STATUS_TINTS['red']}" if v != v else ""),
    column_config={c: st.column_config.NumberColumn(c, format="%d") for c in shown.columns},
    height=35 * (len(shown) + 1) + 3,
    placeholder="",
)
lines = [
    t("data.missing_months", table=enum_label("table", table), months=month_ranges(missing))
    for table, missing in gaps.items()
]
if lines:
    st.markdown("\n".join(f"- :orange[{line}]" for line in lines))
else:
    st.success(t("data.all_present"))

st.subheader(f"{t('data.tables')} · {ctx.store_label}")
tables.show(
    data.table_stats(ctx.store),
    [
        ("table_name", "data.table", "enum:table"),
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
