"""Customers: open leads, the overdue follow-up list, satisfaction and NPS trends, complaints."""

from dataclasses import replace

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

# One store: every open lead in one read; the chart counts them per consultant and level (as
# customers.open_leads_by_level), the list keeps the overdue ones (as customers.overdue_list,
# same order). A group (hundreds of thousands of leads at 700 stores) counts them per store,
# consultant and level, charts the consultants with the most and lists the most overdue, the
# whole list a download (ui.leads_view).
pooled = ctx.store is None
if pooled:
    counts = data.frame(customers.lead_counts, scope)
    leads = counts.drop(columns="overdue")
else:
    book = data.frame(customers.open_lead_list, scope)
    leads = (
        book.groupby(["store", "consultant", "lead_level"], dropna=False)
        .size()
        .reset_index(name="open_leads")
        .rename(columns={"lead_level": "level"})
        if not book.empty
        else book
    )

st.subheader(t("cust.leads"))
if not leads.empty:
    if pooled:
        leads["consultant"] = leads["consultant"].fillna("—") + " · " + leads["store"]
    wide = leads.pivot_table(
        index="consultant", columns="level", values="open_leads", aggfunc="sum", fill_value=0
    ).reindex(columns=LEVELS, fill_value=0)
    wide = wide.loc[wide.sum(axis=1).sort_values(ascending=False).index].reset_index()
    if pooled and len(wide) > leads_view.TOP_CONSULTANTS:
        st.caption(t("cust.leads_top", n=leads_view.TOP_CONSULTANTS, total=f"{len(wide):,}"))
        wide = wide.head(leads_view.TOP_CONSULTANTS)
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
        if not pooled
        else None,  # pooled rows are "name · store"
    )
else:
    st.caption(t("common.none_listed"))

st.subheader(t("cust.overdue"))
if pooled:
    late = counts[counts["overdue"] > 0] if not counts.empty else counts
    names = sorted(late["consultant"].dropna().unique()) if not late.empty else []
else:
    overdue = book[book["days_overdue"] > 0].reset_index(drop=True) if not book.empty else book
    names = sorted(overdue["consultant"].dropna().unique()) if not overdue.empty else []
me = auth.current_user()
mine = names.index(me.display_name) + 1 if me and me.display_name in names else 0
everyone = t("cust.everyone")
who = st.selectbox(t("cust.mine"), [None, *names], index=mine, key="cust_consultant",
                   format_func=lambda n: everyone if n is None else n)  # fmt: skip
if pooled:
    picked = scope if who is None else replace(scope, consultant=who)
    total = int(late["overdue"].sum() if who is None else
                late.loc[late["consultant"] == who, "overdue"].sum())  # fmt: skip
    overdue = data.frame(customers.overdue_list, picked, limit=leads_view.OVERDUE_ROWS)
else:
    if who is not None:
        overdue = overdue[overdue["consultant"] == who]
    total = len(overdue)
st.caption(t("cust.overdue_note", n=total))
if len(overdue) < total:
    st.caption(t("cust.overdue_top", n=len(overdue), total=f"{total:,}"))
columns = [("customer_id", "cust.customer", "text"), ("consultant", "sales.consultant", "text"),
           ("lead_level", "cust.level", "text"), ("last_contact", "cust.last_contact", "date"),
           ("cadence_days", "cust.cadence", "int"),
           ("days_overdue", "cust.days_overdue", "int")]  # fmt: skip
if pooled:
    columns.insert(2, ("store", "sidebar.store", "text"))
shown = tables.show(overdue, columns, height=360, key="overdue", download=False)  # its own below
file_name = f"overdue_{who or 'all'}_{scope.as_of}.csv"
if not shown.empty and pooled:  # the whole list, written when clicked
    leads_view.overdue_download(picked, columns, t("cust.download"), file_name, key="dl")
elif not shown.empty:
    csv_button(shown, t("cust.download"), file_name, key="dl")

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
