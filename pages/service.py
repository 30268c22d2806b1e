"""After-sales: vehicles in, output, gross and margin trends, RO mix, labour rate, WIP, churn."""

import streamlit as st

from kpi import service
from ui import cards, charts, data, page_cards, sidebar, tables
from ui.drill import ChartDrill
from ui.formatting import month_axis
from ui.i18n import enum_label, kpi_label, t

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("service.title"))
st.caption(f"{ctx.store_label} · {ctx.period_label}{ctx.filter_suffix}")
cards.grid(cards.section_cards(service, page_cards.SERVICE, scope), overrides)

monthly = data.frame(service.monthly, scope, months=13)
if not monthly.empty:
    by_month = ChartDrill(by="month", keys=tuple(monthly["month"]))  # a bar opens its month
    monthly["month"] = month_axis(monthly["month"])
    left, right = st.columns(2)
    with left:
        charts.bars(
            monthly,
            "month",
            {c: kpi_label(c) for c in ("service_revenue", "service_gross")},
            t("service.trend"),
            kind="money",
            key="service_trend",
            drill=by_month,
        )
    with right:
        charts.lines(
            monthly,
            "month",
            {c: kpi_label(c) for c in ("service_gross_margin", "first_time_fix_rate")},
            t("service.margin_trend"),
            kind="percent",
            key="margin_trend",
            drill=by_month,
        )
    charts.bars(
        monthly,
        "month",
        {"ro_count": kpi_label("ro_count")},
        t("service.vehicles_trend"),
        key="ro_trend",
        height=260,
        drill=by_month,
    )

st.subheader(t("service.mix"))
mix = data.frame(service.by_ro_type, scope)
left, right = st.columns([2, 3])
with left:
    if not mix.empty and mix["service_revenue"].fillna(0).sum() > 0:
        charts.donut(
            [enum_label("ro_type", r) for r in mix["ro_type"]],
            mix["service_revenue"].fillna(0).tolist(),
            kpi_label("service_revenue"),
            key="mix",
        )
with right:
    tables.show(
        mix,
        [
            ("ro_type", "service.ro_type", "enum:ro_type"),
            ("ro_count", None, None),
            ("service_revenue", None, None),
            ("avg_ro_value", None, None),
            ("service_gross_margin", None, None),
            ("effective_labor_rate", None, None),
            ("first_time_fix_rate", None, None),
        ],
        status_cols=["service_gross_margin", "first_time_fix_rate"],
        overrides=overrides,
    )

tab_open, tab_adv = st.tabs([t("service.open_ros"), t("service.by_advisor")])
with tab_open:
    tables.show(
        data.frame(service.open_ro_list, scope),
        [
            ("ro_id", "service.ro_id", "text"),
            ("store", "sidebar.store", "text"),
            ("open_date", "service.opened", "date"),
            ("ro_type", "service.ro_type", "enum:ro_type"),
            ("advisor", "service.advisor", "text"),
            ("technician", "workshop.technician", "text"),
            ("age_days", "service.days_open", "int"),
        ],
    )
with tab_adv:
    tables.show(
        data.frame(service.by_advisor, scope),
        [
            ("advisor", "service.advisor", "text"),
            ("store", "sidebar.store", "text"),
            ("ro_count", None, None),
            ("service_revenue", None, None),
            ("avg_ro_value", None, None),
            ("service_gross_margin", None, None),
            ("first_time_fix_rate", None, None),
        ],
        status_cols=["service_gross_margin", "first_time_fix_rate"],
        overrides=overrides,
    )
