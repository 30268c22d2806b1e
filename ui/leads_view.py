"""Lead capture and lost leads on the Customers page (kpi.leads): capture by consultant, the
lost leads' reasons by month over the last 12 months and the competitors they bought instead.

Each month of the chart is its own period (as of its end, or as_of for the running one), so a
month's bars are that month's lost_reasons as the report prints them.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from kpi import leads
from kpi.scope import Scope, month_end, parse_month
from ui import cards, charts, data, page_cards, tables
from ui.formatting import month_label
from ui.i18n import enum_label, t

MONTHS = 12
TOP_COMPETITORS = 10


def month_scopes(scope: Scope, months: int = MONTHS) -> list[Scope]:
    """Return the scopes of the `months` calendar months ending with as_of's, filters kept."""
    out = []
    for m in data.trailing_months(scope.as_of, months):
        start = parse_month(m)
        end = month_end(start)
        out.append(
            replace(scope, start=start, end=end, as_of=min(end, scope.as_of), horizon_at=None)
        )
    return out


def lost_by_month(scope: Scope) -> pd.DataFrame:
    """Return every lost lead of the last 12 months: month, lost_reason, lost_to."""
    frames = []
    for s in month_scopes(scope):
        found = data.cached(leads.lost_records, s)
        frames.append(
            pd.DataFrame(found, columns=["lost_reason", "lost_to"]).assign(month=f"{s.start:%Y-%m}")
        )
    return pd.concat(frames, ignore_index=True)


def competitors(lost: pd.DataFrame, period: pd.DataFrame) -> pd.DataFrame:
    """Return the top competitors (lost_to) by lost leads over 12 months, with this period's."""
    named = lost.dropna(subset=["lost_to"])
    if named.empty:
        return pd.DataFrame(columns=["lost_to", "lost_12m", "lost_period"])
    top = named.groupby("lost_to").size().rename("lost_12m").reset_index()
    now = period.dropna(subset=["lost_to"]).groupby("lost_to").size() if not period.empty else {}
    top["lost_period"] = top["lost_to"].map(now).fillna(0).astype("int64")
    top = top.sort_values(["lost_12m", "lost_to"], ascending=[False, True])
    return top.head(TOP_COMPETITORS).reset_index(drop=True)


def section(scope: Scope, overrides: dict | None = None) -> None:
    """Draw lead capture and lost leads: cards, capture by consultant, reasons, competitors."""
    st.subheader(t("leads.title"))
    cards.grid(cards.section_cards(leads, page_cards.LEADS, scope, trend=False), overrides)
    lost = lost_by_month(scope)
    period = pd.DataFrame(
        data.cached(leads.lost_records, scope),
        columns=["lost_reason", "lost_to"],
    )
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('leads.by_consultant')}**")
        columns = [
            ("consultant", "sales.consultant", "text"),
            ("first_visits", "leads.first_visits", "int"),
            ("captured", "leads.captured", "int"),
            ("lead_capture_rate", None, None),
        ]
        if scope.store is None:
            columns.insert(1, ("store", "sidebar.store", "text"))
        tables.show(
            data.frame(leads.capture_by_consultant, scope),
            columns,
            status_cols=["lead_capture_rate"],
            overrides=overrides,
            key="capture",
        )
    with right:
        st.markdown(f"**{t('leads.competitors')}**")
        tables.show(
            competitors(lost, period),
            [
                ("lost_to", "leads.competitor", "text"),
                ("lost_12m", "leads.lost_12m", "int"),
                ("lost_period", "leads.lost_period", "int"),
            ],
            key="competitors",
        )
    st.markdown(f"**{t('leads.reasons_trend')}**")
    if lost.empty:
        st.caption(t("common.none_listed"))
        return
    wide = lost.pivot_table(index="month", columns="lost_reason", aggfunc="size", fill_value=0)
    wide = wide.reindex(data.trailing_months(scope.as_of, MONTHS), fill_value=0)
    wide.index.name = "month"
    reasons = list(wide.sum().sort_values(ascending=False).index)
    wide = wide.reset_index()
    wide["month"] = wide["month"].map(month_label)
    charts.bars(
        wide,
        "month",
        {r: enum_label("lost_reason", r) for r in reasons},
        "",
        stacked=True,
        key="lost_reasons",
    )
