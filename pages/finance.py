"""Finance: gross by department to operating profit, expenses, absorption, break-even, capital."""

import plotly.graph_objects as go
import streamlit as st

from kpi import finance, inventory
from ui import cards, charts, data, page_cards, sidebar, tables
from ui.drill import ChartDrill
from ui.formatting import month_label
from ui.i18n import enum_label, has_enum, kpi_label, t
from ui.report_button import report_button
from ui.theme import PALETTE, STATUS_COLOURS, apply, show

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("fin.title"))
st.caption(t("fin.caption", store=ctx.store_label, period=ctx.period_label) + ctx.filter_suffix)
report_button(ctx, key="report_finance")
cards.grid(cards.section_cards(finance, page_cards.FINANCE, scope), overrides)

st.subheader(t("fin.waterfall"))
steps = data.frame(finance.gross_waterfall, scope)
if not steps.empty:
    last = len(steps) - 1
    fig = go.Figure(
        go.Waterfall(
            x=[kpi_label(s) for s in steps["step"]],
            y=steps["amount_cny"].tolist(),
            measure=["relative"] * last + ["total"],
            texttemplate="¥%{y:,.0f}",
            textposition="outside",
            increasing={"marker": {"color": PALETTE[0]}},
            decreasing={"marker": {"color": STATUS_COLOURS["red"]}},
            totals={"marker": {"color": STATUS_COLOURS["green"]}},
            connector={"line": {"color": "#D1D5DB"}},
        )
    )
    fig.update_yaxes(tickprefix="¥", tickformat=",.0f")
    fig.update_layout(showlegend=False)
    show(apply(fig, 380), key="waterfall")

left, right = st.columns(2)
with left:
    st.subheader(t("fin.break_even"))
    st.caption(t("fin.break_even_note"))
    monthly = data.frame(finance.monthly, scope, months=13)
    by_month = ChartDrill(by="month", keys=tuple(monthly.get("month", ())))  # a point: its month
    if not monthly.empty:
        monthly["month"] = monthly["month"].map(month_label)
    charts.lines(
        monthly,
        "month",
        {"deliveries": kpi_label("deliveries"), "break_even_units": kpi_label("break_even_units")},
        "",
        kind="number",
        bars=["deliveries"],
        key="break_even",
        drill=by_month,
    )
with right:
    st.subheader(t("fin.capital"))
    cards.grid(
        cards.section_cards(inventory, page_cards.CAPITAL, scope),
        overrides,
        per_row=2,
    )
    charts.lines(
        monthly,
        "month",
        {"service_absorption": kpi_label("service_absorption")},
        t("fin.absorption_trend"),
        kind="percent",
        key="absorption",
        drill=by_month,
    )

st.subheader(t("fin.expenses"))
expenses = data.frame(finance.expenses_by, scope)
if not expenses.empty:
    expenses["department"] = expenses["department"].map(lambda d: enum_label("department", d))
    expenses["category"] = expenses["category"].map(
        lambda c: enum_label("expense_category", c) if has_enum("expense_category", c) else c
    )
    expenses["fixed"] = expenses["fixed"].map(lambda f: t(f"fin.fixed_{bool(f)}".lower()))
    by_dept = expenses.pivot_table(
        index="department", columns="fixed", values="amount_cny", aggfunc="sum"
    ).reset_index()
    charts.bars(
        by_dept,
        "department",
        {t(f"fin.fixed_{f}"): t(f"fin.fixed_{f}") for f in ("true", "false")},
        "",
        kind="money",
        stacked=True,
        horizontal=True,
        key="expenses",
        height=260,
    )
tables.show(
    expenses,
    [
        ("department", "fin.department", "text"),
        ("category", "fin.category", "text"),
        ("fixed", "fin.nature", "text"),
        ("amount_cny", "fin.amount", "money"),
    ],
)

st.subheader(t("fin.trend"))
charts.lines(
    monthly,
    "month",
    {k: kpi_label(k) for k in ("total_gross", "total_expenses", "net_profit")},
    "",
    kind="money",
    key="profit_trend",
    drill=by_month,
)
