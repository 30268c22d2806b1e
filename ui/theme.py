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


def show(fig: go.Figure, key: str | None = None) -> None:
    """Draw a figure with the house template (Streamlit's chart theme off), data as text."""
    st.plotly_chart(
        plain_text(fig), theme=None, key=key,
        config={"displaylogo": False, "displayModeBar": False},
    )  # fmt: skip
