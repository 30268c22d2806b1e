"""Chart builders for the pages: every figure gets the house template (ui.theme).

Callers pass labels already translated; the builders only decide the chart's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.formatting import percent
from ui.i18n import current_lang
from ui.theme import PALETTE, STATUS_COLOURS, apply, show

if TYPE_CHECKING:
    from ui.drill import ChartDrill

TICKFORMATS = {"percent": ".0%", "money": ",.0f", "int": ",d", "number": ",.1f"}


def _date_axis(fig: go.Figure, values: pd.Series) -> None:
    """Format a date x axis without English month names in the Chinese UI."""
    if len(values) and hasattr(values.iloc[0], "month"):
        tick = "%-m月%-d日" if current_lang() == "zh" else "%b %-d"
        fig.update_xaxes(tickformat=tick, hoverformat="%Y-%m-%d")


def _show(fig: go.Figure, key: str | None, drill: ChartDrill | None, kpis: Sequence[str]):
    """Draw the figure; with ``drill`` (and a key) a clicked point opens its records.

    ``kpis``: the KPI of each trace drawn, when ``drill`` names none.
    """
    if drill is None or key is None:
        show(fig, key=key)
        return
    from ui.drill import chart_callback
    from ui.i18n import t

    if not drill.kpis and not drill.point_kpis:
        drill = replace(drill, kpis=tuple(kpis))
    show(fig, key=key, on_select=chart_callback(key, drill))
    st.caption(t("drill.chart_hint"))


def _axis_format(fig: go.Figure, kind: str, y_title: str = "") -> None:
    fig.update_yaxes(title_text=y_title, tickformat=TICKFORMATS.get(kind, ""), rangemode="tozero")
    if kind == "money":
        fig.update_yaxes(tickprefix="¥")


def funnel(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    key: str,
    drill: ChartDrill | None = None,
) -> None:
    """Draw a funnel of stages with each stage's share of the first."""
    fig = go.Figure(
        go.Funnel(
            y=list(labels),
            x=list(values),
            textinfo="value+percent initial",
            marker={"color": PALETTE[: len(labels)]},
            connector={"line": {"color": "#D1D5DB"}},
        )
    )
    fig.update_layout(title_text=title)
    _show(apply(fig, 320), key, drill, ())


def lines(
    df: pd.DataFrame,
    x: str,
    series: dict[str, str],
    title: str,
    kind: str = "int",
    x_title: str = "",
    y_title: str = "",
    key: str | None = None,
    bars: Sequence[str] = (),
    drill: ChartDrill | None = None,
) -> None:
    """Draw one line per series column (or bars for columns in `bars`) against x.

    ``drill``: a clicked point opens the records of its series' KPI (ui.drill.ChartDrill).
    """
    fig = go.Figure()
    for i, (col, label) in enumerate(series.items()):
        if col not in df.columns:
            continue
        colour = PALETTE[i % len(PALETTE)]
        y = pd.to_numeric(df[col], errors="coerce")
        if col in bars:
            fig.add_bar(x=df[x], y=y, name=label, marker_color=colour)
        else:
            fig.add_scatter(
                x=df[x], y=y, name=label, mode="lines+markers", line={"color": colour, "width": 2}
            )
    fig.update_layout(title_text=title, hovermode="x unified", showlegend=len(series) > 1)
    fig.update_xaxes(title_text=x_title)
    _date_axis(fig, df[x])
    _axis_format(fig, kind, y_title)
    _show(apply(fig), key, drill, [c for c in series if c in df.columns])


