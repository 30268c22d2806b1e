"""The group view's pieces: stores side by side on each department's headline KPIs.

Every figure comes from the KPI library's grouped breakdowns (``by_store`` of each section:
one grouped pass per section, cached by data version like every KPI call) and the pooled
summaries for the group total. A store is judged by the catalogue's default warning lines,
so every store is measured with the same yardstick (docs/DECISIONS.md, group view).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi.catalogue import thresholds_for
from kpi.scope import Scope
from ui import data, page_cards
from ui.cards import direction, status
from ui.formatting import is_missing, kpi_value, number, percent, unit_kind, unit_of
from ui.i18n import current_lang, kpi_label, t
from ui.tables import STATUS_TINTS
from ui.theme import apply, plain_text, show

# The departments, in the order of the Overview; each compares stores on its headline KPIs
# plus the group's extras (ui/page_cards.py: HEADLINES, GROUP_EXTRAS).
DEPARTMENTS: tuple[str, ...] = tuple(page_cards.HEADLINES)
BY = ("store", "brand", "region")
# Heatmap cells: the status colours of the tables (light tints, dark text stays readable).
STATES = ("green", "amber", "red", "grey", "neutral")
CELL_COLOURS = {**STATUS_TINTS, "neutral": "#FFFFFF"}
OPEN_KEY = "_group_open_store"


def kpi_ids(department: str = "all") -> list[str]:
    """Return the KPI ids stores are compared on: one department's, or every department's."""
    return page_cards.headline_ids(department, group=True)


def _breakdowns(scope: Scope, by: str, ids: list[str]) -> pd.DataFrame:
    """Return each section's by_store rows side by side, the pooled total (key None) last.

    One cached call per section gives the groups and the total from the same grouped pass
    (without a costly pass that none of the shown KPIs needs, data.skips_cohorts).
    """
    scope = replace(scope, store=None)
    frames = []
    for module, mids in page_cards.by_module(ids).items():
        light = {"cohorts": False} if data.skips_cohorts(module, mids) else {}
        frame = data.frame(module.by_store, scope, by=by, total=True, **light)
        frame = frame.assign(key=frame[by].astype(object).where(frame[by].notna(), None))
        frames.append(frame.set_index("key")[mids])
    return pd.concat(frames, axis=1)


def group_frame(scope: Scope, by: str, ids: list[str]) -> pd.DataFrame:
    """Return one row per store (or brand / region) with the KPI ids, each group pooled.

    Columns: key (store id or group), label (display name), brand, region (stores only),
    then the ids. A group without a brand or region is labelled "—".
    """
    table = _breakdowns(scope, by, ids)
    table = table[table.index.notna()].reset_index(names="key")
    if by == "store":
        settings = data.store_table().set_index("store")
        table["label"] = table["key"].map(settings["name"]).fillna(table["key"])
        table["brand"] = table["key"].map(settings["brand"])
        table["region"] = table["key"].map(settings["region"])
    else:
        table["label"] = table["key"].where(table["key"] != "", "—")
    return table[["key", "label", *(c for c in ("brand", "region") if c in table), *ids]]


def totals_frame(scope: Scope, by: str, ids: list[str]) -> pd.DataFrame:
    """Return the group total as one row: every store pooled (Σ numerators ÷ Σ denominators)."""
    table = _breakdowns(scope, by, ids)
    total = table[table.index.isna()].iloc[0]
    return pd.DataFrame([{"label": t("group.total"), **{i: total[i] for i in ids}}])


def ranked(frame: pd.DataFrame, kpi_id: str) -> pd.DataFrame:
    """Return the rows best first on one KPI (its direction decides), no value last, ranked."""
    ascending = direction(kpi_id) == "down"
    values = pd.to_numeric(frame[kpi_id], errors="coerce")
    order = values.sort_values(ascending=ascending, na_position="last", kind="stable").index
    out = frame.loc[order].reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def heatmap(frame: pd.DataFrame, ids: list[str], key: str, elapsed: int | None = None) -> None:
    """Draw rows × KPIs coloured by the catalogue status of each value, the value written in.

    Only KPIs with warning lines are drawn; customdata holds each cell's status name. A
    running period (``elapsed`` days known) judges its rates only from its second week. The
    figure is built once per frame, KPIs, period and language (_heatmap_figure).
    """
    ids = [i for i in ids if direction(i) in ("up", "down") and any(thresholds_for(i))]
    fig = _heatmap_figure(frame[["label", *ids]], tuple(ids), elapsed, current_lang())
    show(fig, key=key, escaped=True)


@st.cache_resource(show_spinner=False, max_entries=16)
def _heatmap_figure(
    frame: pd.DataFrame, ids: tuple[str, ...], elapsed: int | None, lang: str
) -> go.Figure:
    """Return the heatmap's figure, house template and escaped text applied.

    Validating 700 stores' cells into a Plotly figure took a good part of a warm rerun; the
    figure is shared (cache_resource) and never changed after it is built (Streamlit copies
    it out with to_dict).
    """
    records = frame[list(ids)].to_dict("records")
    states = [[status(i, row[i], None, elapsed) for i in ids] for row in records]
    z = [[STATES.index(s) if s in STATES else 4 for s in row] for row in states]
    text = [[_cell(i, row[i], lang) for i in ids] for row in records]
    n = len(STATES)
    scale = []
    for k, state in enumerate(STATES):
        scale += [[k / n, CELL_COLOURS[state]], [(k + 1) / n, CELL_COLOURS[state]]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[kpi_label(i, lang) for i in ids],
            y=list(frame["label"]),
            text=text,
            customdata=states,
            texttemplate="%{text}",
            textfont={"size": 12},
            hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
            colorscale=scale,
            zmin=-0.5,
            zmax=n - 0.5,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    fig.update_yaxes(autorange="reversed", gridcolor="white")
    fig.update_xaxes(side="top", tickangle=-30, gridcolor="white")
    return plain_text(apply(fig, height=150 + 30 * len(frame)))


def _cell(kpi_id: str, value: object, lang: str | None = None) -> str:
    """Return a heatmap cell's text: the value without its unit (the column header has it)."""
    if is_missing(value):
        return "—"
    kind = unit_kind(unit_of(kpi_id))
    if kind == "percent":
        return percent(value)
    if kind == "money":
        return kpi_value(kpi_id, value, lang)
    return number(value, digits=1)


def request_open(store: str | None) -> None:
    """Remember a store to open in the cockpit: the sidebar store changes before it is drawn.

    Used as a widget callback (callbacks run before the next rerun's widgets exist, so the
    sidebar's store selectbox may still be set).
    """
    if store:
        st.session_state["store"] = store
        st.session_state[OPEN_KEY] = store


def open_selected_row(table_key: str, stores: list[str]) -> None:
    """Open the store of the table row the user clicked (a dataframe on_select callback)."""
    rows = st.session_state.get(table_key, {}).get("selection", {}).get("rows", [])
    if rows and rows[0] < len(stores):
        request_open(stores[rows[0]])


def open_requested() -> None:
    """Switch to the Overview when a store was picked (after the callback set the store)."""
    if st.session_state.pop(OPEN_KEY, None):
        st.switch_page("pages/overview.py")


def missing_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with NaN as None (object columns), as the tables expect no value."""
    return frame.astype(object).where(frame.notna(), None)


__all__ = [
    "BY",
    "DEPARTMENTS",
    "group_frame",
    "heatmap",
    "kpi_ids",
    "missing_to_none",
    "open_requested",
    "open_selected_row",
    "ranked",
    "request_open",
    "totals_frame",
]
