"""Drill-down (issue 17): every KPI card and chart point opens the records behind it.

The records come from the KPI library (kpi.drill.records); this module only opens them: a
card's "Records" button or a chart's clicked point sets the open drill-down
({drill, part, by, point}), the URL carries it (ui.links), and after the page ran the entry
file shows it in a dialog: numerator and denominator of a ratio side by side as a choice,
searchable, sortable (click a header), downloadable as the escaped CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import streamlit as st

from kpi import drill
from kpi.scope import Scope, month_end, parse_month
from ui import data, links
from ui.download import csv_button
from ui.formatting import kpi_value, period_text
from ui.i18n import ENUMS, column_label, current_lang, enum_label, kpi_label, t

OPEN = "_drill"
# Chart points narrowed in the page's scope by the UI itself: a day or a calendar month.
PERIOD_BY = ("day", "month")
LIBRARY_BY = ("consultant", "model", "channel", "advisor", "technician", "ro_type", "store",
              "reason", "level")  # fmt: skip
MAX_ROWS_SHOWN = 5000
# Record columns holding a fixed vocabulary (ui.i18n.ENUMS kind).
ENUM_COLUMNS = {c: c for c in ("channel", "ro_type", "sale_type", "buyer_type", "department",
                               "kind", "lead_level")}  # fmt: skip
ENUM_COLUMNS |= {"status": "order_status", "level": "lead_level"}


def parts(kpi_id: str) -> tuple[str, ...]:
    """Return the drill-downs the KPI offers (kpi.drill.parts); () while the library has none."""
    try:
        from kpi import drill
    except ImportError:
        return ()
    try:
        return tuple(drill.parts(kpi_id))
    except (NotImplementedError, KeyError, ValueError):
        return ()


def measure(kpi_id: str, part: str) -> str | None:
    """Return the records' column whose sum is the value (None: the row count)."""
    try:
        from kpi import drill

        return drill.measure(kpi_id, part)
    except (ImportError, NotImplementedError, KeyError, ValueError):
        return None


def open_drill(kpi_id: str, part: str, by: str | None = None, point: object = None) -> None:
    """Open the records of a KPI (its part, optionally one bar, point or cell) on this rerun."""
    ctx = st.session_state.get("_ctx")
    st.session_state[OPEN] = {
        "drill": kpi_id,
        "part": part,
        "by": by,
        "point": None if point is None else str(point),
        "page": getattr(ctx, "page", None),  # another page does not reopen it
    }


def close() -> None:
    """Close the open drill-down (the dialog's dismissal)."""
    st.session_state.pop(OPEN, None)
    st.session_state.pop("drill_q", None)


def from_link(link: Mapping[str, str] | None, page: str | None = None) -> dict | None:
    """Take the drill-down of a link (?drill=&part=&by=&point=); return the open one.

    Records opened on another page close when the menu moves to ``page``.
    """
    if link is not None:
        st.session_state.pop(OPEN, None)
        if "drill" in link:
            found = _valid(link)
            if found is None:
                links.reject("drill")
            else:
                st.session_state[OPEN] = {**found, "page": page}
    opened = st.session_state.get(OPEN)
    if opened and opened.get("page") != page:
        close()
    return st.session_state.get(OPEN)


def _valid(link: Mapping[str, str]) -> dict | None:
    kpi_id = link["drill"]
    offered = parts(kpi_id)
    part = link.get("part") or (offered[0] if offered else None)
    by, point = link.get("by"), link.get("point")
    if not offered or part not in offered:
        return None
    if by is not None and (by not in PERIOD_BY + LIBRARY_BY or point is None):
        return None
    if by in PERIOD_BY and _period_of(by, point) is None:
        return None
    return {"drill": kpi_id, "part": part, "by": by, "point": point if by else None}


def _period_of(by: str, point: str | None) -> tuple[date, date] | None:
    try:
        if by == "day":
            day = date.fromisoformat(str(point))
            return day, day
        first = parse_month(str(point))
        return first, month_end(first)
    except ValueError:
        return None


# ------------------------------------------------------------------ the card's control


