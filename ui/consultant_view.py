"""A consultant's page (issue 17): one consultant's month, last 12 months and monthly rank.

The consultant is the sidebar's consultant filter (?consultant=NAME&store=S in a link). Cards
show the consultant's figures (every card opens its records, filtered to them); the ranking
table is the supervisor's monthly ranking among the store's consultants, last place marked,
against the store's per-consultant average.
"""

from __future__ import annotations

from urllib.parse import quote_plus, urlencode

import pandas as pd
import streamlit as st

from kpi import customers, sales, targets
from ui import cards, charts, data, page_cards, tables
from ui.auth import md
from ui.drill import ChartDrill
from ui.formatting import month_label, percent
from ui.i18n import kpi_label, t

PAGE = "consultant"


def link(name: str, store: str | None, extra: dict | None = None) -> str:
    """Return the relative URL of a consultant's page (the sales ranking links to it)."""
    params = {"consultant": name, **({"store": store} if store else {}), **(extra or {})}
    return f"{PAGE}?{urlencode(params)}"


def with_links(ranking: pd.DataFrame, ctx) -> pd.DataFrame:
    """Return the consultant ranking with each row's page link (column ``page``).

    The same URL as :func:`link`; the period's part is encoded once, not per row (a group's
    ranking has thousands of consultants).
    """
    if ranking.empty or "consultant" not in ranking.columns:
        return ranking
    extra = {"lang": ctx.lang}
    if ctx.month:
        extra["month"] = ctx.month
    else:
        extra.update({"from": ctx.scope.start.isoformat(), "to": ctx.scope.end.isoformat()})
    tail = "&" + urlencode(extra)
    names = zip(ranking["consultant"], ranking["store"], strict=True)
    pages = [
        f"{PAGE}?consultant={quote_plus(str(c))}"
        + (f"&store={quote_plus(str(s))}" if s else "")
        + tail
        for c, s in names
    ]
    return ranking.assign(page=pages)


def render(ctx) -> None:
    """Draw the page for the sidebar's consultant (a prompt to choose one when none is)."""
    name = ctx.filters.get("consultant")
    st.title(t("consultant.title", name=md(name)) if name else t("page.consultant"))
    if not name:
        st.info(t("consultant.pick"), icon=":material/badge:")
        return
    st.caption(f"{ctx.store_label} · {ctx.period_label}")
    overrides = data.thresholds(ctx.store)
    ranking = data.frame(sales.consultant_ranking, ctx.unfiltered, months=12)
    mine = ranking[ranking["consultant"] == name] if not ranking.empty else ranking
    _standing(ctx, mine)
    cards.grid(
        cards.section_cards(sales, page_cards.CONSULTANT_SALES, ctx.scope), overrides, per_row=5
    )
    cards.grid(
        cards.section_cards(customers, page_cards.CONSULTANT_CUSTOMERS, ctx.scope, trend=False),
        overrides,
    )
    _months(mine)


def _standing(ctx, mine: pd.DataFrame) -> None:
    """Say this month's rank, last place and target achievement in one line."""
    parts = []
    month = f"{ctx.scope.end:%Y-%m}"
    now = mine[mine["month"] == month] if not mine.empty else mine
    if not now.empty:
        row = now.iloc[0]
        parts.append(t("consultant.rank", rank=int(row["rank"]), of=int(row["consultants"]),
                       month=month_label(month)))  # fmt: skip
        if bool(row["last"]):
            parts.append(f":red-badge[{t('consultant.last')}]")
    goals = data.frame(targets.achievement, ctx.unfiltered, metric="deliveries",
                       by="consultant")  # fmt: skip
    if not goals.empty:
        hit = goals[goals["consultant"] == ctx.filters["consultant"]]
        if not hit.empty and pd.notna(hit.iloc[0]["achievement"]):
            parts.append(t("consultant.target", value=percent(hit.iloc[0]["achievement"], 0)))
    st.markdown(" · ".join(parts) if parts else t("consultant.no_rank"))


def _months(mine: pd.DataFrame) -> None:
    """Draw the last 12 months: deliveries against the store's average, then the ranking."""
    st.subheader(t("consultant.months"))
    if mine.empty:
        st.caption(t("common.none_listed"))
        return
    shown = mine.assign(month_text=mine["month"].map(month_label))
    charts.lines(
        shown,
        "month_text",
        {"deliveries": kpi_label("deliveries"), "avg_deliveries": t("consultant.store_avg")},
        "",
        key="consultant_deliveries",
        bars=("deliveries",),
        drill=ChartDrill(kpis=("deliveries", None), by="month", keys=tuple(mine["month"])),
    )
    shown = shown.assign(
        place=[
            t("consultant.place", rank=r, of=n) + (f" · {t('consultant.last')}" if last else "")
            for r, n, last in zip(mine["rank"], mine["consultants"], mine["last"], strict=True)
        ]
    )
    tables.show(
        shown.iloc[::-1],
        [
            ("month_text", "common.month", "text"),
            ("place", "consultant.rank_col", "text"),
            ("phone_batches", None, None),
            ("walk_in_batches", None, None),
            ("test_drives", None, None),
            ("orders", None, None),
            ("deliveries", None, None),
            ("avg_deliveries", "consultant.store_avg", "number"),
            ("close_rate", None, None),
            ("total_gross_per_unit", None, None),
        ],
        status_cols=["close_rate"],
        key="consultant_months",
    )
