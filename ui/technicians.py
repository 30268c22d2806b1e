"""The workshop's technician trend: a heatmap a GM can read at any scale, and the full table.

Up to CAP technicians, every one is drawn, best first. A dealer group has thousands (about
2,000 at 100 stores): nobody reads 2,000 rows, and drawing them took seconds on every rerun.
Past CAP the heatmap shows the EACH best and the EACH worst by the selected measure over the
months shown, ranked, and says so; every technician stays in a sortable table and its CSV.
The ranking and the table come from one cached library call (kpi.service.technician_trend)
per measure, so a rerun only draws at most CAP rows.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import service
from ui import data, drill
from ui.charts import percent_heatmap
from ui.formatting import month_axis
from ui.i18n import STRINGS, kpi_label, t

CAP = 40  # rows a heatmap stays readable with
EACH = 20  # best and worst shown past CAP
MONTHS = 12
# Past this many rows a table drops its status tints: pandas' Styler renders every cell in
# Python, about 0.4 s for a group's 2,000 technicians on every rerun.
TINT_ROWS = 200

STRINGS.update(
    {
        "workshop.heatmap_capped": (
            "{total:,} technicians: the {each} highest and the {each} lowest by {metric} over "
            "the {months} months are shown, ranked (#1 is the highest). Every technician is in "
            "the table below the chart.",
            "共 {total:,} 名技师：按近 {months} 个月的{metric}显示最高的 {each} 名和最低的 "
            "{each} 名（#1 为最高）。全部技师见图下方的表格。",
        ),
        "workshop.heatmap_ranked_only": (
            "{total:,} technicians: the {shown} with a value of {metric} over the {months} "
            "months are shown, ranked (#1 is the highest). Every technician is in the table "
            "below the chart.",
            "共 {total:,} 名技师：显示近 {months} 个月有{metric}数值的 {shown} 名（#1 为最高）。"
            "全部技师见图下方的表格。",
        ),
        "workshop.heatmap_pick_store": (
            "Pick a store in the sidebar to see each of its technicians.",
            "在侧边栏选择门店可查看该店的每位技师。",
        ),
        "workshop.all_technicians": (
            "Every technician: {metric} by month",
            "全部技师：月度{metric}",
        ),
        "workshop.rank": ("Rank", "名次"),
        "workshop.untinted": (
            "{rows:,} rows: no status colours past {limit} rows; click a column header to sort.",
            "共 {rows:,} 行：超过 {limit} 行不显示状态颜色，点击列标题可排序。",
        ),
        "workshop.months_total": ("{months} months", "近{months}个月"),
    }
)


def shown_rows(trend: pd.DataFrame, cap: int = CAP, each: int = EACH) -> pd.DataFrame:
    """Return the rows the heatmap draws: all up to ``cap``, else the best and worst ``each``.

    ``trend`` is technician_trend()'s frame, best first; rows without a rank (no value over
    the months) cannot be among the best or worst, so past the cap they are left out.
    """
    if len(trend) <= cap:
        return trend
    ranked = trend[trend["rank"].notna()]
    if len(ranked) <= 2 * each:
        return ranked
    return pd.concat([ranked.head(each), ranked.tail(each)])


def _label(row: dict, with_store: bool) -> str:
    rank = "–" if row["rank"] is None or pd.isna(row["rank"]) else f"#{int(row['rank'])}"
    name = f"{rank} {row['technician']}"
    return f"{name} · {row['store']}" if with_store else name


def heatmap(rows: pd.DataFrame, metric: str, title: str, with_store: bool, key: str) -> None:
    """Draw the rows (technician_trend() rows) by month in their order, best at the top.

    Cells take the catalogue's status colour when the measure has thresholds, else a blue
    scale (ui.charts.percent_heatmap).
    """
    months = [c for c in rows.columns if len(c) == 7 and c[4] == "-"]
    values = rows[months].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    labels = [_label(r, with_store) for r in rows.to_dict("records")]
    percent_heatmap(values, month_axis(months), labels, metric, title, key)


def _csv(frame: pd.DataFrame) -> bytes:
    # Imported on the click: ui.download loads the Excel writer, 0.2 s on a cold page.
    from ui.download import to_csv

    return to_csv(frame)


def full_table(trend: pd.DataFrame, metric: str, key: str) -> None:
    """Show every technician's ranked trend as a sortable table, with its CSV download."""
    months = [c for c in trend.columns if len(c) == 7 and c[4] == "-"]
    label = kpi_label(metric)
    shown = pd.DataFrame(
        {
            t("workshop.rank"): pd.to_numeric(trend["rank"], errors="coerce").astype("Int64"),
            t("workshop.technician"): trend["technician"],
            t("sidebar.store"): trend["store"],
            f"{label} ({t('workshop.months_total', months=len(months))})": pd.to_numeric(
                trend[metric], errors="coerce"
            )
            * 100,
            **{m: pd.to_numeric(trend[m], errors="coerce") * 100 for m in months},
        }
    )
    config = {c: st.column_config.NumberColumn(c, format="%.1f%%") for c in list(shown.columns)[3:]}
    st.dataframe(shown, hide_index=True, column_config=config, height=420, placeholder="—")
    # ui.download.csv_button's file, written only when clicked: 2,000 rows cost 0.1 s a rerun.
    st.download_button(
        t("common.download_csv"),
        data=lambda: _csv(shown),
        file_name=f"technicians_{metric}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )


def tinted(frame: pd.DataFrame, status_cols: list[str]) -> list[str]:
    """Return the status columns to tint in a table of ``frame``: none past TINT_ROWS rows."""
    return status_cols if len(frame) <= TINT_ROWS else []


def has_rows(scope) -> bool:
    """Return True when any technician has roster hours or labour in the months shown."""
    return not _trend(scope, "tech_productivity").empty


def _trend(scope, metric: str) -> pd.DataFrame:
    return data.frame(service.technician_trend, scope, metric=metric, months=MONTHS)


def trend(scope, metric: str, with_store: bool, key: str) -> None:
    """Draw the technician heatmap for ``metric`` (capped past CAP) and, when capped, the table.

    ``with_store`` labels rows with their store (all stores shown).
    """
    frame = _trend(scope, metric)
    if frame.empty:
        return
    rows = shown_rows(frame)
    if not rows.empty:
        heatmap(rows, metric, t("workshop.monthly"), with_store, key)
        if not with_store:  # a row's records: the technician's over the page's period
            picks = {_label(r, False): r["technician"] for r in rows.to_dict("records")
                     if r.get("technician") is not None}  # fmt: skip
            drill.row_picker(f"{key}_cell", [metric], "technician", picks)
    if len(frame) <= CAP:
        return
    # Fewer ranked than the best and worst together: all of them are shown, say that.
    capped = len(rows) == 2 * EACH
    st.caption(
        t(
            "workshop.heatmap_capped" if capped else "workshop.heatmap_ranked_only",
            total=len(frame),
            each=EACH,
            shown=len(rows),
            metric=kpi_label(metric),
            months=MONTHS,
        )
    )
    if with_store:
        st.caption(t("workshop.heatmap_pick_store"))
    with st.expander(t("workshop.all_technicians", metric=kpi_label(metric))):
        full_table(frame, metric, key)
