"""Group view: every store ranked and compared on each department's headline KPIs."""

import streamlit as st

from ui import drill, sidebar, tables
from ui import group_view as gv
from ui.i18n import kpi_label, t

ctx = sidebar.context()
gv.open_requested()

st.title(t("group.title"))
st.caption(t("group.caption", period=ctx.period_label))

left, mid, right = st.columns([2, 4, 3])
with left:
    by = st.radio(
        t("group.by"), gv.BY, key="group_by", format_func=lambda b: t(f"group.by_{b}", ctx.lang),
        horizontal=True,
    )  # fmt: skip
with mid:
    department = st.radio(
        t("group.department"), ["all", *gv.DEPARTMENTS], key="group_dept",
        format_func=lambda d: t("group.all" if d == "all" else f"dept.{d}", ctx.lang),
        horizontal=True,
    )  # fmt: skip
ids = gv.kpi_ids(department)
with right:
    rank_by = st.selectbox(t("group.rank_by"), ids, key="group_rank",
                           format_func=lambda i: kpi_label(i, ctx.lang))  # fmt: skip

columns = [("label", f"group.by_{by}", "text")]
if by == "store":
    columns += [("brand", "group.by_brand", "text"), ("region", "group.by_region", "text")]
columns += [(i, None, None) for i in ids]

totals = gv.totals_frame(ctx.scope, by, ids)
frame = gv.ranked(gv.group_frame(ctx.scope, by, ids), rank_by)

st.subheader(t("group.total"))
tables.show(totals, columns[:1] + columns[-len(ids) :], status_cols=ids,
            key="group_totals")  # fmt: skip

st.subheader(t(f"group.ranking_{by}", n=len(frame)))
if by == "store":
    st.caption(t("group.click_hint"))
stores = list(frame["key"]) if by == "store" else []
tables.show(
    frame, [("rank", "group.rank", "int"), *columns], status_cols=ids, key="group_table",
    on_select=(lambda: gv.open_selected_row("group_table", stores)) if stores else None,
)  # fmt: skip

st.subheader(t("group.heatmap"))
st.caption(t("group.heatmap_hint"))
gv.heatmap(frame, ids, key="group_heatmap", elapsed=ctx.scope.elapsed)
if stores:  # a cell's records: its store and KPI
    drill.row_picker("group_cell", ids, "store", dict(zip(frame["label"], stores, strict=True)))

if stores:
    names = dict(zip(frame["key"], frame["label"], strict=True))
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    pick.selectbox(t("group.open_store"), stores, key="group_open",
                            format_func=lambda s: names.get(s, s))  # fmt: skip
    go.button(t("group.open"), key="group_open_btn", icon=":material/open_in_new:",
              on_click=lambda: gv.request_open(st.session_state.get("group_open")))  # fmt: skip
