"""Marketing: the month's spend and traffic, channels with their cost, the mix trend, events."""

import streamlit as st

from kpi import marketing, sales
from ui import cards, charts, data, page_cards, sidebar, tables
from ui.drill import ChartDrill
from ui.formatting import money, month_label, number
from ui.highlight import flagged_table
from ui.i18n import enum_label, kpi_label, t
from ui.report_button import report_button

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)
totals = data.summary(marketing, scope)

st.title(t("mkt.title"))
st.caption(t("mkt.caption", store=ctx.store_label, period=ctx.period_label) + ctx.filter_suffix)
report_button(ctx, key="report_marketing")

st.subheader(t("mkt.summary"))
spend_col, events_col = st.columns(2)
with spend_col, st.container(border=True):
    st.metric(t("mkt.spend"), money(totals.get("marketing_spend")), help=t("mkt.spend_help"))
with events_col, st.container(border=True):
    st.metric(t("mkt.events_count"), number(totals.get("marketing_events")))
cards.grid(cards.section_cards(sales, page_cards.MARKETING, scope), overrides)

st.subheader(t("mkt.channels"))
channels = data.frame(marketing.by_channel, scope)
if not channels.empty:
    by_channel = ChartDrill(("walk_in_batches", "phone_batches", "orders"), "channel",
                            tuple(channels["channel"]))  # fmt: skip
    channels["channel"] = channels["channel"].map(lambda c: enum_label("channel", c))
    charts.bars(
        channels,
        "channel",
        {"walk_ins": t("sales.walk_ins"), "calls": t("sales.calls"), "orders": kpi_label("orders")},
        "",
        key="channels",
        drill=by_channel,
    )
tables.show(
    channels,
    [
        ("channel", "sales.channel", "text"),
        ("walk_ins", "sales.walk_ins", "int"),
        ("calls", "sales.calls", "int"),
        ("orders", None, "int"),
        ("spend_cny", "mkt.spend", "money"),
        ("cost_per_walk_in", None, "money"),
        ("cost_per_order", None, "money"),
    ],
)
st.caption(t("mkt.cost_note"))

st.subheader(t("mkt.mix"))
mix = data.frame(marketing.channel_monthly, scope, months=13)
if not mix.empty:
    mix["channel"] = mix["channel"].map(lambda c: enum_label("channel", c))
    wide = mix.pivot_table(index="month", columns="channel", values="walk_ins", aggfunc="sum")
    shares = wide.div(wide.sum(axis=1), axis=0).fillna(0.0).reset_index()
    shares["month"] = shares["month"].map(month_label)
    charts.bars(
        shares,
        "month",
        {c: c for c in shares.columns if c != "month"},
        "",
        kind="percent",
        stacked=True,
        key="mix",
    )

st.subheader(t("mkt.events"))
events = data.frame(marketing.events, scope)
if not events.empty:
    events["kind"] = events["kind"].map(lambda k: enum_label("campaign_kind", k))
columns = [("name", "mkt.event", "text"), ("kind", "mkt.kind", "text"),
           ("invited", "mkt.invited", "int"), ("arrived", "mkt.arrived", "int"),
           ("event_arrival_rate", None, "percent"), ("a_leads", "mkt.a_leads", "int"),
           ("target_a_leads", "mkt.target_a_leads", "int"),
           ("orders_30d", "mkt.orders_30d", "int"), ("cost_per_order", None, "money")]  # fmt: skip
if ctx.store is None:
    columns.insert(1, ("store", "sidebar.store", "text"))
# An event below its standard of A-level leads is shaded amber.
short = (events["a_leads"] < events["target_a_leads"]).fillna(False) if not events.empty else []
flagged_table(events, columns, flags=list(short), state="amber", key="events")
st.caption(t("mkt.events_note"))
