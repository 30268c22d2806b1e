"""The one-click download of the monthly management report (Excel) for the sidebar's period.

Any page can call `report_button(ctx)`. The workbook (kpi.workbook.workbook_bytes) is built
only when the button is clicked: Streamlit runs the callable on its own thread, so it reads the
database path, version, scope and language captured now and opens its own short read-only
connection.
"""

from __future__ import annotations

import re

import streamlit as st

from kpi.scope import Scope, month_end
from ui import data
from ui.i18n import t
from ui.sidebar import Context

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_name(scope: Scope, lang: str) -> str:
    """Return the download's name, e.g. 'kpi-report_s1_2026-11_zh.xlsx'."""
    store = re.sub(r"[^\w.-]+", "_", scope.store) if scope.store else "all"
    if scope.start.day == 1 and scope.end == month_end(scope.start):
        period = f"{scope.start:%Y-%m}"
    else:
        period = f"{scope.start:%Y%m%d}-{scope.end:%Y%m%d}"
    return f"kpi-report_{store}_{period}_{lang}.xlsx"


def _builder(path: str, scope: Scope, lang: str):
    def build() -> bytes:
        from kpi.workbook import workbook_bytes

        with data.reading(path) as con:
            return workbook_bytes(con, scope, lang=lang)

    return build


def report_button(ctx: Context, key: str = "report_xlsx") -> None:
    """Draw the button that downloads the report for the sidebar's store, period and language."""
    st.download_button(
        t("report.download"),
        data=_builder(data.current().path, ctx.scope, ctx.lang),
        file_name=file_name(ctx.scope, ctx.lang),
        mime=XLSX_MIME,
        key=key,
        help=t("report.help", period=ctx.period_label),
        icon=":material/table_view:",
        on_click="ignore",
    )
