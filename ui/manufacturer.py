"""The Manufacturer page's parts: the period's retail and wholesale units against their targets,
and each programme's standing against its tiers (kpi.programs.programs_detail).

Rebate money is confidential like gross: the page is gated like every KPI page (a signed-in
viewer, or a store whose whole view a manager made public; a public TV board opens nothing
here), so nothing in this module checks access again.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi import programs, sales, targets
from kpi.scope import Scope
from ui import auth, data, tables
from ui.formatting import is_missing, kpi_value, money, number, percent, span_label
from ui.i18n import enum_label, kpi_help, kpi_label, t
from ui.theme import GRID, MUTED, PRIMARY, STATUS_COLOURS, TEXT, apply, show

# Retail is deliveries (any sale type), wholesale the manufacturer's invoices; the targets
# table carries both as metrics of the same names (DATA-CONTRACT.md, targets).
MONTH_METRICS = ("deliveries", "wholesale_units")
PACE_COLOUR = "#9DB8DC"  # the projection: the primary blue, lighter
LABEL_SHIFT_PX = 34  # one line-pair of a tier label, for labels that would overlap
CLOSE_SHARE = 0.16  # tiers nearer than this share of the axis get staggered labels


def period_figures(scope: Scope) -> list[tuple[str, float | None, float | None]]:
    """Return (metric, actual, target) for retail and wholesale units of the period.

    The target is the targets table's row(s) of that metric prorated over the period
    (kpi.targets.targets_for, summed over stores); None when there is none.
    """
    actual = {
        "deliveries": data.summary(sales, scope, light=True).get("deliveries"),
        "wholesale_units": data.cached(programs.summary, scope).get("wholesale_units"),
    }
    out = []
    for metric in MONTH_METRICS:
        found = data.frame(targets.targets_for, scope, metric=metric)
        target = float(found["target"].sum()) if not found.empty else None
        out.append((metric, actual[metric], target))
    return out


def period_cards(scope: Scope) -> None:
    """Draw the period's retail and wholesale units, each with its target or 'no target'."""
    st.subheader(t("mfr.month"))
    cols = st.columns(4)
    for col, (metric, actual, target) in zip(cols, period_figures(scope), strict=False):
        with col, st.container(border=True):
            st.metric(kpi_label(metric), kpi_value(metric, actual), help=kpi_help(metric))
            if target:
                share = None if is_missing(actual) else float(actual) / target
                st.caption(
                    t("mfr.target_line", target=number(target, 0), achievement=percent(share, 0))
                )
            else:
                st.caption(t("mfr.no_target"))


def _tier_no(value: object) -> str:
    return number(value, 0)


def _caption(p: dict[str, Any], as_of) -> str:
    if as_of < p["start_date"]:
        tier = t("mfr.not_started")
    elif p["tier_reached"] is not None:
        tier = t("mfr.tier_reached", tier=_tier_no(p["tier_reached"]))
    else:
        tier = t("mfr.no_tier")
    return t(
        "mfr.programme_caption",
        basis=enum_label("basis", p["basis"]),
        dates=span_label(p["start_date"], p["end_date"]),
        target=number(p["target_units"], 0),
        tier=tier,
    )


def tier_figure(p: dict[str, Any]) -> go.Figure:
    """Return the programme's units (and their projection) as bars, its tiers as lines."""
    target = p["target_units"] or 0
    rows = [(t("mfr.units_counted"), float(p["units"]), PRIMARY)]
    if p["projected_units"] is not None and p["end_date"] > p["start_date"]:
        rows.append((t("mfr.at_pace"), float(p["projected_units"]), PACE_COLOUR))
    texts = [
        t(
            "mfr.bar_text",
            units=number(x, 0),
            achievement=percent(x / target if target else None, 0),
        )
        for _, x, _ in rows
    ]
    fig = go.Figure(
        go.Bar(
            y=[r[0] for r in rows], x=[r[1] for r in rows], orientation="h",
            marker_color=[r[2] for r in rows], text=texts, hoverinfo="skip", cliponaxis=False,
            # inside the bar from its start (clear of the tier lines), outside a bar too short
            textposition="auto", insidetextanchor="start",
            insidetextfont={"color": ["white", TEXT][: len(rows)]},
            outsidetextfont={"color": TEXT},
        )
    )  # fmt: skip
    top = max([tier["units"] for tier in p["tiers"]] + [r[1] for r in rows] + [1]) * 1.18
    level, last_x, levels = 0, None, []
    for tier in p["tiers"]:
        close = last_x is not None and (tier["units"] - last_x) / top < CLOSE_SHARE
        level = (level + 1) % 2 if close else 0
        levels.append(level)
        last_x = tier["units"]
        reached = p["achievement"] is not None and p["units"] >= tier["units"]
        colour = STATUS_COLOURS["green"] if reached else MUTED
        fig.add_vline(x=tier["units"], line_dash="dash", line_color=colour, line_width=2)
        label = t("mfr.tier_line", tier=_tier_no(tier["tier"]), units=number(tier["units"], 0),
                  amount=money(tier["amount"], compact=True))  # fmt: skip
        fig.add_annotation(
            x=tier["units"], y=1, yref="paper", yanchor="bottom", yshift=4 + level * LABEL_SHIFT_PX,
            text=label, showarrow=False, font={"size": 12, "color": colour}, align="center",
        )  # fmt: skip
    fig.update_xaxes(range=[0, top], title_text=t("common.units"), gridcolor=GRID)
    fig.update_yaxes(autorange="reversed", type="category")
    top_margin = 52 + LABEL_SHIFT_PX * max(levels or [0])
    fig.update_layout(showlegend=False, margin={"t": top_margin, "l": 8, "r": 24, "b": 8})
    return apply(fig, height=150 + 45 * len(rows) + LABEL_SHIFT_PX * max(levels or [0]))


