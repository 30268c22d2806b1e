"""Order planning: per model sales rate, stock, in transit, projection and the suggested order."""

import streamlit as st

from kpi import inventory
from ui import backlog_view, data, sidebar, tables
from ui.download import csv_button
from ui.i18n import t

ctx = sidebar.context()
scope = ctx.scope

st.title(t("orders.title"))
st.caption(f"{ctx.store_label} · {ctx.period_label}{ctx.filter_suffix}")
st.markdown(t("orders.caption"))

target_months = st.number_input(
    t("orders.target_months"),
    min_value=0.5,
    max_value=6.0,
    value=1.2,
    step=0.1,
    format="%.1f",
    key="target_months",
)
gap = data.frame(inventory.order_gap, scope, target_months=round(float(target_months), 2))
gap = backlog_view.with_backlog(gap, scope)  # orders waiting without a car, per model
columns = [
    ("model", "sales.model", "text"),
    ("avg_monthly_sales_3m", None, "number"),
    ("stock_units", None, None),
    ("in_transit_units", None, None),
    ("in_transit_by_horizon", "orders.in_transit_by_horizon", "int"),
    ("projected_stock_next_month_end", "orders.projected", "number"),
    ("inventory_months", None, None),
    ("suggested_order", "orders.suggested", "int"),
    ("backlog_unmatched", None, "int"),
    ("suggested_with_backlog", "orders.suggested_backlog", "int"),
]
shown = tables.show(
    gap, columns, status_cols=["inventory_months"], overrides=data.thresholds(ctx.store)
)
if not gap.empty:
    st.markdown(t("orders.total", units=int(gap["suggested_order"].sum())))
    st.caption(t("orders.backlog_note", units=int(gap["backlog_unmatched"].sum())))
    proposal = shown.assign(
        **{
            t("sidebar.store"): ctx.store_text,
            t("orders.as_of"): scope.as_of.isoformat(),
            t("orders.target_months"): round(float(target_months), 2),
        }
    )
    csv_button(
        proposal,
        t("orders.download"),
        f"order_proposal_{ctx.store or 'all'}_{scope.as_of:%Y%m%d}.csv",
        key="download_proposal",
    )

st.subheader(t("orders.in_transit_list"))
tables.show(
    data.frame(inventory.in_transit, scope),
    [
        ("vin", "inventory.vin", "text"),
        ("model", "sales.model", "text"),
        ("store", "sidebar.store", "text"),
        ("ordered_date", "inventory.ordered", "date"),
        ("eta", "inventory.eta", "date"),
    ],
)
