"""Build the monthly management report: an Excel workbook with a sheet per department.

`workbook_bytes(con, scope, lang)` returns the .xlsx file as bytes (openpyxl into memory; no
file I/O here: the command line and the download button write or send the bytes). Sheets: a
cover (store, period, as_of, generated time, colour legend), then Sales, Targets, Inventory,
After-sales, Marketing, Customers and Finance. Each department sheet lists every KPI of its
catalogue section in the chosen language: label, value, unit, target (where one exists),
previous month, same month last year and status, the value cell filled with the status colour;
the department's key tables follow.

Numbers stay numbers with a number format (0.0% for rates, ¥ for money); no value is an empty
cell. Every text cell that a spreadsheet would read as a formula (= + - @ tab CR at the start)
is written with a leading single quote (:func:`escape_cell`).

`target_levels(con, scope, metric)` (achievement for the year, quarter and month to as_of) also
feeds the Targets page.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from importlib import import_module
from typing import Any

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpi import catalogue, sales, targets
from kpi.catalogue import CATALOGUE, SECTIONS, UNITS
from kpi.cells import escape_cell
from kpi.report import compute_kpis
from kpi.scope import Scope, add_months, month_end, month_start, store_clause
from warehouse.spec import TABLES

# The tables this module reads (ui.data caches its results on their versions): every
# section's, so any write refreshes it.
READS: frozenset[str] = frozenset(TABLES) | {"stores"}

# Status fills (Excel's own good / neutral / bad tints, and grey for no value).
FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "grey": "E7E6E6"}

# Sheet names, in order: the catalogue's sections, short enough for a tab.
SHEET_NAMES = {
    "sales": ("Sales", "销售"),
    "targets": ("Targets", "目标"),
    "programs": ("Manufacturer", "厂家商务"),
    "inventory": ("Inventory", "整车库存"),
    "service": ("After-sales", "售后"),
    "marketing": ("Marketing", "市场"),
    "customers": ("Customers", "客户"),
    "finance": ("Finance", "财务"),
}

# Units whose targets add up over months and stores (a rate or a day count does not).
_ADDITIVE_UNITS = {"count", "batches", "calls", "units", "customers", "leads", "ros", "cny"}
_COUNT_UNITS = {"count", "batches", "calls", "units", "customers", "leads", "ros"}
_MONEY_UNITS = {"cny", "cny_per_unit", "cny_per_ro", "cny_per_hour"}
_MONEY_FORMAT = '"¥"#,##0;-"¥"#,##0'
_FORMATS = {
    "rate": "0.0%",
    "ratio": "0.00",
    "days": "0.0",
    "months": "0.0",
    "turns_per_year": "0.0",
    "index_100": "0.0",
    "nps": "0.0",
    "batches_per_day": "0.0",
    "units_per_month": "0.0",
}

# Words of the workbook (en, zh); KPI labels and units come from the catalogue.
WORDS: dict[str, tuple[str, str]] = {
    "cover": ("Cover", "封面"),
    "title": ("Monthly management report", "月度经营报告"),
    "store": ("Store", "门店"),
    "all_stores": ("All stores (pooled)", "全部门店(合计)"),
    "period": ("Period", "统计期间"),
    "as_of": ("Figures as of", "数据截至"),
    "generated": ("Generated", "生成时间"),
    "legend": ("Colours", "颜色说明"),
    "legend_green": ("On track", "正常"),
    "legend_amber": ("Past the warning line", "超出预警线"),
    "legend_red": ("Past the critical line", "超出告警线"),
    "legend_grey": ("No value", "无数据"),
    "legend_note": (
        "Value cells are coloured by the KPI's thresholds; targets by the traffic light "
        "(achievement against time elapsed).",
        "数值单元格按指标的预警线着色；目标按红绿灯(目标达成率对比时间进度)着色。",
    ),
    "kpi": ("KPI", "指标"),
    "value": ("Value", "数值"),
    "unit": ("Unit", "单位"),
    "target": ("Target", "目标"),
    "previous": ("Previous month", "上月"),
    "last_year": ("Same month last year", "去年同月"),
    "status": ("Status", "状态"),
    "id": ("id", "编号"),
    "see_table": ("see the tables below", "见下表"),
    "green": ("green", "绿"),
    "amber": ("amber", "黄"),
    "red": ("red", "红"),
    "grey": ("no value", "无数据"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "t_consultants": ("By consultant", "按销售顾问"),
    "t_models": ("By model", "按车型"),
    "t_channels": ("By channel", "按渠道"),
    "t_levels": ("Achievement to date: {metric}", "目标达成进度:{metric}"),
    "t_consultant_targets": ("Consultants this month: {metric}", "本月销售顾问目标:{metric}"),
    "t_stock": ("Stock by model", "分车型库存"),
    "t_aging": ("Stock age buckets", "库龄分布"),
    "t_order": ("Order proposal", "订货建议"),
    "t_ro_types": ("By repair-order type", "按工单类型"),
    "t_advisors": ("By service advisor", "按服务顾问"),
    "t_technicians": ("By technician", "按技师"),
    "t_events": ("Events", "市场活动"),
    "t_leads": ("Open leads by consultant and level", "在跟潜客(按顾问和级别)"),
    "t_overdue": ("Overdue follow-ups", "超期未跟进客户"),
    "t_complaints": ("Complaints", "投诉"),
    "t_waterfall": ("Gross to operating profit", "毛利到经营利润"),
    "t_expenses": ("Expenses", "费用明细"),
    "t_monthly": ("By month", "月度趋势"),
    "t_programs": ("Manufacturer programmes", "厂家商务政策"),
    "none": ("Nothing to list.", "暂无记录。"),
}

# Column headers of the key tables that are not catalogue ids.
HEADERS: dict[str, tuple[str, str]] = {
    "consultant": ("Consultant", "销售顾问"),
    "store": ("Store", "门店"),
    "model": ("Model", "车型"),
    "channel": ("Channel", "渠道"),
    "walk_ins": ("Walk-ins", "来店批次"),
    "calls": ("Calls", "来电批次"),
    "spend_cny": ("Spend (CNY)", "费用(元)"),
    "level": ("Level", "级别"),
    "period": ("Period", "期间"),
    "metric": ("Metric", "指标"),
    "actual": ("Actual", "实际"),
    "target": ("Target", "目标"),
    "achievement": ("Achievement", "达成率"),
    "expected": ("Expected by now", "应达进度"),
    "bucket": ("Age (days)", "库龄(天)"),
    "units": ("Units", "台数"),
    "value_cny": ("Value (CNY)", "金额(元)"),
    "in_transit_by_horizon": ("In transit by next month end", "下月底前到店在途"),
    "projected_stock_next_month_end": ("Projected stock next month end", "下月底预计库存"),
    "suggested_order": ("Suggested order", "建议订货量"),
    "ro_type": ("RO type", "工单类型"),
    "advisor": ("Advisor", "服务顾问"),
    "technician": ("Technician", "技师"),
    "closed_ro_count": ("ROs closed", "结算台次"),
    "labor_revenue": ("Labour revenue (CNY)", "工时收入(元)"),
    "labor_hours": ("Labour hours sold", "销售工时"),
    "labor_hours_sold": ("Labour hours sold", "销售工时"),
    "available_hours": ("Available hours", "出勤工时"),
    "clocked_hours": ("Clocked hours", "打卡工时"),
    "campaign_id": ("Campaign", "活动编号"),
    "name": ("Name", "名称"),
    "kind": ("Kind", "类型"),
    "month": ("Month", "月份"),
    "invited": ("Invited", "邀约人数"),
    "arrived": ("Arrived", "到店批次"),
    "target_arrivals": ("Arrival standard", "到店标准"),
    "a_leads": ("A-level leads", "A卡数"),
    "target_a_leads": ("A-lead standard", "A卡标准"),
    "orders_30d": ("Orders within 30 days", "30天内成交"),
    "customer_id": ("Customer", "客户"),
    "lead_level": ("Level", "级别"),
    "last_contact": ("Last contact", "最近联系"),
    "cadence_days": ("Cadence (days)", "跟进周期(天)"),
    "days_overdue": ("Days overdue", "超期天数"),
    "complaint_id": ("Complaint", "投诉编号"),
    "opened_date": ("Opened", "受理日期"),
    "closed_date": ("Closed", "结案日期"),
    "department": ("Department", "部门"),
    "category": ("Category", "类别"),
    "major": ("Major", "重大投诉"),
    "satisfied": ("Satisfied", "客户满意"),
    "status": ("Status", "状态"),
    "days_open": ("Days open", "处理天数"),
    "step": ("Step", "项目"),
    "amount_cny": ("Amount (CNY)", "金额(元)"),
    "fixed": ("Fixed", "固定费用"),
    "fixed_expenses": ("Fixed expenses", "固定费用"),
    "program_id": ("Programme", "政策编号"),
    "basis": ("Basis", "考核口径"),
    "start_date": ("Start", "开始日期"),
    "end_date": ("End", "结束日期"),
    "target_units": ("Target units", "目标台数"),
    "days_left": ("Days left", "剩余天数"),
}

# Fixed vocabularies translated in the tables (data such as channel names stay as written).
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "level": {"year": ("Year", "年度"), "quarter": ("Quarter", "季度"), "month": ("Month", "月度")},
    "department": {
        "sales": ("Sales", "销售"),
        "service": ("After-sales", "售后"),
        "parts": ("Parts", "配件"),
        "admin": ("Administration", "行政"),
    },
    "status": {"open": ("open", "处理中"), "closed": ("closed", "已结案")},
    "basis": {"retail": ("Retail", "零售"), "wholesale": ("Wholesale", "批发")},
    "traffic_light": {k: v for k, v in WORDS.items() if k in ("green", "amber", "red")},
}

_MONEY_COLUMNS = {"spend_cny", "value_cny", "amount_cny", "labor_revenue", "fixed_expenses"}
_RATE_COLUMNS = {"achievement", "expected"}


# ----------------------------------------------------------------------------- helpers


def _zh(lang: str) -> bool:
    return str(lang).lower().startswith("zh")


def _word(key: str, lang: str, **values: object) -> str:
    text = WORDS[key][1 if _zh(lang) else 0]
    return text.format(**values) if values else text


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(value: object) -> float | int | None:
    """Return a plain Python number (numpy unwrapped), None for no value."""
    if _missing(value) or isinstance(value, bool):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    return None


def _unit_format(unit: str, value: object) -> str:
    if unit in _MONEY_UNITS:
        return _MONEY_FORMAT
    if unit in _COUNT_UNITS:
        n = _number(value)
        return "#,##0" if n is None or float(n).is_integer() else "#,##0.0"
    return _FORMATS.get(unit, "#,##0.0")


def _fill(state: str) -> PatternFill | None:
    colour = FILLS.get(state)
    return PatternFill(fill_type="solid", fgColor=colour) if colour else None


def _overrides(con: duckdb.DuckDBPyConnection, store: str | None) -> dict:
    """Return a store's threshold overrides (none when all stores are pooled)."""
    if store is None:
        return {}
    row = con.execute("SELECT thresholds FROM stores WHERE store = $s", {"s": store}).fetchone()
    try:
        value = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ----------------------------------------------------------------------------- targets