def card_control(kpi_id: str) -> None:
    """Draw a card's compact "Records" button (nothing when the KPI has no drill-down)."""
    offered = parts(kpi_id)
    if not offered:
        return
    # A KPI may have two cards on a page (the top row and its section): number them per run.
    run = id(st.session_state.get("_ctx"))
    seen = st.session_state.get("_drill_buttons")
    if not seen or seen.get("_run") != run:
        seen = st.session_state["_drill_buttons"] = {"_run": run}
    n = seen.get(kpi_id, 0)
    seen[kpi_id] = n + 1
    st.button(
        t("drill.open"),
        key=f"drill_{kpi_id}_{n}",
        icon=":material/table_rows:",
        type="tertiary",
        help=t("drill.open_help"),
        on_click=open_drill,
        args=(kpi_id, offered[0]),
    )


def row_picker(key: str, kpi_ids: list[str], by: str, rows: Mapping[str, str]) -> None:
    """Offer the records behind a heatmap's cells: pick a row (and a KPI), then open them.

    Plotly's heatmap cells cannot be selected in Streamlit, so the matrix gets this compact
    picker instead: ``rows`` maps each row's label to its key (a technician, a store), ``by``
    is the kpi.drill.BY dimension they are of.
    """
    offered = [k for k in kpi_ids if parts(k)]
    if not offered or not rows:
        return
    left, middle, right = st.columns([3, 3, 1], vertical_alignment="bottom")
    row = left.selectbox(t("drill.pick_row"), list(rows), key=f"{key}_row")
    labels = {kpi_label(k): k for k in offered}  # in the session's language
    chosen = middle.selectbox(t("drill.pick_kpi"), list(labels), key=f"{key}_kpi_{current_lang()}",
                              disabled=len(offered) == 1)  # fmt: skip
    kpi_id = labels.get(chosen, offered[0])
    right.button(
        t("drill.open"), key=f"{key}_open", icon=":material/table_rows:",
        on_click=open_drill, args=(kpi_id, parts(kpi_id)[0], by, rows[row]),
    )  # fmt: skip


# ------------------------------------------------------------------ charts


@dataclass(frozen=True)
class ChartDrill:
    """How a chart's clicked point opens records.

    ``kpis``: the KPI of each trace (curve number), None where a trace opens nothing;
    ``point_kpis``: instead, the KPI of each point (a funnel's stages); ``by``: what a point
    is: 'day' or 'month' (the scope narrows to it), a kpi.drill.BY dimension, or None (the
    whole scope); ``keys``: each point's raw key (a date, a month, a consultant's name).
    """

    kpis: tuple[str | None, ...] = ()
    by: str | None = None
    keys: tuple = ()
    point_kpis: tuple[str | None, ...] = ()


def chart_callback(key: str, spec: ChartDrill) -> Callable[[], None]:
    """Return the on_select callback of the chart ``key``: open the clicked point's records."""

    def picked() -> None:
        state = st.session_state.get(key)
        points = (state or {}).get("selection", {}).get("points", [])
        if points:
            opened = point_drill(spec, points[0])
            if opened is not None:
                open_drill(*opened)

    return picked


def point_drill(spec: ChartDrill, point: Mapping) -> tuple | None:
    """Return (kpi_id, part, by, key) for a selected plotly point, None when it opens nothing."""
    index = point.get("point_index", point.get("point_number"))
    curve = point.get("curve_number", 0)
    if index is None:
        return None
    if spec.point_kpis:
        kpi_id = spec.point_kpis[index] if index < len(spec.point_kpis) else None
    else:
        kpi_id = spec.kpis[curve] if curve < len(spec.kpis) else None
    offered = parts(kpi_id) if kpi_id else ()
    if not offered:
        return None
    key = spec.keys[index] if spec.by and index < len(spec.keys) else None
    if spec.by and key is None:
        return None
    by = spec.by if key is not None else None
    key = key.isoformat() if isinstance(key, date) else key
    return kpi_id, offered[0], by, key


# ------------------------------------------------------------------ the dialog


def records(scope: Scope, spec: Mapping) -> pd.DataFrame | None:
    """Return the open drill-down's records (None when the library cannot give them)."""
    by, point = spec.get("by"), spec.get("point")
    if by in PERIOD_BY:
        span = _period_of(by, point)
        if span is None:
            return None
        scope = replace(
            scope, start=span[0], end=span[1], as_of=min(span[1], scope.as_of), horizon_at=None
        )
        by = point = None
    try:
        return data.frame(
            drill.records, scope, kpi_id=spec["drill"], part=spec["part"], key=point, by=by
        )
    except (NotImplementedError, ValueError, KeyError):
        return None


