"""Inventory: stock and in-transit by model, months of supply, aging, capital and floorplan."""

import streamlit as st

from kpi import inventory
from ui import cards, charts, data, page_cards, sidebar, tables
from ui.drill import ChartDrill
from ui.i18n import enum_label, t

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("inventory.title"))
st.caption(f"{ctx.store_label} · {ctx.period_label}{ctx.filter_suffix}")
cards.grid(cards.section_cards(inventory, page_cards.INVENTORY, scope), overrides)

st.subheader(t("inventory.by_model"))
models = data.frame(inventory.by_model, scope)
if not models.empty:
    charts.bars(
        models,
        "model",
        {"stock_units": t("inventory.stock"), "in_transit_units": t("inventory.in_transit")},
        "",
        stacked=True,
        key="stock_by_model",
        drill=ChartDrill(by="model", keys=tuple(models["model"])),
    )
tables.show(
    models,
    [
        ("model", "sales.model", "text"),
        ("stock_units", None, None),
        ("in_transit_units", None, None),
        ("avg_monthly_sales_3m", None, "number"),
        ("inventory_months", None, None),
        ("inventory_coefficient", None, None),
        ("avg_days_in_stock", None, "number"),
        ("aged_units_90", None, None),
        ("capital_tied_up", None, None),
    ],
    status_cols=["inventory_months", "inventory_coefficient", "avg_days_in_stock", "aged_units_90"],
    overrides=overrides,
)

left, right = st.columns([2, 3])
with left:
    buckets = data.frame(inventory.aging_buckets, scope)
    if not buckets.empty:
        # Colours follow avg_days_in_stock's lines (60 and 90 days).
        charts.status_bars(
            [enum_label("age_bucket", b) for b in buckets["bucket"]],
            buckets["units"].tolist(),
            ["green", "green", "amber", "red", "red"][: len(buckets)],
            t("inventory.aging"),
            kind="int",
            key="aging",
        )
with right:
    st.markdown(f"**{t('inventory.aged_units')}**")
    tables.show(
        data.frame(inventory.aged_units, scope),
        [
            ("vin", "inventory.vin", "text"),
            ("model", "sales.model", "text"),
            ("store", "sidebar.store", "text"),
            ("arrival_date", "inventory.arrival", "date"),
            ("age_days", "inventory.age_days", "int"),
            ("cost", "inventory.cost", "money"),
        ],
    )
