"""Customers: open leads, the overdue follow-up list, satisfaction and NPS trends, complaints."""

import pandas as pd
import streamlit as st

from kpi import customers
from ui import auth, cards, charts, data, leads_view, page_cards, sidebar, tables
from ui.download import csv_button
from ui.drill import ChartDrill
from ui.formatting import month_label
from ui.highlight import flagged_table
from ui.i18n import enum_label, kpi_label, t
from ui.report_button import report_button

LEVELS = ["O", "H", "A", "B", "C"]
TREND_IDS = ["csi_sales", "csi_service", "nps", "followup_compliance", "return_visit_rate",
             "complaint_satisfaction"]  # fmt: skip

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("cust.title"))
st.caption(t("cust.caption", store=ctx.store_label, period=ctx.period_label) + ctx.filter_suffix)
report_button(ctx, key="report_customers")
cards.grid(cards.section_cards(customers, page_cards.CUSTOMERS, scope, trend=False), overrides)

# Every open lead in one read, most overdue first: the chart counts them per store,
# consultant and level (as customers.open_leads_by_level), the list keeps the overdue ones
# (as customers.overdue_list, same order).
book = data.frame(customers.open_lead_list, scope)

st.subheader(t("cust.leads"))
leads = (
    book.groupby(["store", "consultant", "lead_level"], dropna=False)
    .size()
    .reset_index(name="open_leads")
    .rename(columns={"lead_level": "level"})
    if not book.empty
    else book
)
if not leads.empty:
    if ctx.store is None:
        leads["consultant"] = leads["consultant"].fillna("—") + " · " + leads["store"]
    wide = leads.pivot_table(
        index="consultant", columns="level", values="open_leads", aggfunc="sum", fill_value=0
    ).reindex(columns=LEVELS, fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values(ascending=False).index].reset_index()
    charts.bars(
        wide,
        "consultant",
        {lvl: enum_label("lead_level", lvl) for lvl in LEVELS},
        "",
        stacked=True,
        horizontal=True,
        key="leads",
        height=max(240, 36 * len(wide) + 80),
        drill=ChartDrill(("open_leads",) * len(LEVELS), "consultant", tuple(wide["consultant"]))
        if ctx.store is not None else None,  # pooled rows are "name · store"
    )
else:
    st.caption(t("common.none_listed"))

st.subheader(t("cust.overdue"))
overdue = book[book["days_overdue"] > 0].reset_index(drop=True) if not book.empty else book
names = sorted(overdue["consultant"].dropna().unique()) if not overdue.empty else []
me = auth.current_user()
mine = names.index(me.display_name) + 1 if me and me.display_name in names else 0
everyone = t("cust.everyone")
who = st.selectbox(t("cust.mine"), [None, *names], index=mine, key="cust_consultant",
                   format_func=lambda n: everyone if n is None else n)  # fmt: skip
if who is not None:
    overdue = overdue[overdue["consultant"] == who]
st.caption(t("cust.overdue_note", n=len(overdue)))
columns = [("customer_id", "cust.customer", "text"), ("consultant", "sales.consultant", "text"),
           ("lead_level", "cust.level", "text"), ("last_contact", "cust.last_contact", "date"),
           ("cadence_days", "cust.cadence", "int"),
           ("days_overdue", "cust.days_overdue", "int")]  # fmt: skip
if ctx.store is None:
    columns.insert(2, ("store", "sidebar.store", "text"))
shown = tables.show(overdue, columns, height=360, key="overdue", download=False)  # its own below
if not shown.empty:
    csv_button(shown, t("cust.download"), f"overdue_{who or 'all'}_{scope.as_of}.csv", key="dl")

leads_view.section(scope, overrides)  # lead capture by consultant, lost reasons, competitors

st.subheader(t("cust.trends"))
# The cards' cached 13-month trend (one pass over the lead book), not a second computation.
trend = data.frame(customers.monthly, scope, months=13)
by_month = ChartDrill(by="month", keys=tuple(trend.get("month", ())))  # a point opens its month
if not trend.empty:
    trend["month"] = trend["month"].map(month_label)
    for col in TREND_IDS:
        trend[col] = pd.to_numeric(trend[col], errors="coerce").astype("float64")
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('cust.csi_trend')}**")
    charts.lines(trend, "month", {k: kpi_label(k) for k in ("csi_sales", "csi_service", "nps")},
                 "", kind="number", key="csi", drill=by_month)  # fmt: skip
with right:
    st.markdown(f"**{t('cust.discipline_trend')}**")
    charts.lines(trend, "month",
                 {k: kpi_label(k) for k in ("followup_compliance", "return_visit_rate",
                                            "complaint_satisfaction")},
                 "", kind="percent", key="discipline", drill=by_month)  # fmt: skip

st.subheader(t("cust.complaints"))
cards.grid(cards.section_cards(customers, page_cards.COMPLAINTS, scope, trend=False), overrides)
complaints = data.frame(customers.complaints_list, scope)
if complaints.empty:
    st.caption(t("common.none_listed"))
else:
    complaints["department"] = complaints["department"].map(lambda d: enum_label("department", d))
    complaints["status"] = complaints["status"].map(lambda s: t(f"cust.complaint_{s}"))
    # text, not a mix of dates and "—" (Arrow would reject the mixed column and log a retry)
    complaints["closed_date"] = complaints["closed_date"].map(
        lambda d: "—" if pd.isna(d) else d.isoformat()
    )
    for col in ("major", "satisfied"):
        complaints[col] = complaints[col].map(
            lambda v: "—" if v is None or v != v else t(f"common.{'yes' if v else 'no'}")
        )
    flagged_table(
        complaints,
        [("complaint_id", "cust.complaint", "text"), ("store", "sidebar.store", "text"),
         ("department", "cust.department", "text"), ("category", "cust.category", "text"),
         ("major", "cust.major", "text"), ("status", "cust.status", "text"),
         ("opened_date", "cust.opened", "date"), ("closed_date", "cust.closed", "text"),
         ("days_open", "cust.days_open", "int"), ("satisfied", "cust.satisfied", "text")],
        flags=complaints["major"].eq(t("common.yes")).tolist(),
        key="complaints",
    )  # fmt: skip
    st.caption(t("cust.major_note"))