def display(df: pd.DataFrame) -> pd.DataFrame:
    """Return the records as shown: headers in the session language, enum values translated."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        values = df[col]
        kind = ENUM_COLUMNS.get(col)
        if kind in ENUMS and not pd.api.types.is_numeric_dtype(values):
            values = values.map(lambda v, k=kind: enum_label(k, v))
        elif pd.api.types.is_datetime64_any_dtype(values) and _midnight(values):
            values = values.dt.date  # a day, not a timestamp at 00:00:00
        elif col == "store":
            values = values.map(lambda s: data.store_name(s) or s)
        out[column_label(col)] = values
    return out.reset_index(drop=True)


def _midnight(values: pd.Series) -> bool:
    present = values.dropna()
    return bool((present == present.dt.normalize()).all())


def search(df: pd.DataFrame, text: str) -> pd.DataFrame:
    """Return the rows any of whose cells contains ``text`` (case-insensitive)."""
    text = (text or "").strip()
    if not text or df.empty:
        return df
    hit = df.astype(str).apply(lambda c: c.str.contains(text, case=False, regex=False))
    return df[hit.any(axis=1)].reset_index(drop=True)


def show_open() -> None:
    """Show the open drill-down's dialog (the entry file calls it after the page ran)."""
    spec = st.session_state.get(OPEN)
    ctx = st.session_state.get("_ctx")
    if not spec or ctx is None:
        return
    title = f"{kpi_label(spec['drill'])} · {t('drill.title')}"
    st.dialog(title, width="large", on_dismiss=close)(_body)(ctx.scope, dict(spec))


def _body(scope: Scope, spec: dict) -> None:
    kpi_id = spec["drill"]
    offered = parts(kpi_id)
    where = [period_text(scope)]
    if spec.get("point") is not None:
        where.append(_point_text(spec))
    ctx = st.session_state.get("_ctx")
    if ctx is not None and ctx.filters:
        where.append(ctx.filter_label)
    st.caption(" · ".join(where))
    if len(offered) > 1:
        lang = current_lang()
        part = st.radio(
            t("drill.part"),
            offered,
            index=offered.index(spec["part"]) if spec["part"] in offered else 0,
            format_func=lambda p: t(f"drill.part_{p}", lang),
            horizontal=True,
            key=f"drill_part_{kpi_id}_{spec['part']}",  # a new choice per part opened
        )
        if part != spec["part"]:
            open_drill(kpi_id, part, spec.get("by"), spec.get("point"))
            st.rerun()  # the whole app: the URL names the part shown
    found = records(scope, spec)
    if found is None:
        st.info(t("drill.unavailable"), icon=":material/hourglass_top:")
        return
    _summary(kpi_id, spec["part"], found)
    query = st.text_input(t("drill.search"), key="drill_q", placeholder=t("drill.search_hint"))
    shown = display(search(found, query))
    if query:
        st.caption(t("drill.matching", n=f"{len(shown):,}"))
    if shown.empty:
        st.caption(t("common.none_listed"))
        return
    money = {
        column_label(c): st.column_config.NumberColumn(column_label(c), format="¥%,.0f")
        for c in found.columns
        if c.endswith("_cny")
    }
    st.dataframe(
        shown.head(MAX_ROWS_SHOWN), hide_index=True, height=420, key="drill_table",
        column_config=money,
    )  # fmt: skip
    name = f"{kpi_id}_{spec['part']}_{scope.start}_{scope.upto}.csv"
    csv_button(shown, t("common.download_csv"), name, key="drill_csv")


def _point_text(spec: Mapping) -> str:
    by, point = spec.get("by"), spec.get("point")
    from ui.auth import md
    from ui.formatting import day_label, month_label

    if by == "day":
        return day_label(date.fromisoformat(point))
    if by == "month":
        return month_label(point)
    kind = ENUM_COLUMNS.get(by or "")
    shown = enum_label(kind, point) if kind in ENUMS else str(point)
    return f"{column_label(by)} {md(shown)}"


def _summary(kpi_id: str, part: str, found: pd.DataFrame) -> None:
    column = measure(kpi_id, part)
    line = t("drill.count", n=f"{len(found):,}")
    if column and column in found.columns:
        total = pd.to_numeric(found[column], errors="coerce").sum()
        line += " · " + t("drill.sum", column=column_label(column), total=_number(total))
    elif part == "value":
        line += " · " + t("drill.value", value=kpi_value(kpi_id, len(found)))
    st.markdown(line)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