def bars(
    df: pd.DataFrame,
    x: str,
    series: dict[str, str],
    title: str,
    kind: str = "int",
    stacked: bool = False,
    horizontal: bool = False,
    colours: Sequence[str] | None = None,
    x_title: str = "",
    y_title: str = "",
    key: str | None = None,
    height: int = 320,
    drill: ChartDrill | None = None,
) -> None:
    """Draw grouped (or stacked) bars, one trace per series column.

    ``drill``: a clicked bar opens the records of its series' KPI (ui.drill.ChartDrill).
    """
    fig = go.Figure()
    for i, (col, label) in enumerate(series.items()):
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        colour = colours[i] if colours and i < len(colours) else PALETTE[i % len(PALETTE)]
        if horizontal:
            fig.add_bar(y=df[x], x=values, name=label, orientation="h", marker_color=colour)
        else:
            fig.add_bar(x=df[x], y=values, name=label, marker_color=colour)
    fig.update_layout(
        title_text=title,
        barmode="stack" if stacked else "group",
        showlegend=len(series) > 1,
        legend={"traceorder": "normal"},
    )
    if horizontal:
        fig.update_yaxes(autorange="reversed", title_text=x_title, type="category")
        fig.update_xaxes(tickformat=TICKFORMATS.get(kind, ""), title_text=y_title)
    else:
        fig.update_xaxes(title_text=x_title, type="category")
        _axis_format(fig, kind, y_title)
    _show(apply(fig, height), key, drill, [c for c in series if c in df.columns])


def status_bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    states: Sequence[str],
    title: str,
    kind: str = "number",
    key: str | None = None,
) -> None:
    """Draw bars coloured by each value's threshold status."""
    fig = go.Figure(
        go.Bar(
            x=list(labels),
            y=[None if v is None else float(v) for v in values],
            marker_color=[STATUS_COLOURS.get(s, STATUS_COLOURS["neutral"]) for s in states],
        )
    )
    fig.update_layout(title_text=title, showlegend=False)
    fig.update_xaxes(type="category")
    _axis_format(fig, kind)
    show(apply(fig), key=key)


def donut(labels: Sequence[str], values: Sequence[float], title: str, key: str | None = None):
    """Draw shares of a whole as a donut."""
    fig = go.Figure(
        go.Pie(
            labels=list(labels),
            values=list(values),
            hole=0.55,
            sort=False,
            marker={"colors": PALETTE[: len(labels)]},
            textinfo="percent",
        )
    )
    fig.update_layout(
        title_text=title,
        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.05, "yanchor": "top"},
    )
    show(apply(fig), key=key)


def heatmap(
    df: pd.DataFrame,
    x: str,
    group: list[str],
    value: str,
    title: str,
    key: str | None = None,
) -> None:
    """Draw rows (one per combination of `group`) by x columns for a percentage KPI `value`.

    Cells take the catalogue's status colour when the KPI has thresholds, else a blue scale
    relative to the values shown. Reads better than one line per person past a handful.
    """
    rows = df.assign(_row=df[group].astype(str).agg(" · ".join, axis=1))
    order = list(dict.fromkeys(rows[x]))
    wide = rows.pivot_table(index="_row", columns=x, values=value, aggfunc="first", sort=True)
    wide = wide.reindex(columns=order)
    percent_heatmap(wide.to_numpy(dtype=float), order, list(wide.index), value, title, key)


def percent_heatmap(
    values, x: list, y: list, kpi_id: str, title: str, key: str | None = None
) -> None:
    """Draw a matrix of percentages (rows y, top first, by columns x) for the KPI kpi_id.

    Cells take the catalogue's status colour when the KPI has thresholds, else a blue scale
    relative to the values shown.
    """
    from ui.cards import status
    from ui.tables import STATUS_TINTS

    text = [[percent(v, 0) for v in row] for row in values]
    states = [[status(kpi_id, v) for v in row] for row in values]
    if any(s in ("green", "amber", "red") for row in states for s in row):
        codes = {"red": 0, "amber": 1, "green": 2, "grey": 3, "neutral": 3}
        z = [[codes[s] for s in row] for row in states]
        tints = [STATUS_TINTS[c] for c in ("red", "amber", "green", "grey")]
        scale = [[i / 4 + e, tints[i]] for i in range(4) for e in (0, 0.25)]
        heat = go.Heatmap(z=z, zmin=-0.5, zmax=3.5, colorscale=scale, showscale=False)
    else:
        heat = go.Heatmap(z=values, colorscale=[[0, "#EEF3FA"], [1, "#1F5FAD"]], showscale=False)
    heat.update(
        x=x,
        y=y,
        text=text,
        texttemplate="%{text}",
        hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
        xgap=2,
        ygap=2,
    )
    fig = go.Figure(heat)
    fig.update_layout(title_text=title)
    fig.update_xaxes(type="category")
    fig.update_yaxes(autorange="reversed", type="category")
    show(apply(fig, height=max(240, 24 * len(y) + 120)), key=key)
