"""Sales: funnel, daily traffic, consultants, models, channels, deal mix, gross, closing rates."""

import streamlit as st

from kpi import sales
from ui import backlog_view, cards, charts, consultant_view, data, page_cards, sidebar, tables
from ui.drill import ChartDrill
from ui.formatting import kpi_delta
from ui.i18n import enum_label, kpi_label, t
from ui.outlook import outlook

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)
kpis = data.summary(sales, scope)

st.title(t("sales.title"))
st.caption(f"{ctx.store_label} · {ctx.period_label}{ctx.filter_suffix}")
cards.grid(cards.section_cards(sales, page_cards.SALES, scope), overrides)
outlook(scope)

left, right = st.columns([2, 3])
with left:
    stages = ["walk_ins", "test_drives", "orders", "deliveries"]
    ids = ["walk_in_batches", "test_drives", "orders", "deliveries"]
    charts.funnel(
        [t(f"sales.funnel_stage.{s}") for s in stages],
        [kpis.get(i) or 0 for i in ids],
        t("sales.funnel"),
        key="funnel",
        drill=ChartDrill(point_kpis=tuple(ids)),
    )
with right:
    days = data.frame(sales.daily, scope)
    charts.lines(
        days,
        "date",
        {"walk_in_batches": t("sales.walk_ins"), "phone_batches": t("sales.calls")},
        t("sales.daily"),
        key="daily",
        drill=ChartDrill(by="day", keys=tuple(days.get("date", ()))),
    )

tab_c, tab_m, tab_ch = st.tabs(
    [t("sales.by_consultant"), t("sales.by_model"), t("sales.by_channel")]
)
with tab_c:
    tables.show(
        consultant_view.with_links(data.frame(sales.by_consultant, scope), ctx),
        [
            ("consultant", "sales.consultant", "text"),
            ("page", "consultant.open", "link"),
            ("store", "sidebar.store", "text"),
            ("walk_in_batches", None, None),
            ("test_drives", None, None),
            ("test_drive_rate", None, None),
            ("orders", None, None),
            ("deliveries", None, None),
            ("close_rate", None, None),
            ("total_gross_per_unit", None, None),
        ],
        status_cols=["test_drive_rate", "close_rate"],
        overrides=overrides,
    )
with tab_m:
    tables.show(
        data.frame(sales.by_model, scope),
        [
            ("model", "sales.model", "text"),
            ("walk_in_batches", None, None),
            ("test_drives", None, None),
            ("orders", None, None),
            ("deliveries", None, None),
            ("front_gross_per_unit", None, None),
            ("total_gross_per_unit", None, None),
        ],
    )
with tab_ch:
    channels = data.frame(sales.by_channel, scope)
    if not channels.empty:
        by_channel = ChartDrill(by="channel", keys=tuple(channels["channel"]))
        channels["channel"] = channels["channel"].map(lambda c: enum_label("channel", c))
        charts.bars(
            channels,
            "channel",
            {c: kpi_label(c) for c in ["walk_in_batches", "phone_batches", "orders", "deliveries"]},
            t("sales.by_channel"),
            key="by_channel",
            drill=by_channel,
        )
    else:
        st.caption(t("common.none_listed"))

for title, ids in page_cards.SALES_ROWS.items():
    cards.section(t(title), sales, ids, scope, overrides)
diff = kpi_delta("close_rate", kpis.get("cohort_close_rate"), kpis.get("close_rate"))
st.markdown(t("sales.closing_explained", diff=diff or "—"))

backlog_view.section(scope, overrides)  # orders awaiting delivery, matched to stock and transit
