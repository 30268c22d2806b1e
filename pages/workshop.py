"""Workshop and parts: technician productivity, efficiency, proficiency, training, parts."""

import streamlit as st

from kpi import service
from ui import cards, data, page_cards, sidebar, tables, technicians
from ui.i18n import kpi_label, t

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("workshop.title"))
st.caption(f"{ctx.store_label} · {ctx.period_label}{ctx.filter_suffix}")
# service.monthly() has none of these KPIs: no sparklines, so no 13-month pass.
cards.grid(cards.section_cards(service, page_cards.WORKSHOP, scope, trend=False), overrides)

st.subheader(t("workshop.by_technician"))
by_technician = data.frame(service.by_technician, scope)
tables.show(
    by_technician,
    [
        ("technician", "workshop.technician", "text"),
        ("store", "sidebar.store", "text"),
        ("available_hours", "workshop.available_hours", "number"),
        ("clocked_hours", "workshop.clocked_hours", "number"),
        ("labor_hours_sold", "workshop.hours_sold", "number"),
        ("tech_productivity", None, None),
        ("tech_efficiency", None, None),
        ("tech_proficiency", None, None),
        ("labor_revenue", "workshop.labor_revenue", "money"),
        ("training_compliance", None, None),
    ],
    status_cols=technicians.tinted(by_technician, ["tech_productivity", "training_compliance"]),
    overrides=overrides,
)
if len(by_technician) > technicians.TINT_ROWS:
    st.caption(t("workshop.untinted", rows=len(by_technician), limit=technicians.TINT_ROWS))

if technicians.has_rows(scope):
    metric = st.segmented_control(
        t("workshop.metric"),
        ["tech_productivity", "tech_efficiency", "tech_proficiency"],
        default="tech_productivity",
        format_func=lambda k, lang=ctx.lang: kpi_label(k, lang),
        key="workshop_metric",
        required=True,
    )
    technicians.trend(scope, metric, with_store=ctx.store is None, key="tech_monthly")

st.subheader(t("workshop.obsolete"))
tables.show(
    data.frame(service.obsolete_parts, scope),
    [
        ("part_no", "workshop.part_no", "text"),
        ("store", "sidebar.store", "text"),
        ("qty", "workshop.qty", "number"),
        ("unit_cost", "workshop.unit_cost", "money"),
        ("value_cny", "workshop.value", "money"),
        ("last_movement_date", "workshop.last_movement", "date"),
        ("days_since_movement", "workshop.days_idle", "int"),
    ],
)
