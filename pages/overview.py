"""Overview: the GM's cockpit, headline cards of every department and what needs attention."""

import streamlit as st

from kpi import backlog, customers, finance, inventory, programs, sales, service, targets
from ui import cards, data, sidebar
from ui.i18n import t
from ui.outlook import outlook
from ui.report_button import report_button

# Department -> [(KPI module, headline KPI ids)], in the order a GM reads them.
SECTIONS = {
    "sales": [
        (sales, ["deliveries", "orders", "walk_in_batches", "close_rate", "test_drive_rate",
                   "total_gross_per_unit", "finance_penetration", "cancellation_rate"]),
    ],
    "inventory": [
        (inventory, ["stock_units", "inventory_months", "aged_units_90", "capital_tied_up"]),
    ],
    "service": [
        (service, ["service_revenue", "ro_count", "service_gross_margin",
                     "first_time_fix_rate"]),
    ],
    "workshop": [
        (service, ["tech_productivity", "tech_efficiency", "training_compliance",
                     "parts_months_supply"]),
    ],
    "customers": [
        (customers, ["csi_service", "csi_sales", "followup_compliance"]),
        (finance, ["net_profit"]),
    ],
}  # fmt: skip

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("overview.title"))
st.caption(t("overview.caption", store=ctx.store_label, period=ctx.period_label))
report_button(ctx, key="report_overview")
attention_box = st.container(border=True)
outlook(scope)

# A cold run computes a dozen KPI calls: they share one database connection.
with data.batch():
    for dept, parts in SECTIONS.items():
        section = [c for module, ids in parts for c in cards.section_cards(module, ids, scope)]
        if section:
            st.subheader(t(f"dept.{dept}"))
            cards.grid(section, overrides)

    # Every KPI of every section is checked, not only the cards shown: this period's
    # summary is complete in the cards' (light) summaries too.
    values: dict = {}
    for module in dict.fromkeys(m for parts in SECTIONS.values() for m, _ in parts):
        values.update(data.summary(module, scope, light=True))
    # The backlog on as_of (its age judged by its lines, cars missing) and the rebate gaps.
    waiting = data.cached(backlog.summary, scope)
    values.update(waiting)
    programmes = data.cached(programs.programs_detail, scope)
    lines = cards.attention_lines(values, data.summary(targets, scope), scope, overrides,
                                  programmes=programmes, backlog=waiting)  # fmt: skip
with attention_box:
    st.markdown(f"**{t('overview.attention')}**")
    st.markdown("\n".join(f"- {line}" for line in lines) or t("overview.all_clear"))