def tier_table(p: dict[str, Any], key: str) -> None:
    """Draw the programme's tiers: achievement needed, units, per unit, share of cost, amount."""
    frame = pd.DataFrame(p["tiers"])
    frame["tier"] = frame["tier"].map(_tier_no)
    tables.show(
        frame,
        [("tier", "mfr.tier", "text"), ("min_achievement", "mfr.min_achievement", "percent"),
         ("units", "mfr.tier_units", "int"), ("per_unit", "mfr.per_unit", "money"),
         ("pct_of_cost", "mfr.pct_of_cost", "percent"), ("amount", "mfr.tier_amount", "money")],
        key=key,
    )  # fmt: skip


# The cards of one programme, in the order a GM reads them; days left is not a catalogue KPI.
CARDS = (
    ("program_achievement", "achievement"),
    ("rebate_earned", "earned"),
    ("rebate_projected", "projected"),
    ("rebate_next_tier_units", "next_tier_units"),
    ("rebate_next_tier_gain", "next_tier_gain"),
)


def programme(p: dict[str, Any], scope: Scope, key: str) -> None:
    """Draw one programme: name, basis and dates, its cards, the tier chart and the tiers."""
    with st.container(border=True):
        pooled = scope.store is None
        name = f"{data.store_name(p['store'])} · {p['name']}" if pooled else p["name"]
        st.markdown(f"**{auth.md(name)}**")
        st.caption(_caption(p, scope.as_of))
        cols = st.columns(len(CARDS) + 1)
        for col, (kpi_id, field) in zip(cols, CARDS, strict=False):
            value = p[field]
            col.metric(kpi_label(kpi_id), kpi_value(kpi_id, value), help=kpi_help(kpi_id))
        cols[-1].metric(t("mfr.days_left"), number(p["days_left"], 0))
        if p["next_tier"] is None and p["achievement"] is not None:
            st.caption(t("mfr.top_tier"))
        show(tier_figure(p), key=f"{key}_chart")
        with st.expander(t("mfr.tiers")):
            tier_table(p, key=f"{key}_tiers")


# Past this many programmes (a group's stores pooled) one table lists them all and only those
# with the most to gain at their next tier get a chart: 1,400 charts took 40 s a rerun.
MAX_PROGRAMME_CHARTS = 12
OVERVIEW_COLUMNS: list[tables.ColSpec] = [
    ("store_name", "sidebar.store", "text"),
    ("name", "mfr.programme", "text"),
    ("achievement", "mfr.achievement", "percent"),
    ("earned", "mfr.earned", "money"),
    ("projected", "mfr.projected", "money"),
    ("next_tier_units", "mfr.next_units", "int"),  # whole units (a float column with gaps)
    ("next_tier_gain", "mfr.next_gain", "money"),
    ("days_left", "mfr.days_left", "int"),
]


def programmes(found: list[dict[str, Any]], scope: Scope) -> None:
    """Draw the period's programmes: each with its chart, or past MAX_PROGRAMME_CHARTS a
    table of all and the charts of those with the most to gain at their next tier."""
    shown = found
    if len(found) > MAX_PROGRAMME_CHARTS:
        frame = pd.DataFrame(found)
        frame["store_name"] = frame["store"].map(data.store_names(frame["store"].unique()))
        tables.show(frame, OVERVIEW_COLUMNS, key="programme_overview")
        ranked = sorted(found, key=lambda p: -(p["next_tier_gain"] or 0))
        shown = ranked[:MAX_PROGRAMME_CHARTS]
        st.caption(t("mfr.charts_limited", n=MAX_PROGRAMME_CHARTS, total=len(found)))
    for n, p in enumerate(shown):
        programme(p, scope, key=f"programme_{n}")