def _target_scope(scope: Scope) -> Scope:
    """Return the scope without model and channel filters (targets are per store or person)."""
    return replace(scope, model=None, channel=None)


def _actual(con: duckdb.DuckDBPyConnection, scope: Scope, metric: str) -> float | None:
    """Return a metric's actual for the scope: kpi.targets' registry, else its section summary."""
    if metric in targets.METRICS:
        frame = targets.METRICS[metric](con, scope, "store")
        return float(frame["actual"].sum()) if not frame.empty else 0.0
    kpi = CATALOGUE.get(metric)
    if kpi is None:
        return None
    value = import_module(f"kpi.{kpi.section}").summary(con, scope).get(metric)
    return None if _missing(value) else float(value)


# The sales counts whose sum over counts_by's stores (those with a walk-in, a call, an order or
# a delivery) is the count of all the stores pooled: a store left out has none of them. Their
# actuals of several periods come from one pass (sales' periods), traffic's or orders'.
_POOLED_COUNTS = {
    "walk_in_batches": "traffic",
    "phone_batches": "traffic",
    "orders": "orders",
    "deliveries": "orders",
}


def _level_actuals(
    con: duckdb.DuckDBPyConnection, scope: Scope, metric: str, windows: dict[str, tuple[date, date]]
) -> dict[str, float | None]:
    """Return _actual of the scope over each window (first day, last day), keyed as windows."""
    scopes = {k: replace(scope, start=a, end=b) for k, (a, b) in windows.items()}
    source = _POOLED_COUNTS.get(metric) if metric in targets.METRICS else None
    if source is None:
        return {k: _actual(con, s, metric) for k, s in scopes.items()}
    reader = sales._traffic_counts if source == "traffic" else sales._order_counts
    found = reader(con, scope, periods=scopes)
    return {k: float(found.get(k, {}).get(metric) or 0) for k in scopes}


