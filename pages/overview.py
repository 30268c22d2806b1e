"""Overview: the GM's cockpit, headline cards of every department and what needs attention."""

import streamlit as st

from ui import cards, data, sidebar
from ui.formatting import kpi_value, percent
from ui.i18n import kpi_label, t

# (department, KPI module, headline KPI ids) in the order a GM reads them.
SECTIONS = [
    (
        "sales",
        "sales",
        [
            "deliveries",
            "orders",
            "walk_in_batches",
            "close_rate",
            "test_drive_rate",
            "total_gross_per_unit",
            "finance_penetration",
            "cancellation_rate",
        ],
    ),
    (
        "inventory",
        "inventory",
        ["stock_units", "inventory_months", "aged_units_90", "capital_tied_up"],
    ),
    (
        "service",
        "service",
        ["service_revenue", "ro_count", "service_gross_margin", "first_time_fix_rate"],
    ),
    (
        "workshop",
        "service",
        ["tech_productivity", "tech_efficiency", "training_compliance", "parts_months_supply"],
    ),
    ("customers", "customers", ["csi_service", "csi_sales", "followup_compliance"]),
    ("customers", "finance", ["net_profit"]),
]

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("overview.title"))
st.caption(t("overview.caption", store=ctx.store_label, period=ctx.period_label))
attention_box = st.container(border=True)

shown: str | None = None
for dept, module, ids in SECTIONS:
    section = cards.section_cards(module, ids, scope, trend=module != "customers")
    if not section:
        continue
    if dept != shown:
        st.subheader(t(f"dept.{dept}"))
        shown = dept
    cards.grid(section, overrides)

# Every KPI of every section is checked, not only the cards shown.
values: dict = {}
for module in dict.fromkeys(m for _, m, _ in SECTIONS):
    values.update(data.summary(module, scope))
items = cards.attention_items(values, overrides)
pacing = data.summary("targets", scope)

with attention_box:
    st.markdown(f"**{t('overview.attention')}**")
    if pacing.get("traffic_light") in ("red", "amber"):
        st.markdown(
            f"- {cards.badge(pacing['traffic_light'])} "
            + t(
                "overview.target_item",
                label=kpi_label("deliveries"),
                achieved=percent(pacing.get("target_achievement"), 0),
                elapsed=percent(pacing.get("time_progress"), 0),
            )
        )
    for state, kpi_id, value in items:
        st.markdown(
            f"- {cards.badge(state)} "
            + t(
                "overview.attention_item",
                label=kpi_label(kpi_id),
                value=kpi_value(kpi_id, value),
                status=t(f"status.{state}"),
            )
        )
    if not items and pacing.get("traffic_light") not in ("red", "amber"):
        st.markdown(t("overview.all_clear"))
