"""Lead capture and lost leads on the Customers page (kpi.leads): capture by consultant, the
lost leads' reasons by month over the last 12 months and the competitors they bought instead.

Each month of the chart is its own period (as of its end, or as_of for the running one), so a
month's bars are that month's lost_reasons as the report prints them. The lost leads arrive
counted (kpi.leads.lost_tally), not listed: a group loses tens of thousands a month.

Also the bounds of the group's open-lead views on the page (pages/customers.py): the
consultants charted, the overdue leads listed, and the whole overdue list as a download
written only when clicked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from kpi import customers, leads
from kpi.scope import Scope
from ui import cards, charts, data, page_cards, tables
from ui.download import to_csv
from ui.formatting import month_label
from ui.i18n import enum_label, t

MONTHS = 12
TOP_COMPETITORS = 10
# A group's Customers page: the consultants (name · store) charted, the overdue leads listed.
TOP_CONSULTANTS = 30
OVERDUE_ROWS = 200


def month_scopes(scope: Scope, months: int = MONTHS) -> list[Scope]:
    """Return the scopes of the `months` calendar months ending with as_of's, filters kept."""
    return leads.month_scopes(scope, months)


def lost_by_month(scope: Scope) -> pd.DataFrame:
    """Return the lost leads of the last 12 months counted per month, lost_reason and lost_to
    (columns month, lost_reason, lost_to, lost_leads)."""
    return data.frame(leads.lost_tally, scope, months=MONTHS)


def overdue_file(scope: Scope, headers: dict[str, str]) -> Callable[[], bytes]:
    """Return a callable writing every overdue lead of the scope as CSV (``headers``: the
    columns to write and their titles). Streamlit runs it when the download is clicked, outside
    the page's run: it opens its own connection and touches no session state."""
    path = data.current().path

    def build() -> bytes:
        with data.reading(path) as con:
            full = customers.overdue_list(con, scope)
        return to_csv(full[list(headers)].rename(columns=headers))

    return build


def overdue_download(
    scope: Scope, columns: Sequence[tuple[str, str, str]], label: str, file_name: str, key: str
) -> None:
    """Offer every overdue lead of the scope as a CSV download, written when clicked."""
    headers = {col: t(title) for col, title, _ in columns}
    st.download_button(
        label,
        data=overdue_file(scope, headers),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def competitors(lost: pd.DataFrame, period: pd.DataFrame) -> pd.DataFrame:
    """Return the top competitors (lost_to) by lost leads over 12 months, with this period's.

    Both frames are lost_tally's counts (month, lost_reason, lost_to, lost_leads).
    """
    named = lost.dropna(subset=["lost_to"])
    if named.empty:
        return pd.DataFrame(columns=["lost_to", "lost_12m", "lost_period"])
    top = named.groupby("lost_to")["lost_leads"].sum().rename("lost_12m").reset_index()
    now = (
        period.dropna(subset=["lost_to"]).groupby("lost_to")["lost_leads"].sum()
        if not period.empty
        else {}
    )
    top["lost_period"] = top["lost_to"].map(now).fillna(0).astype("int64")
    top["lost_12m"] = top["lost_12m"].astype("int64")
    top = top.sort_values(["lost_12m", "lost_to"], ascending=[False, True])
    return top.head(TOP_COMPETITORS).reset_index(drop=True)


def section(scope: Scope, overrides: dict | None = None) -> None:
    """Draw lead capture and lost leads: cards, capture by consultant, reasons, competitors."""
    st.subheader(t("leads.title"))
    cards.grid(cards.section_cards(leads, page_cards.LEADS, scope, trend=False), overrides)
    lost = lost_by_month(scope)
    period = data.frame(leads.lost_tally, scope)
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
    wide = lost.pivot_table(
        index="month", columns="lost_reason", values="lost_leads", aggfunc="sum", fill_value=0
    )
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