def _target(con: duckdb.DuckDBPyConnection, scope: Scope, metric: str, end: date | None = None):
    frame = targets.targets_for(con, scope, metric, end=end)
    return None if frame.empty else float(frame["target"].sum())


def _prorated_sum(rows: pd.DataFrame, start: date, last: date) -> float | None:
    """Return _target's value of [start, last] from the month targets of its window (rows)."""
    frame = targets.prorated(rows, start, last)
    return None if frame.empty else float(frame["target"].sum())


def target_levels(con: duckdb.DuckDBPyConnection, scope: Scope, metric: str) -> pd.DataFrame:
    """Return a metric's achievement to as_of for as_of's year, quarter and month.

    Columns: level ('year', 'quarter', 'month'), period ('2026', '2026-Q4', '2026-11'), actual
    (from the level's first day to as_of), target (the level's whole target; NaN without one),
    achievement (actual ÷ target), expected (the month: time_progress; the year and quarter:
    the share of their target falling on days up to as_of), traffic_light (green, amber, red
    or None). Stores are pooled unless the scope names one; a consultant filter reads that
    consultant's targets.
    """
    scope = _target_scope(scope)
    as_of = scope.as_of
    q_first = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    levels = [
        ("year", f"{as_of.year}", date(as_of.year, 1, 1), date(as_of.year, 12, 31)),
        ("quarter", f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}", q_first,
         month_end(add_months(q_first, 2))),
        ("month", f"{as_of:%Y-%m}", month_start(as_of), month_end(as_of)),
    ]  # fmt: skip
    actuals = _level_actuals(con, scope, metric, {lv: (st, as_of) for lv, _, st, _ in levels})
    # The year's month targets, read once: a quarter's or month's are among them.
    year = replace(scope, start=levels[0][2], end=levels[0][3], as_of=as_of)
    months = list(targets.month_weights(year.start, year.end))
    year_rows = targets._monthly_targets(con, year, metric, months, "store")
    rows = []
    for level, period, start, end in levels:
        inside = year_rows[year_rows["month"].isin(list(targets.month_weights(start, end)))]
        actual = actuals[level]
        target = _prorated_sum(inside, start, end)
        achievement = actual / target if actual is not None and target else None
        expected: float | None
        if level == "month":
            expected = targets.time_progress(as_of)
        else:
            elapsed = _prorated_sum(inside, start, as_of)
            expected = elapsed / target if target and elapsed is not None else None
        rows.append(
            {
                "level": level,
                "period": period,
                "actual": actual,
                "target": target if target else None,
                "achievement": achievement,
                "expected": expected,
                "traffic_light": targets.status_light(achievement, expected),
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("actual", "target", "achievement", "expected"):
        frame[col] = frame[col].astype("float64")
    return frame


CUSTOMER_TREND_IDS = (
    "followup_compliance",
    "return_visit_rate",
    "csi_sales",
    "csi_service",
    "nps",
    "complaint_satisfaction",
)


def customers_monthly(
    con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13
) -> pd.DataFrame:
    """Return the customer KPIs per calendar month, the months ending with as_of's month.

    Each month is kpi.customers.summary for that whole month, as of its last day (as_of for
    the running month). Columns: month, followup_compliance, return_visit_rate, csi_sales,
    csi_service, nps, complaint_satisfaction (NaN for no value).
    """
    from kpi import customers

    # customers.month_trend computes every month in one pass (the lead book is read once).
    frame = customers.month_trend(con, scope, months)[["month", *CUSTOMER_TREND_IDS]]
    for col in CUSTOMER_TREND_IDS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


def _section_targets(
    con: duckdb.DuckDBPyConnection, scope: Scope, ids: Sequence[str]
) -> dict[str, float]:
    """Return the period's target of each KPI that has target rows and adds up over months."""
    sql = f"""
    SELECT DISTINCT metric FROM targets
    WHERE month IN (SELECT unnest($months)) AND {store_clause()}
    """
    rows = con.execute(sql, {"months": scope.months(), "store": scope.store}).fetchall()
    present = {r[0] for r in rows}
    out = {}
    for kpi_id in ids:
        kpi = CATALOGUE[kpi_id]
        if kpi_id in present and kpi.kind == "scalar" and kpi.unit in _ADDITIVE_UNITS:
            value = _target(con, _target_scope(scope), kpi_id)
            if value is not None:
                out[kpi_id] = value
    return out


# ----------------------------------------------------------------------------- sheets


class _Sheet:
    """Write rows of cells onto a worksheet, top to bottom."""

    def __init__(self, ws: Worksheet, lang: str):
        self.ws = ws
        self.lang = lang
        self.row = 1

    def cell(self, col: int, value: object, fmt: str | None = None, bold: bool = False):
        value = escape_cell(value)
        if isinstance(value, pd.Timestamp):
            value = value.date()
        c = self.ws.cell(row=self.row, column=col, value=value)
        if fmt and isinstance(value, int | float):
            c.number_format = fmt
        elif isinstance(value, date):
            c.number_format = "yyyy-mm-dd"
        if bold:
            c.font = Font(bold=True)
        return c

    def title(self, text: str, size: int = 12) -> None:
        c = self.cell(1, text)
        c.font = Font(bold=True, size=size)
        self.row += 1

    def header(self, labels: Sequence[str]) -> None:
        for i, label in enumerate(labels, start=1):
            c = self.cell(i, label, bold=True)
            c.fill = PatternFill(fill_type="solid", fgColor="DDE5F0")
            c.alignment = Alignment(wrap_text=True, vertical="top")
        self.row += 1

    def skip(self, n: int = 1) -> None:
        self.row += n


def _column_label(col: str, lang: str) -> str:
    if col in HEADERS:
        return HEADERS[col][1 if _zh(lang) else 0]
    if col in CATALOGUE:
        return CATALOGUE[col].label(lang)
    return col


def _column_format(col: str, value: object) -> str | None:
    if col in CATALOGUE:
        return _unit_format(CATALOGUE[col].unit, value)
    if col in _MONEY_COLUMNS:
        return _MONEY_FORMAT
    if col in _RATE_COLUMNS:
        return "0.0%"
    n = _number(value)
    if n is None:
        return None
    return "#,##0" if float(n).is_integer() else "#,##0.0"


def _table_value(col: str, value: object, lang: str) -> object:
    if _missing(value):
        return None
    if isinstance(value, bool):
        return _word("yes" if value else "no", lang)
    if col in VALUES and str(value) in VALUES[col]:
        return VALUES[col][str(value)][1 if _zh(lang) else 0]
    if col in ("step", "metric") and str(value) in CATALOGUE:
        return CATALOGUE[str(value)].label(lang)
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return str(value)


def _write_table(
    sheet: _Sheet, title: str, frame: pd.DataFrame | None, columns: Sequence[str] | None = None
) -> None:
    """Write a titled table: header row of translated labels, then one row per frame row."""
    sheet.title(title, size=11)
    if frame is None or frame.empty:
        sheet.cell(1, _word("none", sheet.lang))
        sheet.skip(2)
        return
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    sheet.header([_column_label(c, sheet.lang) for c in cols])
    for record in frame[cols].itertuples(index=False, name=None):
        for i, (col, raw) in enumerate(zip(cols, record, strict=True), start=1):
            value = _table_value(col, raw, sheet.lang)
            cell = sheet.cell(i, value, _column_format(col, value))
            if col == "traffic_light" and not _missing(raw):
                fill = _fill(str(raw))
                if fill:
                    cell.fill = fill
        sheet.skip()
    sheet.skip()


def _status_of(kpi_id: str, values: Mapping[str, Any], overrides: Mapping) -> str:
    """Return the colour of a KPI's value cell: thresholds, or the traffic light for targets."""
    if kpi_id in ("target_achievement", "traffic_light"):
        light = values.get("traffic_light")
        return str(light) if light in FILLS else "grey"
    return catalogue.status(kpi_id, values.get(kpi_id), overrides)


def _write_kpis(
    sheet: _Sheet,
    section: str,
    now: Mapping[str, Any],
    prev: Mapping[str, Any],
    last_year: Mapping[str, Any],
    goal: Mapping[str, float],
    overrides: Mapping,
) -> None:
    lang = sheet.lang
    cols = ["kpi", "value", "unit", "target", "previous", "last_year", "status", "id"]
    sheet.header([_word(c, lang) for c in cols])
    sheet.ws.freeze_panes = sheet.ws.cell(row=sheet.row, column=2)
    for kpi_id in catalogue.section_ids(section):
        kpi = CATALOGUE[kpi_id]
        sheet.cell(1, kpi.label(lang))
        sheet.cell(3, UNITS[kpi.unit][1 if _zh(lang) else 0])
        sheet.cell(8, kpi_id)
        if kpi.kind == "table":
            sheet.cell(2, _word("see_table", lang))
            sheet.skip()
            continue
        state = _status_of(kpi_id, now, overrides)
        if kpi.unit == "status":
            for col, source in ((2, now), (5, prev), (6, last_year)):
                light = source.get(kpi_id)
                sheet.cell(col, _word(light, lang) if light in FILLS else None)
        else:
            for col, value in (
                (2, now.get(kpi_id)),
                (4, goal.get(kpi_id)),
                (5, prev.get(kpi_id)),
                (6, last_year.get(kpi_id)),
            ):
                number = _number(value)
                sheet.cell(col, number, _unit_format(kpi.unit, number))
        value_cell = sheet.ws.cell(row=sheet.row, column=2)
        fill = _fill(state)
        if fill:
            value_cell.fill = fill
        if state in FILLS:
            sheet.cell(7, _word(state, lang))
        sheet.skip()
    sheet.skip()


def _widths(ws: Worksheet, first: float = 34, rest: float = 16, columns: int = 16) -> None:
    ws.column_dimensions["A"].width = first
    for i in range(2, columns + 1):
        ws.column_dimensions[get_column_letter(i)].width = rest


# ----------------------------------------------------------------------------- key tables

Tables = list[tuple[str, pd.DataFrame | None, Sequence[str] | None]]


def _frame(fn: Callable[..., pd.DataFrame], *args: Any, **kwargs: Any) -> pd.DataFrame | None:
    frame = fn(*args, **kwargs)
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)


def _tables(con: duckdb.DuckDBPyConnection, scope: Scope, section: str, lang: str) -> Tables:
    """Return the key tables of a department sheet as (title, frame, columns)."""
    from kpi import customers, finance, inventory, marketing, sales, service

    w = _word
    if section == "sales":
        return [
            (w("t_consultants", lang), _frame(sales.by_consultant, con, scope),
             ["consultant", "store", "walk_in_batches", "test_drives", "test_drive_rate",
              "orders", "deliveries", "close_rate", "total_gross_per_unit"]),
            (w("t_models", lang), _frame(sales.by_model, con, scope), None),
            (w("t_channels", lang), _frame(sales.by_channel, con, scope), None),
        ]  # fmt: skip
    if section == "targets":
        out: Tables = []
        for metric in _metrics_with_targets(con, scope):
            label = CATALOGUE[metric].label(lang)
            out.append((w("t_levels", lang, metric=label), target_levels(con, scope, metric),
                        None))  # fmt: skip
            if metric in targets.METRICS:
                month = replace(_target_scope(scope), start=month_start(scope.as_of),
                                end=month_end(scope.as_of))  # fmt: skip
                frame = targets.achievement(con, month, metric, by="consultant")
                frame = frame[frame["consultant"].notna()]
                out.append((w("t_consultant_targets", lang, metric=label), frame,
                            ["consultant", "store", "actual", "target", "achievement",
                             "traffic_light", "pace"]))  # fmt: skip
        return out
    if section == "programs":
        return [(w("t_programs", lang), programs_frame(con, scope), None)]
    if section == "inventory":
        return [
            (w("t_stock", lang), _frame(inventory.by_model, con, scope), None),
            (w("t_aging", lang), _frame(inventory.aging_buckets, con, scope), None),
            (w("t_order", lang), _frame(inventory.order_gap, con, scope), None),
        ]
    if section == "service":
        return [
            (w("t_ro_types", lang), _frame(service.by_ro_type, con, scope), None),
            (w("t_advisors", lang), _frame(service.by_advisor, con, scope), None),
            (w("t_technicians", lang), _frame(service.by_technician, con, scope), None),
        ]
    if section == "marketing":
        return [
            (w("t_channels", lang), _frame(marketing.by_channel, con, scope), None),
            (w("t_events", lang), _frame(marketing.events, con, scope), None),
        ]
    if section == "customers":
        return [
            (w("t_leads", lang), _frame(customers.open_leads_by_level, con, scope), None),
            (w("t_overdue", lang), _frame(customers.overdue_list, con, scope), None),
            (w("t_monthly", lang), customers_monthly(con, scope), None),
            (w("t_complaints", lang), _frame(customers.complaints_list, con, scope), None),
        ]
    if section == "finance":
        return [
            (w("t_waterfall", lang), _frame(finance.gross_waterfall, con, scope), None),
            (w("t_expenses", lang), _frame(finance.expenses_by, con, scope), None),
            (w("t_monthly", lang), _frame(finance.monthly, con, scope), None),
        ]
    return []


def programs_frame(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the programme table of the Manufacturer sheet: one row per programme."""
    from kpi import programs

    rows = [
        {"store": d["store"], "program_id": d["program_id"], "name": d["name"],
         "basis": d["basis"], "start_date": d["start_date"], "end_date": d["end_date"],
         "target_units": d["target_units"], "units": d["units"],
         "program_achievement": d["achievement"], "rebate_earned": d["earned"],
         "rebate_next_tier_units": d["next_tier_units"],
         "rebate_next_tier_gain": d["next_tier_gain"], "rebate_projected": d["projected"],
         "days_left": d["days_left"]}
        for d in programs.programs_detail(con, scope)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _metrics_with_targets(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    """Return the catalogue metrics with target rows in as_of's year, deliveries first."""
    sql = f"""
    SELECT DISTINCT metric FROM targets
    WHERE month BETWEEN $first AND $last AND {store_clause()}
    """
    params = {"first": f"{scope.as_of.year}-01", "last": f"{scope.as_of.year}-12",
              "store": scope.store}  # fmt: skip
    found = {r[0] for r in con.execute(sql, params).fetchall()}
    ordered = [m for m in CATALOGUE if m in found and CATALOGUE[m].unit in _ADDITIVE_UNITS]
    return sorted(ordered, key=lambda m: m != "deliveries")


# ----------------------------------------------------------------------------- the workbook


def _period_text(scope: Scope) -> str:
    if scope.start.day == 1 and scope.end == month_end(scope.start):
        return f"{scope.start:%Y-%m}"
    return f"{scope.start.isoformat()} – {scope.end.isoformat()}"


def _store_text(con: duckdb.DuckDBPyConnection, store: str | None, lang: str) -> str:
    if store is None:
        return _word("all_stores", lang)
    row = con.execute("SELECT name FROM stores WHERE store = $s", {"s": store}).fetchone()
    name = row[0] if row and row[0] else None
    return f"{name} ({store})" if name and name != store else store


def _cover(ws: Worksheet, con, scope: Scope, lang: str, generated_at: datetime) -> None:
    sheet = _Sheet(ws, lang)
    sheet.title(_word("title", lang), size=16)
    sheet.skip()
    for key, value in (
        ("store", _store_text(con, scope.store, lang)),
        ("period", _period_text(scope)),
        ("as_of", scope.as_of),
        ("generated", generated_at.replace(microsecond=0, tzinfo=None)),
    ):
        sheet.cell(1, _word(key, lang), bold=True)
        cell = sheet.cell(2, value)
        if key == "generated":
            cell.number_format = "yyyy-mm-dd hh:mm"
        sheet.skip()
    sheet.skip()
    sheet.cell(1, _word("legend", lang), bold=True)
    sheet.skip()
    for state in ("green", "amber", "red", "grey"):
        sheet.cell(1, _word(f"legend_{state}", lang)).fill = _fill(state)
        sheet.skip()
    sheet.cell(1, _word("legend_note", lang))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 40


def workbook_bytes(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    lang: str = "en",
    generated_at: datetime | None = None,
) -> bytes:
    """Return the monthly management report for the scope as .xlsx bytes.

    `lang` 'zh' writes Chinese labels, anything else English. Previous month and same month
    last year are the scope shifted by one and twelve months (Scope.shifted). The target
    column shows the period's target of KPIs with target rows whose unit adds up (counts and
    money). `generated_at` defaults to now (tests pass a fixed time).
    """
    lang = "zh" if _zh(lang) else "en"
    now = compute_kpis(con, scope)
    prev = compute_kpis(con, scope.shifted(-1))
    last_year = compute_kpis(con, scope.shifted(-12))
    overrides = _overrides(con, scope.store)

    wb = Workbook()
    cover = wb.active
    cover.title = _word("cover", lang)
    _cover(cover, con, scope, lang, generated_at or datetime.now())
    for section in SECTIONS:
        ws = wb.create_sheet(SHEET_NAMES[section][1 if lang == "zh" else 0])
        sheet = _Sheet(ws, lang)
        sheet.title(f"{SECTIONS[section][1 if lang == 'zh' else 0]} · {_period_text(scope)}")
        sheet.skip()
        goal = _section_targets(con, scope, catalogue.section_ids(section))
        _write_kpis(sheet, section, now, prev, last_year, goal, overrides)
        for title, frame, columns in _tables(con, scope, section, lang):
            _write_table(sheet, title, frame, columns)
        _widths(ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
