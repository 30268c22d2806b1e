"""One look for every chart: a Plotly template, the palette and the status colours.

Every figure goes through `apply` (or is made by ui.charts, which does) and is drawn with
`show`, which turns Streamlit's own chart theme off so this template is the one in force.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

FONT_FAMILY = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
)
TEXT = "#31333F"
MUTED = "#6B7280"
GRID = "#E5E7EB"
PRIMARY = "#1F5FAD"

# Series colours, in order: calm blue first, then distinct hues that stay apart in print.
PALETTE = ["#1F5FAD", "#F28E2B", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948", "#E15759", "#9C755F"]

# Threshold colours (catalogue status) and the names st.badge / markdown colour syntax know.
STATUS_COLOURS = {
    "green": "#2E7D32",
    "amber": "#F59E0B",
    "red": "#D32F2F",
    "grey": "#9E9E9E",
    "neutral": "#6B7280",
}
STATUS_BADGE = {
    "green": "green",
    "amber": "orange",
    "red": "red",
    "grey": "gray",
    "neutral": "gray",
}

TEMPLATE_NAME = "kpi"


def _template() -> go.layout.Template:
    layout = go.Layout(
        font={"family": FONT_FAMILY, "size": 13, "color": TEXT},
        colorway=PALETTE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
        title={"font": {"size": 15}, "x": 0, "xanchor": "left"},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right",
            "x": 1,
            "title": {"text": ""},
        },
        xaxis={"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "automargin": True},
        yaxis={"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "automargin": True},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        bargap=0.25,
    )
    return go.layout.Template(layout=layout)


pio.templates[TEMPLATE_NAME] = _template()


def apply(fig: go.Figure, height: int = 320) -> go.Figure:
    """Give a figure the house template and a height."""
    fig.update_layout(template=TEMPLATE_NAME, height=height)
    return fig


# Trace fields that carry data onto the chart (axis categories, slice labels, cell text, names).
_DATA_TEXT = ("x", "y", "labels", "text", "hovertext", "name")


def _plain(value):
    """Return data for a chart with Plotly's tags (<a href>, <b>, <br>) shown as written."""
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, (list, tuple)) or str(getattr(value, "dtype", "")) == "object":
        return [_plain(v) for v in value]
    return value


def plain_text(fig: go.Figure) -> go.Figure:
    """Escape the text data of every trace: a name like `<a href=...>` must not become a link."""
    for trace in fig.data:
        for field in _DATA_TEXT:
            value = getattr(trace, field, None)
            if value is not None:
                setattr(trace, field, _plain(value))
    return fig


def show(fig: go.Figure, key: str | None = None, on_select=None, escaped: bool = False) -> None:
    """Draw a figure with the house template (Streamlit's chart theme off), data as text.

    ``on_select`` (a callback; needs ``key``): a clicked point calls it (ui.drill).
    ``escaped``: the figure went through :func:`plain_text` already (a cached figure, which
    must not change: escaping twice would show ``&amp;``).
    """
    select = {"on_select": on_select, "selection_mode": "points"} if on_select and key else {}
    st.plotly_chart(
        fig if escaped else plain_text(fig), theme=None, key=key,
        config={"displaylogo": False, "displayModeBar": False}, **select,
    )  # fmt: skip


# A phone (the GM's, at 390 px): Streamlit stacks every column, which puts one KPI card a row
# and makes the Overview seven screens long; cards go two a row instead, headings and values
# shrink to fit, wide tables scroll inside themselves, and the consultant ranking (the TV
# board, sized for a wall screen in vw) gets sizes a hand-held screen can read. Constant CSS:
# no data goes in.
PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding: 3.25rem 0.75rem 2rem 0.75rem !important; }
  h1 { font-size: 1.7rem !important; }
  h2 { font-size: 1.3rem !important; }
  h3 { font-size: 1.1rem !important; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stMetric"]) {
    flex-direction: row !important; flex-wrap: wrap !important; gap: 0.5rem !important; }
  [data-testid="stHorizontalBlock"]:has([data-testid="stMetric"]) > [data-testid="stColumn"] {
    flex: 0 0 calc(50% - 0.25rem) !important; width: calc(50% - 0.25rem) !important;
    min-width: 0 !important; max-width: calc(50% - 0.25rem) !important; }
  [data-testid="stColumn"] [data-testid="stVerticalBlockBorderWrapper"],
  [data-testid="stColumn"] [data-testid="stLayoutWrapper"] > div { padding: 0.6rem !important; }
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] p {
    font-size: 1.6rem !important; line-height: 1.25 !important; }
  [data-testid="stMetricLabel"] p { font-size: 0.8rem !important; }
  [data-testid="stMetricDelta"] { font-size: 0.75rem !important; }
  [data-testid="stTable"], [data-testid="stMarkdownContainer"] table {
    display: block; max-width: 100%; overflow-x: auto; }
  [data-testid="stDataFrame"] { max-width: 100%; }
  .st-key-tv-preview { zoom: 1 !important; }
  html body .st-key-tv-board { min-height: auto; padding: 8px; }
  html body .st-key-tv-header [data-testid="stText"],
  html body .st-key-tv-header [data-testid="stText"] span,
  html body .st-key-tv-clock [data-testid="stText"],
  html body .st-key-tv-clock [data-testid="stText"] span { font-size: 15px; }
  html body .st-key-tv-footer [data-testid="stText"] span,
  html body .st-key-tv-note [data-testid="stText"] span { font-size: 12px; }
  html body .st-key-tv-board [data-testid="stTable"] th {
    font-size: 12px; padding: 4px !important; }
  html body .st-key-tv-board [data-testid="stTable"] td {
    font-size: 14px; padding: 5px 4px !important; }
  html body .st-key-tv-board [data-testid="stTable"] td:first-child { width: auto; }
  html body .st-key-tv-board [data-testid="stTable"] td:nth-child(2) { max-width: 5.5em; }
  html body .st-key-tv-board [data-testid="stMetricLabel"] p { font-size: 14px !important; }
  html body .st-key-tv-board [data-testid="stMetricValue"] p { font-size: 2.2rem !important; }
  html body .st-key-tv-board [data-testid="stMetricDelta"] p { font-size: 13px !important; }
  html body .st-key-tv-board [data-testid="stMetricDelta"] svg { width: 13px; height: 13px; }
  html body .st-key-tv-board [data-testid="stCaptionContainer"] p { font-size: 12px !important; }
  html body .st-key-tv-month [data-testid="stMetricValue"] p { font-size: 2rem !important; }
  html body .st-key-tv-month [data-testid="stMarkdownContainer"] p { font-size: 14px; }
}
</style>
"""


def phone_layout() -> None:
    """Add the narrow-screen rules (PHONE_CSS) to the page; wide screens are unaffected."""
    st.html(PHONE_CSS)
