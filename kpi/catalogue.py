"""Define every KPI once: id, labels, unit, direction, formula, help and default thresholds.

This module transcribes /work/shared/KPI-CATALOGUE.md. Pages, the CLI report, the Excel report
and docs/KPIS.md all read a KPI's definition from here, so a label or a threshold changes in one
place. The module is pure: no streamlit, no file or network I/O (scripts/write_kpi_docs.py
writes the docs from `markdown_table`).

Status colours (`status`, `traffic_light`) follow the catalogue's "Default thresholds": an ↑ KPI
is amber when strictly below its warning value and red when strictly below its critical value;
a ↓ KPI is amber strictly above warning and red strictly above critical. A value equal to the
line (within float noise) is not past it. A KPI without a value is grey, never green.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset()

__all__ = [
    "CATALOGUE",
    "DEFAULT_CADENCE",
    "KPI",
    "SECTIONS",
    "UNITS",
    "cadence_for",
    "format_unit",
    "format_value",
    "get",
    "judged",
    "markdown_table",
    "section_ids",
    "status",
    "summary_ids",
    "thresholds_for",
    "traffic_light",
]

SECTIONS: dict[str, tuple[str, str]] = {
    "sales": ("Sales and showroom", "销售"),
    "targets": ("Targets and pacing", "目标"),
    "programs": ("Manufacturer programmes", "厂家商务"),
    "inventory": ("Vehicle inventory", "整车库存"),
    "service": ("After-sales", "售后"),
    "marketing": ("Marketing", "市场"),
    "customers": ("Customers", "客户"),
    "finance": ("Finance", "财务"),
}

# The English word is the catalogue's unit column, so docs and pages say what the catalogue says.
UNITS: dict[str, tuple[str, str]] = {
    "count": ("count", "个"),
    "batches": ("batches", "批次"),
    "calls": ("calls", "通"),
    "units": ("units", "台"),
    "rate": ("%", "%"),
    "cny": ("CNY", "元"),
    "cny_per_unit": ("CNY/unit", "元/台"),
    "cny_per_ro": ("CNY/RO", "元/单"),
    "cny_per_hour": ("CNY/hour", "元/工时"),
    "days": ("days", "天"),
    "months": ("months", "个月"),
    "ratio": ("ratio", "倍"),
    "turns_per_year": ("turns/yr", "次/年"),
    "index_100": ("0–100", "0–100 分"),
    "nps": ("−100–100", "−100–100"),
    "units_per_month": ("units/month", "台/月"),
    "batches_per_day": ("batches/day", "批次/天"),
    "customers": ("customers", "人"),
    "leads": ("leads", "人"),
    "ros": ("ROs", "台次"),
    "status": ("green/amber/red", "绿/黄/红"),
}

DIRECTIONS = ("up", "down", None)
KINDS = ("scalar", "table")

# Follow-up cadence in days by lead level (catalogue, Customers); store settings may change it.
DEFAULT_CADENCE: dict[str, int] = {"O": 7, "H": 2, "A": 7, "B": 14, "C": 30}

# A KPI reported per department reads the family's threshold overrides first, its own after.
_FAMILY = {"csi_sales": "csi", "csi_service": "csi"}

# Float noise (1 - 1/20 != 0.95 exactly) must not flip a value sitting on a line.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


@dataclass(frozen=True)
class KPI:
    """Describe one KPI of the catalogue.

    `unit` is a key of UNITS; `direction` is 'up' (higher is better), 'down' or None;
    `kind` is 'scalar' (one number) or 'table' (per channel, per event, per model, ...);
    `module` names the kpi module that computes it (kpi/<module>.py), its section's by default:
    a module's scalar KPIs in catalogue order are its SUMMARY_IDS (`summary_ids`).
    """

    id: str
    section: str
    label_en: str
    label_zh: str
    unit: str
    direction: str | None
    formula_en: str
    formula_zh: str
    help_en: str = ""
    help_zh: str = ""
    warning: float | None = None
    critical: float | None = None
    kind: str = "scalar"
    module: str = ""

    def __post_init__(self) -> None:
        if not self.module:
            object.__setattr__(self, "module", self.section)
        if self.section not in SECTIONS:
            raise ValueError(f"{self.id}: unknown section {self.section!r}")
        if self.unit not in UNITS:
            raise ValueError(f"{self.id}: unknown unit {self.unit!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.id}: direction must be 'up', 'down' or None")
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind must be 'scalar' or 'table'")
        if (self.warning is not None or self.critical is not None) and self.direction is None:
            raise ValueError(f"{self.id}: thresholds need a direction")

    def label(self, lang: str) -> str:
        """Return the label in `lang` ('zh…' for Chinese, anything else English)."""
        return self.label_zh if _is_zh(lang) else self.label_en

    def formula(self, lang: str) -> str:
        """Return the formula sentence in `lang`."""
        return self.formula_zh if _is_zh(lang) else self.formula_en

    def help(self, lang: str) -> str:
        """Return the help note (alternatives, exclusions) in `lang`; may be empty."""
        return self.help_zh if _is_zh(lang) else self.help_en


def _is_zh(lang: str | None) -> bool:
    return bool(lang) and str(lang).lower().startswith("zh")


_RETAIL_EN = "Retail deliveries only: fleet and sub-dealer sales are left out of both counts."
_RETAIL_ZH = "只计零售交车：大客户和二网销售不计入分子和分母。"
_NO_INTERNAL_EN = "Internal repair orders are excluded."
_NO_INTERNAL_ZH = "不含内部工单（internal）。"
_CLOSED_EN = "Recognised on close_date (settlement), not open_date. " + _NO_INTERNAL_EN
_CLOSED_ZH = "按结算日期 close_date 确认，而非开单日期。" + _NO_INTERNAL_ZH
_DELIVERED_EN = (
    "Over orders delivered in the period (status delivered, delivery_date in period); "
    "cancelled orders never count."
)
_DELIVERED_ZH = "统计期内交车的订单（status 为 delivered 且 delivery_date 在期内）；退订订单不计。"

# One entry per KPI, in the catalogue's order; every field by name (KPI's docstring).
_KPIS: tuple[KPI, ...] = (
    # ---- Sales and showroom -------------------------------------------------------------
    KPI(
        id="walk_in_batches",
        section="sales",
        label_en="Showroom traffic",
        label_zh="来店批次",
        unit="batches",
        direction="up",
        formula_en="count of walk-in rows with visit_date in period",
        formula_zh="visit_date 在统计期内的来店（walk_in）记录条数",
        help_en=(
            "One traffic row is one visiting party (批次), not one person; inbound calls are "
            "counted separately (phone_batches)."
        ),
        help_zh="一条登记记录是一批来访客人（批次），不是一个人；来电另计（phone_batches）。",
    ),
    KPI(
        id="first_visit_batches",
        section="sales",
        label_en="First visits",
        label_zh="首次来店批次",
        unit="batches",
        direction="up",
        formula_en="walk-in rows with first_visit",
        formula_zh="first_visit 为是的来店记录条数",
        help_en="The denominator of the showroom closing rate (close_rate).",
        help_zh="展厅成交率（close_rate）的分母。",
    ),
    KPI(
        id="phone_batches",
        section="sales",
        label_en="Inbound calls",
        label_zh="来电批次",
        unit="calls",
        direction="up",
        formula_en="count of phone rows",
        formula_zh="来电（phone）记录条数",
    ),
    KPI(
        id="daily_walk_ins",
        section="sales",
        label_en="Daily showroom traffic",
        label_zh="日均来店",
        unit="batches_per_day",
        direction="up",
        formula_en="walk_in_batches ÷ days from the period's start to as_of",
        formula_zh="walk_in_batches ÷ 从统计期首日到 as_of 的天数",
        help_en="Every calendar day counts, weekends and holidays included.",
        help_zh="按自然日计算，周末和节假日都计入。",
    ),
    KPI(
        id="test_drives",
        section="sales",
        label_en="Test drives",
        label_zh="试驾批次",
        unit="batches",
        direction="up",
        formula_en="walk-in rows with test_drive",
        formula_zh="test_drive 为是的来店记录条数",
    ),
    KPI(
        id="test_drive_rate",
        section="sales",
        label_en="Test-drive rate",
        label_zh="试驾率",
        unit="rate",
        direction="up",
        formula_en="test_drives ÷ walk_in_batches",
        formula_zh="test_drives ÷ walk_in_batches",
        help_en=(
            "Over all showroom batches, first and return visits alike; some groups divide by "
            "first visits only, which gives a higher rate."
        ),
        help_zh="分母为全部来店批次（首次和再次）；有的集团只以首次来店为分母，得到的比率更高。",
        warning=0.35,
        critical=0.25,
    ),
    KPI(
        id="orders",
        section="sales",
        label_en="New orders",
        label_zh="新增订单",
        unit="units",
        direction="up",
        formula_en="orders with order_date in period, status ≠ cancelled",
        formula_zh="order_date 在统计期内且 status ≠ cancelled 的订单数",
        help_en="All sale types count (retail, fleet, sub-dealer).",
        help_zh="所有销售类型都计入（零售、大客户、二网）。",
    ),
    KPI(
        id="deliveries",
        section="sales",
        label_en="Deliveries (units sold)",
        label_zh="交车台次",
        unit="units",
        direction="up",
        formula_en="orders delivered in period",
        formula_zh="统计期内交车的订单数",
        help_en=(
            "Units sold are deliveries (交车): status delivered with delivery_date in the "
            "period. Targets and rankings use this volume, not orders."
        ),
        help_zh=(
            "销量以交车计：status 为 delivered 且 delivery_date 在统计期内。目标和排名都用交车"
            "台次，而不是订单数。"
        ),
    ),
    KPI(
        id="close_rate",
        section="sales",
        label_en="Showroom closing rate",
        label_zh="展厅成交率",
        unit="rate",
        direction="up",
        formula_en="non-cancelled retail orders with order_date in period ÷ first_visit_batches",
        formula_zh="order_date 在统计期内、未退订的零售（retail）订单数 ÷ first_visit_batches",
        help_en=(
            "Batch method, the industry's usual one: the period's orders over the period's "
            "first visits, so an order may come from a visit of an earlier month. Fleet and "
            "sub-dealer orders are left out. The customer-based alternative is cohort_close_rate."
        ),
        help_zh=(
            "批次口径（行业常用）：本期订单 ÷ 本期首次来店批次，因此订单可能来自上月的来店。不"
            "含大客户和二网订单。按客户追踪的口径见 cohort_close_rate。"
        ),
        warning=0.20,
        critical=0.12,
    ),
    KPI(
        id="cohort_close_rate",
        section="sales",
        label_en="Closing rate, by customer",
        label_zh="首访客户成交率",
        unit="rate",
        direction="up",
        formula_en=(
            "distinct customers with a first-visit walk-in in period who have a "
            "non-cancelled order (any sale type) dated within 30 days after any such visit, even "
            "after the period ends ÷ distinct such customers"
        ),
        formula_zh=(
            "统计期内有首次来店记录、且在任一次此类来店后 30 天内（即使已超出统计期）有未退"
            "订订单（任何销售类型）的不同客户数 ÷ 此类不同客户数"
        ),
        help_en=(
            "Cohort method: follows each first-time visitor for 30 days, so the latest month "
            "keeps rising while its orders come in. Anonymous walk-ins (no customer_id) are left "
            "out. The batch method is close_rate."
        ),
        help_zh=(
            "客户追踪口径：每位首次来店客户跟踪 30 天，因此最近一个月的数值会随后续成交继续上"
            "升。匿名来店（无 customer_id）不计。批次口径见 close_rate。"
        ),
    ),
    KPI(
        id="phone_to_visit_rate",
        section="sales",
        label_en="Call-to-visit rate",
        label_zh="来电转来店率",
        unit="rate",
        direction="up",
        formula_en=(
            "distinct customers with a first-visit phone row in period who have a walk-in "
            "(first or not) within 30 days after that call, even after the period ends ÷ distinct "
            "such customers"
        ),
        formula_zh=(
            "统计期内有首次来电记录、且在该来电后 30 天内（即使已超出统计期）有来店记录（首"
            "次或再次）的不同客户数 ÷ 此类不同客户数"
        ),
        help_en="Anonymous calls (no customer_id) cannot be followed and are left out.",
        help_zh="匿名来电（无 customer_id）无法追踪，不计入。",
    ),
    KPI(
        id="cancellation_rate",
        section="sales",
        label_en="Order cancellation rate",
        label_zh="退订率",
        unit="rate",
        direction="down",
        formula_en=(
            "orders with order_date in period and status cancelled ÷ all orders with "
            "order_date in period"
        ),
        formula_zh=(
            "order_date 在统计期内且 status 为 cancelled 的订单数 ÷ order_date 在统计期内的"
            "全部订单数"
        ),
        help_en="The only KPI that counts cancelled orders.",
        help_zh="唯一计入退订订单的指标。",
        warning=0.05,
        critical=0.10,
    ),
    KPI(
        id="fleet_share",
        section="sales",
        label_en="Fleet / group purchase share",
        label_zh="大客户占比",
        unit="rate",
        direction=None,
        formula_en="deliveries with sale_type fleet ÷ deliveries",
        formula_zh="sale_type 为 fleet 的交车台次 ÷ 交车台次",
        help_en=(
            "Fleet is the sale type (大客户/集团采购); a company buying at retail is in "
            "corporate_share instead."
        ),
        help_zh="按销售类型 fleet（大客户/集团采购）计算；公司按零售方式购车计入 corporate_share。",
    ),
    KPI(
        id="corporate_share",
        section="sales",
        label_en="Corporate purchase share",
        label_zh="公司购车占比",
        unit="rate",
        direction=None,
        formula_en="deliveries with buyer_type corporate ÷ deliveries",
        formula_zh="buyer_type 为 corporate 的交车台次 ÷ 交车台次",
    ),
    KPI(
        id="event_traffic_share",
        section="sales",
        label_en="Event traffic share",
        label_zh="外展/活动来店占比",
        unit="rate",
        direction=None,
        formula_en=(
            "walk-ins with event_id set or channel in (outdoor_event, showroom_event) ÷ "
            "walk_in_batches"
        ),
        formula_zh=(
            "event_id 不为空或 channel 为 outdoor_event、showroom_event 的来店批次 ÷ "
            "walk_in_batches"
        ),
    ),
    KPI(
        id="front_gross_per_unit",
        section="sales",
        label_en="Front gross per unit",
        label_zh="单车裸车毛利",
        unit="cny_per_unit",
        direction="up",
        formula_en="Σ(sale_price − vehicle_cost) ÷ deliveries",
        formula_zh="Σ(sale_price − vehicle_cost) ÷ 交车台次",
        help_en=(
            "Price paid minus invoice cost, before rebates, F&I and accessories; often negative "
            "in China, where the margin comes from the manufacturer's rebate. " + _DELIVERED_EN
        ),
        help_zh="成交价减车辆成本，不含返利、金融保险和精品；在国内常为负数，利润主要来自厂家返利。"
        + _DELIVERED_ZH,
    ),
    KPI(
        id="total_gross_per_unit",
        section="sales",
        label_en="Total gross per unit",
        label_zh="单车综合毛利",
        unit="cny_per_unit",
        direction="up",
        formula_en=(
            "Σ(sale_price − vehicle_cost + rebate + fi_income + accessories_revenue − "
            "accessories_cost) ÷ deliveries"
        ),
        formula_zh=(
            "Σ(sale_price − vehicle_cost + rebate + fi_income + accessories_revenue − "
            "accessories_cost) ÷ 交车台次"
        ),
        help_en="Front gross plus manufacturer rebate, F&I income and accessories gross. "
        + _DELIVERED_EN,
        help_zh="裸车毛利加厂家返利、金融保险收入和精品毛利。" + _DELIVERED_ZH,
    ),
    KPI(
        id="finance_penetration",
        section="sales",
        label_en="Finance penetration",
        label_zh="金融渗透率",
        unit="rate",
        direction="up",
        formula_en="retail deliveries with finance ÷ retail deliveries",
        formula_zh="finance 为是的零售交车台次 ÷ 零售交车台次",
        help_en=_RETAIL_EN,
        help_zh=_RETAIL_ZH,
        warning=0.40,
        critical=0.25,
    ),
    KPI(
        id="insurance_penetration",
        section="sales",
        label_en="Insurance penetration",
        label_zh="保险渗透率",
        unit="rate",
        direction="up",
        formula_en="retail deliveries with insurance ÷ retail deliveries",
        formula_zh="insurance 为是的零售交车台次 ÷ 零售交车台次",
        help_en=_RETAIL_EN,
        help_zh=_RETAIL_ZH,
        warning=0.80,
        critical=0.60,
    ),
    KPI(
        id="trade_in_rate",
        section="sales",
        label_en="Trade-in rate",
        label_zh="置换率",
        unit="rate",
        direction="up",
        formula_en="retail deliveries with trade_in ÷ retail deliveries",
        formula_zh="trade_in 为是的零售交车台次 ÷ 零售交车台次",
        help_en=_RETAIL_EN,
        help_zh=_RETAIL_ZH,
    ),
    KPI(
        id="accessories_per_unit",
        section="sales",
        label_en="Accessories revenue per unit",
        label_zh="单车精品产值",
        unit="cny_per_unit",
        direction="up",
        formula_en="Σ accessories_revenue ÷ deliveries",
        formula_zh="Σ accessories_revenue ÷ 交车台次",
        help_en=_DELIVERED_EN,
        help_zh=_DELIVERED_ZH,
    ),
    KPI(
        id="accessories_margin",
        section="sales",
        label_en="Accessories gross margin",
        label_zh="精品毛利率",
        unit="rate",
        direction="up",
        formula_en=(
            "Σ(accessories_revenue − accessories_cost) ÷ Σ accessories_revenue, over deliveries"
        ),
        formula_zh=(
            "按交车订单计：Σ(accessories_revenue − accessories_cost) ÷ Σ accessories_revenue"
        ),
    ),
    KPI(
        id="units_per_consultant",
        section="sales",
        label_en="Units per consultant",
        label_zh="人均交车",
        unit="units",
        direction="up",
        formula_en=(
            "deliveries ÷ distinct consultants with a delivery or a walk-in (phone rows do "
            "not count) in period"
        ),
        formula_zh="交车台次 ÷ 统计期内有交车或来店记录（来电记录不计）的不同销售顾问数",
        help_en="Consultants are counted per store; one who only answered calls is not counted.",
        help_zh="销售顾问按门店分别计数；只接来电的顾问不计入。",
    ),
    KPI(
        id="backlog_orders",
        section="sales",
        module="backlog",
        label_en="Orders awaiting delivery",
        label_zh="待交车订单",
        unit="units",
        direction=None,
        formula_en=(
            "orders not cancelled with order_date ≤ as_of and not delivered by as_of "
            "(delivery_date empty or > as_of)"
        ),
        formula_zh=(
            "order_date ≤ as_of、未退订且截至 as_of 尚未交车（delivery_date 为空或 > as_of"
            "）的订单数"
        ),
        help_en="Read as on as_of: an order delivered after as_of still waits on that day.",
        help_zh="按 as_of 当日的状态：as_of 之后才交车的订单在当日仍属待交车。",
    ),
    KPI(
        id="backlog_unmatched",
        section="sales",
        module="backlog",
        label_en="Backlog without a vehicle",
        label_zh="待交车缺车",
        unit="units",
        direction="down",
        formula_en=(
            "backlog orders that get no vehicle in the allocation: a backlog order whose "
            "vin is a vehicle in stock or in transit at as_of keeps it; the others, oldest order "
            "first (ties by order_id), take the unallocated in-stock vehicle of the same model "
            "with the earliest arrival_date, then the in-transit one with the earliest eta (empty "
            "eta last; ties by vin)"
        ),
        formula_zh=(
            "分配后仍无车的待交车订单数：vin 为 as_of 时在库或在途车辆的订单保留该车；其余"
            "订单按 order_date 从早到晚（同日按 order_id）依次分配同车型、未被分配、arrival_date "
            "最早的在库车，再分配 eta 最早的在途车（eta 为空的排最后；同者按 vin）"
        ),
        help_en=(
            "These units need ordering from the manufacturer; Order planning adds them to its "
            "suggestion."
        ),
        help_zh="这些订单需要向厂家订车；订货计划页会把它们计入建议订货量。",
    ),
    KPI(
        id="backlog_age_days",
        section="sales",
        module="backlog",
        label_en="Average backlog age",
        label_zh="待交车平均天数",
        unit="days",
        direction="down",
        formula_en="mean(as_of − order_date) over backlog orders",
        formula_zh="待交车订单的 mean(as_of − order_date)",
        warning=30,
        critical=45,
    ),
    # ---- Targets and pacing -------------------------------------------------------------
    KPI(
        id="time_progress",
        section="targets",
        label_en="Time elapsed",
        label_zh="时间进度",
        unit="rate",
        direction=None,
        formula_en="days of as_of's month up to as_of ÷ days in that month",
        formula_zh="as_of 所在月从月初到 as_of 的天数 ÷ 该月天数",
        help_en="Uses as_of's month even when the period spans several months.",
        help_zh="统计期跨多个月时，也按 as_of 所在月计算。",
    ),
    KPI(
        id="target_achievement",
        section="targets",
        label_en="Target achievement",
        label_zh="目标达成率",
        unit="rate",
        direction="up",
        formula_en=(
            "actual ÷ target, per metric and per consultant or store; the store's target "
            "for a month is its row with an empty consultant, or else the sum of its consultants' "
            "rows. In the report, `target_achievement` is deliveries ÷ the deliveries target of "
            "the period, where a month only partly inside the period contributes its target × "
            "(its days in the period ÷ its days); all stores: the sum of each store's target; no "
            "target: no value"
        ),
        formula_zh=(
            "实际值 ÷ 目标值，按指标、按销售顾问或门店计算；门店某月的目标取 consultant 为"
            "空的那一行，没有则取该店各顾问目标之和。报告中的 `target_achievement` 为交车台次 ÷ 统"
            "计期的交车目标，只有部分日期落在统计期内的月份按 目标 × (该月在期内的天数 ÷ 该月天数"
            ") 计入；全部门店：各店目标之和；无目标：无值"
        ),
        help_en=(
            "Compared with time_progress by the traffic light. Annual targets split into "
            "months by last year's share of deliveries in the same month (equal shares without "
            "history)."
        ),
        help_zh=(
            "通过状态灯与 time_progress 比较。年度目标按去年同月交车占比拆分到月（无历史时平均"
            "分配）。"
        ),
    ),
    KPI(
        id="pace",
        section="targets",
        label_en="Month-end projection",
        label_zh="月底预测",
        unit="units",
        direction="up",
        formula_en=(
            "actual from the first day of as_of's month to as_of ÷ days of that month "
            "elapsed × days in month (in the report: deliveries)"
        ),
        formula_zh=(
            "as_of 所在月从月初到 as_of 的实际值 ÷ 该月已过天数 × 该月天数（报告中为交车台次）"
        ),
        help_en=(
            "A straight-line projection: no weekday or month-end rush is assumed, so it "
            "usually understates the month-end push."
        ),
        help_zh="按日均线性外推，不考虑工作日差异和月底冲量，通常低估月底冲刺。",
    ),
    KPI(
        id="traffic_light",
        section="targets",
        label_en="Status",
        label_zh="状态",
        unit="status",
        direction=None,
        formula_en="green if achievement ≥ time_progress; amber if ≥ 0.8 × time_progress; else red",
        formula_zh="达成率 ≥ time_progress 为绿；≥ 0.8 × time_progress 为黄；否则为红",
        help_en="Grey when the achievement or the time elapsed has no value (e.g. no target).",
        help_zh="达成率或时间进度无值（如无目标）时为灰。",
    ),
    KPI(
        id="deliveries_forecast",
        section="targets",
        module="forecast",
        label_en="Month-end delivery forecast",
        label_zh="月底交车预测",
        unit="units",
        direction="up",
        formula_en=(
            "expected deliveries of as_of's month, from what was known on as_of only: "
            "deliveries so far, orders awaiting delivery on as_of (order_date ≤ as_of and not "
            "delivered by as_of, whatever the database says happened later), the store's own "
            "history (order-to-delivery lead times, how much of a month's deliveries come from "
            "orders placed in it, the shape of its months and weekdays). The method is the "
            "product's; it must beat `pace` in a backtest (median absolute percentage error over "
            "past months at days 5, 10, 15, 20 and 25)"
        ),
        formula_zh=(
            "as_of 所在月的预计交车台次，只用 as_of 当日已知的信息：已交车台次、as_of 时的"
            "待交车订单（order_date ≤ as_of 且截至 as_of 未交车，不论数据库记录其后如何）、本店历"
            "史（订单到交车的周期、当月订单当月交车的比例、月内和星期的分布）。方法由产品决定；回"
            "测中（过去各月第 5、10、15、20、25 天的中位绝对百分比误差）须优于 `pace`"
        ),
        help_en=(
            "Deliveries so far, plus the waiting orders expected to deliver this month, plus "
            "the deliveries still to come from orders not yet placed, each estimated from the "
            "store's last 12 months (docs/DECISIONS.md). The straight line stays as pace."
        ),
        help_zh=(
            "已交车台次，加上预计本月交车的待交车订单，再加上尚未签约、本月仍会成交交车的部分"
            "，均按本店过去 12 个月估算（见 docs/DECISIONS.md）。直线外推仍见 pace。"
        ),
    ),
    KPI(
        id="deliveries_forecast_low",
        section="targets",
        module="forecast",
        label_en="Forecast range",
        label_zh="预测区间",
        unit="units",
        direction=None,
        formula_en=(
            "the forecast's 80 % interval: in the backtest, the month's actual deliveries "
            "fall inside it in 70–90 % of cases"
        ),
        formula_zh="预测的 80 % 区间：回测中当月实际交车台次落在区间内的比例为 70–90 %",
        help_en="The low end of the interval.",
        help_zh="区间下限。",
    ),
    KPI(
        id="deliveries_forecast_high",
        section="targets",
        module="forecast",
        label_en="Forecast range",
        label_zh="预测区间",
        unit="units",
        direction=None,
        formula_en=(
            "the forecast's 80 % interval: in the backtest, the month's actual deliveries "
            "fall inside it in 70–90 % of cases"
        ),
        formula_zh="预测的 80 % 区间：回测中当月实际交车台次落在区间内的比例为 70–90 %",
        help_en="The high end of the interval.",
        help_zh="区间上限。",
    ),
    # ---- Manufacturer programmes --------------------------------------------------------
    KPI(
        id="wholesale_units",
        section="programs",
        label_en="Wholesale units",
        label_zh="批发台数",
        unit="units",
        direction="up",
        formula_en="vehicles whose wholesale_date (else arrival_date) is in period",
        formula_zh="wholesale_date（为空时取 arrival_date）在统计期内的车辆数",
        help_en="The manufacturer's invoices to the store (批发/提车开票).",
        help_zh="厂家开给本店的批发发票（批发/提车开票）。",
    ),
    KPI(
        id="program_achievement",
        section="programs",
        label_en="Programme achievement",
        label_zh="商务政策达成率",
        unit="rate",
        direction="up",
        kind="table",
        formula_en="units counted ÷ target_units (target 0: no value)",
        formula_zh="计入台数 ÷ target_units（目标为 0：无值）",
        help_en=(
            "Units counted: deliveries (basis retail) or vehicles by wholesale date (basis "
            "wholesale) from the programme's start_date to the earlier of its end_date and as_of."
        ),
        help_zh=(
            "计入台数：零售口径为交车台次，批发口径为按批发日期计的车辆数，从政策 start_date "
            "到 end_date 与 as_of 中较早者。"
        ),
    ),
    KPI(
        id="rebate_earned",
        section="programs",
        label_en="Rebate earned so far",
        label_zh="已达成返利",
        unit="cny",
        direction="up",
        kind="table",
        formula_en=(
            "the amount of the highest tier whose min_achievement ≤ program_achievement, "
            "on the units counted; 0 when none"
        ),
        formula_zh=(
            "min_achievement ≤ program_achievement 的最高档位按计入台数计算的返利金额；未达"
            "任何档位为 0"
        ),
        help_en="A tier pays u × (per_unit + pct_of_cost × the mean cost of the units counted).",
        help_zh="每档返利 = u × (per_unit + pct_of_cost × 计入车辆的平均成本)。",
    ),
    KPI(
        id="rebate_next_tier_units",
        section="programs",
        label_en="Units to the next tier",
        label_zh="距下一档台数",
        unit="units",
        direction=None,
        kind="table",
        formula_en=(
            "the next tier is the one with the smallest min_achievement above "
            "program_achievement: ceil(its min_achievement × target_units − 1e-9) − units "
            "counted; no value at the top tier"
        ),
        formula_zh=(
            "下一档为 min_achievement 高于 program_achievement 的最小档：ceil(其 "
            "min_achievement × target_units − 1e-9) − 计入台数；已在最高档时无值"
        ),
    ),
    KPI(
        id="rebate_next_tier_gain",
        section="programs",
        label_en="Gain at the next tier",
        label_zh="下一档增加返利",
        unit="cny",
        direction=None,
        kind="table",
        formula_en=(
            "the next tier's amount on ceil(its min_achievement × target_units − 1e-9) "
            "units − rebate_earned; no value at the top tier"
        ),
        formula_zh=(
            "下一档按 ceil(其 min_achievement × target_units − 1e-9) 台计算的返利金额 − "
            "rebate_earned；已在最高档时无值"
        ),
    ),
    KPI(
        id="rebate_projected",
        section="programs",
        label_en="Rebate at the current pace",
        label_zh="按进度预计返利",
        unit="cny",
        direction="up",
        kind="table",
        formula_en=(
            "the amount of the tier that the straight-line projection of units to end_date "
            "reaches (units counted ÷ days of the programme elapsed to as_of × its days), on the "
            "projected units; after end_date equal to rebate_earned; before start_date no value"
        ),
        formula_zh=(
            "按直线外推到 end_date 的台数（计入台数 ÷ 截至 as_of 政策已过天数 × 政策总天数"
            "）所达档位、按外推台数计算的返利金额；end_date 之后等于 rebate_earned；start_date 之"
            "前无值"
        ),
    ),
    # ---- Vehicle inventory --------------------------------------------------------------
    KPI(
        id="stock_units",
        section="inventory",
        label_en="Units in stock",
        label_zh="在库台数",
        unit="units",
        direction=None,
        formula_en="vehicles with arrival_date ≤ as_of and (sold_date empty or > as_of)",
        formula_zh="arrival_date ≤ as_of 且（sold_date 为空或 > as_of）的车辆数",
        help_en=(
            "Where the ledger's sold_date is empty, the delivery_date of a delivered order "
            "carrying the VIN is the sold date."
        ),
        help_zh=(
            "库存台账的 sold_date 为空时，以带该 VIN 的已交车订单的 delivery_date 作为销售日期。"
        ),
    ),
    KPI(
        id="in_transit_units",
        section="inventory",
        label_en="Units in transit",
        label_zh="在途台数",
        unit="units",
        direction=None,
        formula_en=(
            "vehicles with ordered_date empty or ≤ as_of, arrival_date empty or > as_of, "
            "and sold_date empty or > as_of"
        ),
        formula_zh=(
            "ordered_date 为空或 ≤ as_of、arrival_date 为空或 > as_of、且 sold_date 为空或 "
            "> as_of 的车辆数"
        ),
    ),
    KPI(
        id="avg_monthly_sales_3m",
        section="inventory",
        label_en="3-month average sales",
        label_zh="近三月月均销量",
        unit="units_per_month",
        direction=None,
        formula_en=(
            "deliveries (all sale types) in the 3 complete calendar months before as_of's "
            "month ÷ 3 (as_of on a month's last day counts that month as complete)"
        ),
        formula_zh=(
            "as_of 所在月之前 3 个完整自然月的交车台次（所有销售类型）÷ 3（as_of 为某月最后"
            "一天时，该月算作完整月）"
        ),
    ),
    KPI(
        id="inventory_months",
        section="inventory",
        label_en="Months of supply",
        label_zh="库存深度(月)",
        unit="months",
        direction="down",
        formula_en=(
            "stock_units ÷ avg_monthly_sales_3m; warning above 1.5, critical above 2.5 "
            "(store settings)"
        ),
        formula_zh=(
            "stock_units ÷ avg_monthly_sales_3m；高于 1.5 预警，高于 2.5 告警（可在门店设置中修改）"
        ),
        help_en=(
            "Forward-looking depth on the trailing 3-month selling rate. The CADA inventory "
            "coefficient (inventory_coefficient) divides by the current month's sales instead."
        ),
        help_zh=(
            "以近三个月的月均销量衡量库存深度。中国汽车流通协会的库存系数（"
            "inventory_coefficient）则除以当月销量。"
        ),
        warning=1.5,
        critical=2.5,
    ),
    KPI(
        id="inventory_coefficient",
        section="inventory",
        label_en="Inventory coefficient",
        label_zh="库存系数",
        unit="ratio",
        direction="down",
        formula_en=(
            "stock_units at as_of ÷ (deliveries from the first day of as_of's month to "
            "as_of ÷ days of that month elapsed × days in that month): CADA's industry measure "
            "(month-end stock ÷ the month's sales; warning line 1.5), with the month's sales "
            "projected while it runs; equal to CADA's on the month's last day"
        ),
        formula_zh=(
            "as_of 时的 stock_units ÷（as_of 所在月从月初到 as_of 的交车台次 ÷ 该月已过天数"
            " × 该月天数）：中国汽车流通协会的行业口径（月末库存 ÷ 当月销量；警戒线 1.5），月中按"
            "当月销量的月底预测计算；在月末最后一天与协会口径一致"
        ),
        help_en=(
            "The China Automobile Dealers Association's monthly measure: 0.8–1.2 is "
            "considered healthy, above 1.5 is its warning line. While the month runs its sales "
            "are projected to month end (as pace does), so early days do not inflate it; months "
            "of supply (inventory_months) is steadier."
        ),
        help_zh=(
            "中国汽车流通协会每月发布的口径：0.8–1.2 为合理区间，高于 1.5 为警戒线。月中按当月"
            "销量的月底预测（同 pace）计算，月初不会虚高；库存深度（inventory_months）更平稳。"
        ),
        warning=1.5,
        critical=2.0,
    ),
    KPI(
        id="days_supply",
        section="inventory",
        label_en="Days' supply",
        label_zh="库存天数",
        unit="days",
        direction="down",
        formula_en="stock_units ÷ (deliveries in the 90 days up to as_of ÷ 90)",
        formula_zh="stock_units ÷（截至 as_of 的 90 天内交车台次 ÷ 90）",
        help_en="Months of supply in days, on the last 90 days' daily selling rate.",
        help_zh="以近 90 天日均销量衡量的库存深度（天）。",
    ),
    KPI(
        id="avg_days_in_stock",
        section="inventory",
        label_en="Average age of stock",
        label_zh="平均库龄",
        unit="days",
        direction="down",
        formula_en="mean of (as_of − arrival_date) over units in stock",
        formula_zh="在库车辆 (as_of − arrival_date) 的平均值",
        warning=60,
        critical=90,
    ),
    KPI(
        id="aged_units_90",
        section="inventory",
        label_en="Aged stock > 90 days",
        label_zh="超90天库存",
        unit="units",
        direction="down",
        formula_en="units in stock with age > 90 days; buckets 0–30, 31–60, 61–90, 91–180, > 180",
        formula_zh="库龄 > 90 天的在库车辆数；库龄分段 0–30、31–60、61–90、91–180、> 180 天",
        help_en=(
            "Age is as_of − arrival_date. With the default warning of 1, one aged unit is "
            "still green and two are amber (a status turns only when the value is past the line); "
            "set the warning to 0 to flag any aged unit."
        ),
        help_zh=(
            "库龄 = as_of − arrival_date。默认预警值为 1：1 台超龄车仍为绿，2 台为黄（超过阈值"
            "才变色）；如需有 1 台即预警，请把预警值设为 0。"
        ),
        warning=1,
        critical=5,
    ),
    KPI(
        id="capital_tied_up",
        section="inventory",
        label_en="Capital tied up in stock",
        label_zh="库存资金占用",
        unit="cny",
        direction="down",
        formula_en="Σ cost of units in stock",
        formula_zh="在库车辆 cost 之和",
    ),
    KPI(
        id="floorplan_cost",
        section="inventory",
        label_en="Floorplan interest",
        label_zh="库存资金成本",
        unit="cny",
        direction="down",
        formula_en=(
            "Σ over vehicles cost × floorplan_rate ÷ 365 × the number of days of the "
            "period on which the unit was in stock (from arrival_date inclusive to sold_date "
            "exclusive)"
        ),
        formula_zh=(
            "对所有车辆求和：cost × floorplan_rate ÷ 365 × 统计期内该车在库的天数（自 "
            "arrival_date 当天起，至 sold_date 前一天止）"
        ),
        help_en=(
            "A vehicle without its own floorplan_rate uses the store setting (default 5% a year)."
        ),
        help_zh="车辆未填 floorplan_rate 时使用门店设置（默认年利率 5%）。",
    ),
    KPI(
        id="order_gap",
        section="inventory",
        label_en="Suggested order quantity",
        label_zh="建议订货量",
        unit="units",
        direction=None,
        formula_en=(
            "per model: max(0, ceil(round(target_months × forecast, 6) − stock_units − "
            "in-transit units whose eta is empty or on or before the last day of the month after "
            "as_of's)); target_months default 1.2; forecast = the model's avg_monthly_sales_3m"
        ),
        formula_zh=(
            "按车型：max(0, ceil(round(target_months × forecast, 6) − stock_units − eta 为"
            "空或不晚于 as_of 次月最后一天的在途台数))；target_months 默认 1.2；forecast = 该车型"
            "的 avg_monthly_sales_3m"
        ),
        help_en=(
            "A table per model. The rounding to 6 decimals keeps float noise from adding a unit."
        ),
        help_zh="按车型列表。先保留 6 位小数再向上取整，避免浮点误差多算一台。",
        kind="table",
    ),
    # ---- After-sales --------------------------------------------------------------------
    KPI(
        id="ro_count",
        section="service",
        label_en="Vehicles in",
        label_zh="进厂台次",
        unit="ros",
        direction="up",
        formula_en="ROs with open_date in period",
        formula_zh="open_date 在统计期内的工单数",
        help_en="Counted on open_date (vehicle in). " + _NO_INTERNAL_EN,
        help_zh="按开单日期 open_date（进厂）计。" + _NO_INTERNAL_ZH,
    ),
    KPI(
        id="service_revenue",
        section="service",
        label_en="Service output value",
        label_zh="维修产值",
        unit="cny",
        direction="up",
        formula_en="Σ(labor_revenue + parts_revenue) over ROs closed in period",
        formula_zh="统计期内结算工单的 Σ(labor_revenue + parts_revenue)",
        help_en=_CLOSED_EN,
        help_zh=_CLOSED_ZH,
    ),
    KPI(
        id="avg_ro_value",
        section="service",
        label_en="Average repair-order value",
        label_zh="单车产值",
        unit="cny_per_ro",
        direction="up",
        formula_en="service_revenue ÷ ROs closed in period",
        formula_zh="service_revenue ÷ 统计期内结算的工单数",
        help_en=_CLOSED_EN,
        help_zh=_CLOSED_ZH,
    ),
    KPI(
        id="service_gross",
        section="service",
        label_en="Service gross profit",
        label_zh="售后毛利",
        unit="cny",
        direction="up",
        formula_en="Σ(labor_revenue + parts_revenue − labor_cost − parts_cost), closed in period",
        formula_zh="统计期内结算工单的 Σ(labor_revenue + parts_revenue − labor_cost − parts_cost)",
        help_en="labor_cost is 0 where the DMS does not export it, which overstates the gross. "
        + _CLOSED_EN,
        help_zh="DMS 未导出 labor_cost 时按 0 计，毛利会偏高。" + _CLOSED_ZH,
    ),
    KPI(
        id="service_gross_margin",
        section="service",
        label_en="Service gross margin",
        label_zh="售后毛利率",
        unit="rate",
        direction="up",
        formula_en="service_gross ÷ service_revenue",
        formula_zh="service_gross ÷ service_revenue",
        help_en=_CLOSED_EN,
        help_zh=_CLOSED_ZH,
        warning=0.35,
        critical=0.25,
    ),
    KPI(
        id="parts_gross_margin",
        section="service",
        label_en="Parts gross margin",
        label_zh="配件毛利率",
        unit="rate",
        direction="up",
        formula_en="Σ(parts_revenue − parts_cost) ÷ Σ parts_revenue, closed in period",
        formula_zh="统计期内结算工单的 Σ(parts_revenue − parts_cost) ÷ Σ parts_revenue",
        help_en=(
            "Parts sold on repair orders only; counter and wholesale parts sales are not in the "
            "data. " + _NO_INTERNAL_EN
        ),
        help_zh="只计维修工单上的配件；柜台零售和批发配件不在数据中。" + _NO_INTERNAL_ZH,
    ),
    KPI(
        id="effective_labor_rate",
        section="service",
        label_en="Effective labour rate",
        label_zh="有效工时单价",
        unit="cny_per_hour",
        direction="up",
        formula_en="Σ labor_revenue ÷ Σ labor_hours, closed in period",
        formula_zh="统计期内结算工单的 Σ labor_revenue ÷ Σ labor_hours",
        help_en=(
            "Labour revenue per flat-rate hour sold; below the posted door rate it shows "
            "discounting and warranty pricing. " + _NO_INTERNAL_EN
        ),
        help_zh="每个已售工时的工时收入；低于挂牌工时单价说明有折扣或索赔工时价。"
        + _NO_INTERNAL_ZH,
    ),
    KPI(
        id="warranty_gross",
        section="service",
        label_en="Warranty claim gross profit",
        label_zh="索赔毛利",
        unit="cny",
        direction="up",
        formula_en="service_gross restricted to ro_type warranty",
        formula_zh="仅计 ro_type 为 warranty 的工单的 service_gross",
    ),
    KPI(
        id="first_time_fix_rate",
        section="service",
        label_en="First-time fix rate",
        label_zh="一次修复率",
        unit="rate",
        direction="up",
        formula_en=(
            "1 − (repair and warranty ROs opened in period flagged comeback) ÷ (repair and "
            "warranty ROs opened in period)"
        ),
        formula_zh=(
            "1 −（统计期内开单且标记为 comeback 的 repair 和 warranty 工单数）÷（统计期内开"
            "单的 repair 和 warranty 工单数）"
        ),
        help_en=(
            "Where the export leaves comeback empty, a repair or warranty RO of the same VIN "
            "opened within 30 days after an earlier one closed is a comeback (返修)."
        ),
        help_zh=(
            "导出数据未填 comeback 时，同一 VIN 在上一张 repair 或 warranty 工单结算后 30 天内"
            "再开的 repair 或 warranty 工单视为返修。"
        ),
        warning=0.95,
        critical=0.90,
    ),
    KPI(
        id="open_ros",
        section="service",
        label_en="Open repair orders (WIP)",
        label_zh="在修工单",
        unit="ros",
        direction="down",
        formula_en="ROs with open_date ≤ as_of and (close_date empty or > as_of)",
        formula_zh="open_date ≤ as_of 且（close_date 为空或 > as_of）的工单数",
        help_en="Evaluated on as_of. " + _NO_INTERNAL_EN,
        help_zh="按 as_of 当天计算。" + _NO_INTERNAL_ZH,
        warning=30,
        critical=50,
    ),
    KPI(
        id="revenue_per_technician",
        section="service",
        label_en="Output per technician",
        label_zh="人均产值",
        unit="cny",
        direction="up",
        formula_en=(
            "Σ labor_revenue closed in period ÷ distinct technicians on the roster in the "
            "period's months"
        ),
        formula_zh="统计期内结算工单的 Σ labor_revenue ÷ 统计期所涉各月技师名册上的不同技师数",
        help_en="Labour revenue only (parts excluded), over the monthly roster.",
        help_zh="只计工时收入（不含配件），分母取月度技师名册。",
    ),
    KPI(
        id="tech_productivity",
        section="service",
        label_en="Technician productivity",
        label_zh="技师出勤利用率",
        unit="rate",
        direction="up",
        formula_en="Σ clocked_hours ÷ Σ available_hours, roster rows of the period's months",
        formula_zh="统计期所涉各月技师名册行的 Σ clocked_hours ÷ Σ available_hours",
        help_en=(
            "Productivity = clocked ÷ attended hours; efficiency = sold ÷ clocked; "
            "proficiency = sold ÷ attended (the industry's overall productivity)."
        ),
        help_zh=(
            "出勤利用率 = 上工工时 ÷ 出勤工时；效率 = 已售工时 ÷ 上工工时；产能 = 已售工时 ÷ "
            "出勤工时（行业所称综合生产率）。"
        ),
        warning=0.85,
        critical=0.75,
    ),
    KPI(
        id="tech_efficiency",
        section="service",
        label_en="Technician efficiency",
        label_zh="技师效率",
        unit="rate",
        direction="up",
        formula_en="Σ labor_hours of ROs closed in period ÷ Σ clocked_hours",
        formula_zh="统计期内结算工单的 Σ labor_hours ÷ Σ clocked_hours",
        help_en="Above 100% when jobs are done faster than the flat-rate time.",
        help_zh="实际用时少于标准工时时会超过 100%。",
    ),
    KPI(
        id="tech_proficiency",
        section="service",
        label_en="Technician proficiency",
        label_zh="技师产能",
        unit="rate",
        direction="up",
        formula_en="Σ labor_hours sold ÷ Σ available_hours",
        formula_zh="Σ 已售工时 labor_hours ÷ Σ available_hours",
    ),
    KPI(
        id="training_compliance",
        section="service",
        label_en="Training compliance",
        label_zh="培训达标率",
        unit="rate",
        direction="up",
        formula_en="Σ training_passed ÷ Σ training_required",
        formula_zh="Σ training_passed ÷ Σ training_required",
        warning=0.90,
        critical=0.75,
    ),
    KPI(
        id="parts_turnover",
        section="service",
        label_en="Parts stock turnover",
        label_zh="配件周转率",
        unit="turns_per_year",
        direction="up",
        formula_en=(
            "Σ parts_cost of ROs closed in the 12 months to as_of ÷ average stock value (Σ "
            "qty × unit_cost) over the month-end snapshots in those 12 months (a snapshot is "
            "dated its month's last day; the mean is over the snapshot months present, a missing "
            "month is skipped; all stores: summed per month)"
        ),
        formula_zh=(
            "截至 as_of 的 12 个月内结算工单的 Σ parts_cost ÷ 这 12 个月内各月末快照的平均"
            "库存金额（Σ qty × unit_cost）（快照日期为所在月最后一天；平均值只计有快照的月份，缺失"
            "月份跳过；全部门店：按月相加）"
        ),
        help_en=(
            "Only parts issued on repair orders feed the numerator; counter and wholesale "
            "sales are not in the data, so the turnover is understated where they matter."
        ),
        help_zh="分子只计维修工单领用的配件；柜台和批发销售不在数据中，这部分业务多时周转率偏低。",
    ),
    KPI(
        id="parts_months_supply",
        section="service",
        label_en="Parts months of supply",
        label_zh="配件库存月数",
        unit="months",
        direction="down",
        formula_en=(
            "stock value of each store's latest snapshot at or before as_of's month "
            "(summed over stores) ÷ (parts_cost of ROs closed in the 3 complete months before "
            "as_of's month ÷ 3); no snapshot: no value"
        ),
        formula_zh=(
            "各门店在 as_of 所在月或之前最近一次快照的库存金额（各店相加）÷（as_of 所在月之"
            "前 3 个完整月内结算工单的 parts_cost ÷ 3）；无快照：无值"
        ),
        warning=3.0,
        critical=4.5,
    ),
    KPI(
        id="obsolete_parts_value",
        section="service",
        label_en="Obsolete parts",
        label_zh="呆滞配件金额",
        unit="cny",
        direction="down",
        formula_en=(
            "in those latest snapshots, stock value of parts whose last_movement_date is "
            "more than 180 days before the snapshot month's last day (an empty date is not "
            "obsolete); no snapshot: no value"
        ),
        formula_zh=(
            "上述最近快照中，last_movement_date 早于快照月最后一天 180 天以上的配件库存金额"
            "（日期为空不算呆滞）；无快照：无值"
        ),
    ),
    KPI(
        id="customer_churn_rate",
        section="service",
        label_en="Lost-customer rate",
        label_zh="客户流失率",
        unit="rate",
        direction="down",
        formula_en=(
            "among VINs with an RO opened in the 24 months to as_of, the share whose "
            "latest RO opened up to as_of was opened more than 12 months before as_of"
        ),
        formula_zh=(
            "在截至 as_of 的 24 个月内有开单的 VIN 中，截至 as_of 的最近一张工单开单日期早"
            "于 as_of 12 个月以上的比例"
        ),
        help_en=(
            "A vehicle last seen 12–24 months ago is lost; one not seen for more than 24 "
            "months is outside the base. Some makers count by customer instead of VIN."
        ),
        help_zh=(
            "最近一次进厂在 12–24 个月前的车辆算流失；超过 24 个月未进厂的不在基数内。部分厂家"
            "按客户而非 VIN 统计。"
        ),
        warning=0.30,
        critical=0.40,
    ),
    # ---- Marketing (every KPI per channel or per event) ---------------------------------
    KPI(
        id="channel_walk_ins",
        section="marketing",
        label_en="Walk-ins by channel",
        label_zh="各渠道来店",
        unit="batches",
        direction="up",
        formula_en="walk-ins grouped by channel",
        formula_zh="按 channel 分组的来店批次",
        kind="table",
    ),
    KPI(
        id="cost_per_walk_in",
        section="marketing",
        label_en="Cost per showroom visit",
        label_zh="单批次来店成本",
        unit="cny",
        direction="down",
        formula_en="Σ spend of the channel's campaigns in period ÷ its walk-ins",
        formula_zh="统计期内该渠道活动的 Σ spend ÷ 该渠道的来店批次",
        help_en=(
            "Per channel; spend reaches a channel through campaigns.channel. Lists the "
            "channels with a campaign in the period."
        ),
        help_zh="按渠道计算；费用通过 campaigns.channel 归到渠道。只列出统计期内有活动的渠道。",
        kind="table",
    ),
    KPI(
        id="cost_per_order",
        section="marketing",
        label_en="Cost per order",
        label_zh="单台订单成本",
        unit="cny",
        direction="down",
        formula_en="Σ spend ÷ orders whose channel matches",
        formula_zh="Σ spend ÷ channel 相同的订单数",
        help_en="Per channel; orders are the new orders of the period (cancelled ones excluded).",
        help_zh="按渠道计算；订单为统计期内的新增订单（不含退订）。",
        kind="table",
    ),
    KPI(
        id="event_arrival_rate",
        section="marketing",
        label_en="Invited arrival rate",
        label_zh="邀约到店率",
        unit="rate",
        direction="up",
        formula_en="walk-ins with the event's id ÷ invited (empty or 0 invited: no value)",
        formula_zh="带有该活动编号的来店批次 ÷ invited（invited 为空或 0：无值）",
        help_en=(
            "Per event (outdoor or showroom event touching the period); compare with "
            "target_arrivals."
        ),
        help_zh="按活动计算（统计期涉及月份的外展或店内活动）；可与 target_arrivals 对比。",
        kind="table",
    ),
    KPI(
        id="event_a_leads",
        section="marketing",
        label_en="A-level leads from an event",
        label_zh="活动A卡数",
        unit="leads",
        direction="up",
        formula_en=(
            "distinct customers among the event's walk-in rows whose own lead_level is O, "
            "H or A; compared with target_a_leads"
        ),
        formula_zh=(
            "该活动来店记录中本行 lead_level 为 O、H 或 A 的不同客户数；与 target_a_leads 对比"
        ),
        kind="table",
    ),
    KPI(
        id="event_orders",
        section="marketing",
        label_en="Orders from an event",
        label_zh="活动成交",
        unit="units",
        direction="up",
        formula_en=(
            "distinct non-cancelled orders (any sale type) by customers who walked in with "
            "the event's id, dated within 30 days after one of those visits"
        ),
        formula_zh=(
            "带该活动编号来店的客户所下的、日期在其中某次来店后 30 天内的不同未退订订单数（"
            "任何销售类型）"
        ),
        kind="table",
    ),
    # ---- Customers ----------------------------------------------------------------------
    KPI(
        id="open_leads",
        section="customers",
        label_en="Open leads",
        label_zh="在跟潜客",
        unit="customers",
        direction=None,
        formula_en="open leads as of as_of (the report: the total; pages: by level)",
        formula_zh="截至 as_of 的在跟潜客数（报告：总数；页面：按级别）",
        help_en=(
            "A lead is open when the customer's latest known level is O, H, A, B or C and "
            "there is no non-cancelled order dated on or before as_of."
        ),
        help_zh="客户最新级别为 O、H、A、B 或 C，且 as_of 当天及之前没有未退订订单，即为在跟潜客。",
    ),
    KPI(
        id="overdue_followups",
        section="customers",
        label_en="Overdue follow-ups",
        label_zh="超期未跟进",
        unit="customers",
        direction="down",
        formula_en=(
            "open leads whose last contact is more than their level's cadence in days "
            "before as_of (a contact exactly N days ago is on time)"
        ),
        formula_zh=(
            "最近一次联系早于 as_of 超过其级别跟进周期天数的在跟潜客数（恰好 N 天前联系算及时）"
        ),
        help_en=(
            "Default cadence in days: O 7, H 2, A 7, B 14, C 30 (store settings may change it)."
        ),
        help_zh="默认跟进周期（天）：O 7、H 2、A 7、B 14、C 30（可在门店设置中修改）。",
    ),
    KPI(
        id="followup_compliance",
        section="customers",
        label_en="Follow-up on time",
        label_zh="潜客跟进及时率",
        unit="rate",
        direction="up",
        formula_en="1 − overdue_followups ÷ open_leads",
        formula_zh="1 − overdue_followups ÷ open_leads",
        warning=0.90,
        critical=0.80,
    ),
    KPI(
        id="return_visit_rate",
        section="customers",
        label_en="Return-visit rate",
        label_zh="回访率",
        unit="rate",
        direction="up",
        formula_en=(
            "deliveries and ROs closed in period followed by a return_visit followup of "
            "the same customer within 7 days after the delivery or close date (even after the "
            "period ends) ÷ deliveries and ROs closed in period"
        ),
        formula_zh=(
            "统计期内的交车和结算工单中，在交车或结算日期后 7 天内（即使已超出统计期）有同"
            "一客户 return_visit 跟进记录的数量 ÷ 统计期内的交车和结算工单数"
        ),
        help_en="Internal repair orders are excluded.",
        help_zh="不含内部工单。",
    ),
    KPI(
        id="csi",
        section="customers",
        label_en="Satisfaction index",
        label_zh="满意度",
        unit="index_100",
        direction="up",
        formula_en=(
            "mean(score) × 10 of surveys dated in period, by department: the report gives "
            "`csi_sales` and `csi_service`"
        ),
        formula_zh=(
            "统计期内问卷的 mean(score) × 10，按部门计算：报告给出 `csi_sales` 和 `csi_service`"
        ),
        help_en=(
            "Scores 0–10 are shown × 10 as an index. Manufacturers' own SSI/CSI surveys use "
            "their own scales and are not this number."
        ),
        help_zh=(
            "0–10 分的评分乘以 10 显示为指数。厂家自己的 SSI/CSI 调查口径不同，与本指标不可直"
            "接比较。"
        ),
        warning=85,
        critical=80,
        kind="table",
    ),
    KPI(
        id="csi_sales",
        section="customers",
        label_en="Sales satisfaction index",
        label_zh="销售满意度",
        unit="index_100",
        direction="up",
        formula_en="mean(score) × 10 of surveys with department sales dated in period",
        formula_zh="统计期内 department 为 sales 的问卷的 mean(score) × 10",
        help_en="The sales department's part of csi (often called SSI).",
        help_zh="csi 的销售部门部分（常称 SSI）。",
        warning=85,
        critical=80,
    ),
    KPI(
        id="csi_service",
        section="customers",
        label_en="Service satisfaction index",
        label_zh="售后满意度",
        unit="index_100",
        direction="up",
        formula_en="mean(score) × 10 of surveys with department service dated in period",
        formula_zh="统计期内 department 为 service 的问卷的 mean(score) × 10",
        help_en="The after-sales department's part of csi.",
        help_zh="csi 的售后部门部分。",
        warning=85,
        critical=80,
    ),
    KPI(
        id="nps",
        section="customers",
        label_en="Net promoter score",
        label_zh="推荐度 NPS",
        unit="nps",
        direction="up",
        formula_en=(
            "100 × (answers with recommend ≥ 9 − answers with recommend ≤ 6) ÷ answers, "
            "over surveys of both departments dated in period; an empty recommend is no answer"
        ),
        formula_zh=(
            "100 ×（recommend ≥ 9 的回答数 − recommend ≤ 6 的回答数）÷ 回答数，统计期内两个"
            "部门的问卷；recommend 为空不算回答"
        ),
        help_en=(
            "Promoters answer 9–10, detractors 0–6; passives (7–8) count only in the denominator."
        ),
        help_zh="推荐者 9–10 分，贬损者 0–6 分；中立者（7–8 分）只计入分母。",
    ),
    KPI(
        id="complaint_satisfaction",
        section="customers",
        label_en="Complaint handling satisfaction",
        label_zh="投诉处理满意率",
        unit="rate",
        direction="up",
        formula_en=(
            "complaints closed in period with satisfied true ÷ those with satisfied true or false"
        ),
        formula_zh="统计期内结案且 satisfied 为是的投诉数 ÷ 其中 satisfied 为是或否的投诉数",
        help_en="Complaints whose satisfaction was not recorded are left out.",
        help_zh="未记录满意与否的投诉不计入。",
        warning=0.90,
        critical=0.80,
    ),
    KPI(
        id="complaint_close_days",
        section="customers",
        label_en="Days to close a complaint",
        label_zh="投诉平均处理天数",
        unit="days",
        direction="down",
        formula_en="mean(closed_date − opened_date) over complaints closed in period",
        formula_zh="统计期内结案投诉的 mean(closed_date − opened_date)",
    ),
    KPI(
        id="lead_capture_rate",
        section="customers",
        module="leads",
        label_en="Lead capture rate",
        label_zh="留档率",
        unit="rate",
        direction="up",
        formula_en="first-visit walk-ins with a customer_id ÷ first-visit walk-ins",
        formula_zh="有 customer_id 的首次来店批次 ÷ 首次来店批次",
        help_en=(
            "A visitor who left without a phone number or CRM record is an anonymous walk-in "
            "and cannot be followed up."
        ),
        help_zh="未留电话或未建档的来店客人为匿名来店，无法跟进。",
        warning=0.80,
        critical=0.60,
    ),
    KPI(
        id="lost_leads",
        section="customers",
        module="leads",
        label_en="Lost leads",
        label_zh="战败客户数",
        unit="customers",
        direction="down",
        formula_en=(
            "distinct customers whose latest known level as of as_of is F, set by a row "
            "dated in period"
        ),
        formula_zh="截至 as_of 最新已知级别为 F、且该级别由统计期内的记录设定的不同客户数",
    ),
    KPI(
        id="lost_rate",
        section="customers",
        module="leads",
        label_en="Lost-lead rate",
        label_zh="战败率",
        unit="rate",
        direction="down",
        formula_en=(
            "lost_leads ÷ (lost_leads + distinct customers with a non-cancelled order "
            "dated in period)"
        ),
        formula_zh="lost_leads ÷ (lost_leads + 统计期内有未退订订单的不同客户数)",
    ),
    KPI(
        id="lost_reasons",
        section="customers",
        module="leads",
        label_en="Lost-lead reasons",
        label_zh="战败原因",
        unit="customers",
        direction=None,
        kind="table",
        formula_en=(
            "lost_leads by the lost_reason of the followup that set F (none: `unknown`); "
            "in the report an object keyed by reason"
        ),
        formula_zh=(
            "按设定 F 的跟进记录的 lost_reason 分组的 lost_leads（无原因：`unknown`）；报告"
            "中为按原因为键的对象"
        ),
    ),
    # ---- Finance ------------------------------------------------------------------------
    KPI(
        id="vehicle_gross",
        section="finance",
        label_en="New-vehicle gross",
        label_zh="整车毛利",
        unit="cny",
        direction="up",
        formula_en="Σ(sale_price − vehicle_cost + rebate) over deliveries",
        formula_zh="交车订单的 Σ(sale_price − vehicle_cost + rebate)",
        help_en="Includes the manufacturer rebate earned by each unit. " + _DELIVERED_EN,
        help_zh="含每台车获得的厂家返利。" + _DELIVERED_ZH,
    ),
    KPI(
        id="fi_gross",
        section="finance",
        label_en="F&I income",
        label_zh="金融保险收入",
        unit="cny",
        direction="up",
        formula_en="Σ fi_income over deliveries",
        formula_zh="交车订单的 Σ fi_income",
        help_en=_DELIVERED_EN,
        help_zh=_DELIVERED_ZH,
    ),
    KPI(
        id="accessories_gross",
        section="finance",
        label_en="Accessories gross",
        label_zh="精品毛利",
        unit="cny",
        direction="up",
        formula_en="Σ(accessories_revenue − accessories_cost) over deliveries",
        formula_zh="交车订单的 Σ(accessories_revenue − accessories_cost)",
        help_en=_DELIVERED_EN,
        help_zh=_DELIVERED_ZH,
    ),
    KPI(
        id="total_gross",
        section="finance",
        label_en="Store gross profit",
        label_zh="总毛利",
        unit="cny",
        direction="up",
        formula_en="vehicle_gross + fi_gross + accessories_gross + service_gross",
        formula_zh="vehicle_gross + fi_gross + accessories_gross + service_gross",
    ),
    KPI(
        id="total_expenses",
        section="finance",
        label_en="Expenses",
        label_zh="费用",
        unit="cny",
        direction="down",
        formula_en="Σ amount in period",
        formula_zh="统计期内费用 amount 之和",
        help_en="Monthly expenses count in proportion to each month's days inside the period.",
        help_zh="月度费用按各月落在统计期内的天数比例计入。",
    ),
    KPI(
        id="net_profit",
        section="finance",
        label_en="Operating profit",
        label_zh="经营利润",
        unit="cny",
        direction="up",
        formula_en="total_gross − total_expenses",
        formula_zh="total_gross − total_expenses",
    ),
    KPI(
        id="service_absorption",
        section="finance",
        label_en="Service absorption",
        label_zh="售后覆盖率",
        unit="rate",
        direction="up",
        formula_en="service_gross ÷ the period's fixed expenses of every department",
        formula_zh="service_gross ÷ 统计期内所有部门的固定费用",
        help_en=(
            "How much of the store's fixed overhead after-sales gross pays for; at 100% the "
            "store breaks even before selling a car. Variable selling expenses are left out."
        ),
        help_zh="售后毛利能覆盖多少固定费用；达到 100% 时不卖车也能保本。不含变动销售费用。",
        warning=0.60,
        critical=0.40,
    ),
    KPI(
        id="break_even_units",
        section="finance",
        label_en="Break-even units",
        label_zh="保本台次",
        unit="units",
        direction="down",
        formula_en=(
            "(total_expenses − service_gross) ÷ (vehicle_gross + fi_gross + "
            "accessories_gross) × deliveries, i.e. expenses not covered by after-sales ÷ gross "
            "per unit sold; not clamped (negative when after-sales covers everything)"
        ),
        formula_zh=(
            "(total_expenses − service_gross) ÷ (vehicle_gross + fi_gross + "
            "accessories_gross) × deliveries，即售后未覆盖的费用 ÷ 单车毛利；不截断（售后覆盖全部"
            "费用时为负）"
        ),
    ),
)

CATALOGUE: dict[str, KPI] = {k.id: k for k in _KPIS}
if len(CATALOGUE) != len(_KPIS):
    raise RuntimeError("duplicate KPI id in the catalogue")


def get(kpi_id: str) -> KPI:
    """Return the KPI with this id; raise KeyError naming an unknown id."""
    try:
        return CATALOGUE[kpi_id]
    except KeyError:
        raise KeyError(f"unknown KPI id {kpi_id!r}") from None


def section_ids(section: str) -> list[str]:
    """Return the ids of a section's KPIs in catalogue order; raise KeyError for a bad section."""
    if section not in SECTIONS:
        raise KeyError(f"unknown section {section!r}; expected one of {list(SECTIONS)}")
    return [k.id for k in _KPIS if k.section == section]


def summary_ids(module: str) -> tuple[str, ...]:
    """Return the scalar KPIs that kpi/<module>.py computes, in catalogue order.

    A module's SUMMARY_IDS (its summary()'s keys, its by_store and monthly columns) are this,
    so adding a KPI to the catalogue is what adds it to them. Raise KeyError for a module that
    computes no KPI of the catalogue.
    """
    ids = tuple(k.id for k in _KPIS if k.module == module and k.kind == "scalar")
    if not ids:
        raise KeyError(f"no scalar KPI is computed by module {module!r}")
    return ids


# ---- thresholds and status ------------------------------------------------------------------

_KEEP = object()


def _threshold_value(raw: object) -> object:
    """Read one override value: a number, None (no line), or _KEEP when it is unusable."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return _KEEP
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return _KEEP
    if isinstance(raw, int | float) and math.isfinite(raw):
        return float(raw)
    return _KEEP


def thresholds_for(
    kpi_id: str, overrides: Mapping | None = None
) -> tuple[float | None, float | None]:
    """Return (warning, critical) for a KPI, applying a store's threshold overrides.

    `overrides` is the store settings' JSON, e.g. ``{"inventory_months": {"warning": 1.8,
    "critical": 3}}``. A key that is present replaces the default (null removes the line); a
    missing key keeps it; an unusable value (text that is not a number, true/false) is ignored.
    csi_sales and csi_service read the family's ``"csi"`` entry first, then their own.
    """
    kpi = get(kpi_id)
    warning, critical = kpi.warning, kpi.critical
    if not overrides:
        return warning, critical
    keys = [_FAMILY[kpi_id], kpi_id] if kpi_id in _FAMILY else [kpi_id]
    for key in keys:
        entry = overrides.get(key)
        if not isinstance(entry, Mapping):
            continue
        if "warning" in entry and (w := _threshold_value(entry["warning"])) is not _KEEP:
            warning = w  # type: ignore[assignment]
        if "critical" in entry and (c := _threshold_value(entry["critical"])) is not _KEEP:
            critical = c  # type: ignore[assignment]
    return warning, critical


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        # pandas.NA and other "missing" markers refuse float(); they carry no value.
        return type(value).__name__ in ("NAType", "NaTType")


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def _past(value: float, line: float, direction: str) -> bool:
    """Tell whether value is strictly past the line on the bad side (equal is not past)."""
    if _same(value, line):
        return False
    return value < line if direction == "up" else value > line


# How a running period is judged (catalogue, "A period still running"; docs/DECISIONS.md).
# These thresholded KPIs are measured on as_of itself (a stock, an age, a backlog, the lead
# book, a 12-month rate): a running period shows them as they are, from its first day.
AS_OF_KPIS = frozenset({
    "inventory_months", "avg_days_in_stock", "aged_units_90", "open_ros",
    "training_compliance", "parts_months_supply", "customer_churn_rate", "followup_compliance",
    "backlog_age_days",
})  # fmt: skip
# Every other thresholded KPI, and the target's traffic light, is a rate over the days so far
# (like for like: accrued expenses, projected sales): judged once a whole week is known, so a
# handful of early visits or one slow day cannot raise an alarm.
MIN_JUDGED_DAYS = 8


def judged(kpi_id: str, days_elapsed: int | None) -> bool:
    """Return True when a KPI's value is judged against its lines in its period.

    ``days_elapsed`` is the number of days of a running period known so far (Scope.elapsed),
    None for a complete period (always judged).
    """
    return days_elapsed is None or kpi_id in AS_OF_KPIS or days_elapsed >= MIN_JUDGED_DAYS


def status(
    kpi_id: str,
    value: float | None,
    overrides: Mapping | None = None,
    days_elapsed: int | None = None,
) -> str:
    """Return the status colour of a KPI value: 'green', 'amber', 'red', 'grey' or 'neutral'.

    'grey' when the value is missing (None, NaN); 'neutral' when the KPI has no direction or no
    threshold, or when a running period is too young to judge it (``judged``). An 'up' KPI is
    amber when strictly below warning and red when strictly below critical; a 'down' KPI is
    amber strictly above warning and red strictly above critical. A value on the line (within
    1e-9 relative) is not past it.
    """
    kpi = get(kpi_id)
    if _missing(value):
        return "grey"
    if kpi.direction is None or not judged(kpi_id, days_elapsed):
        return "neutral"
    warning, critical = thresholds_for(kpi_id, overrides)
    if warning is None and critical is None:
        return "neutral"
    x = float(value)  # type: ignore[arg-type]
    if critical is not None and _past(x, critical, kpi.direction):
        return "red"
    if warning is not None and _past(x, warning, kpi.direction):
        return "amber"
    return "green"


def traffic_light(achievement: float | None, time_progress: float | None) -> str:
    """Return the target status: green, amber, red, or grey when either input is missing.

    Green if achievement ≥ time_progress; amber if achievement ≥ 0.8 × time_progress; else
    red (catalogue, Targets and pacing). Equality is tested within float noise, so 0.24 against
    0.8 × 0.3 is amber.
    """
    if _missing(achievement) or _missing(time_progress):
        return "grey"
    a, t = float(achievement), float(time_progress)  # type: ignore[arg-type]
    if a >= t or _same(a, t):
        return "green"
    floor = 0.8 * t
    if a >= floor or _same(a, floor):
        return "amber"
    return "red"


# ---- cadence --------------------------------------------------------------------------------


def cadence_for(overrides: Mapping | None = None) -> dict[str, int]:
    """Return the follow-up cadence in days by lead level, with a store's overrides applied.

    `overrides` is the store settings' cadence JSON, e.g. ``{"H": 3, "c": 21}``: level letters
    in either case, whole non-negative days. Unknown levels and unusable values are ignored, so
    a bad setting falls back to the default rather than breaking a page.
    """
    cadence = dict(DEFAULT_CADENCE)
    for level, days in (overrides or {}).items():
        key = str(level).strip().upper()
        if key not in cadence or isinstance(days, bool):
            continue
        if isinstance(days, float) and days.is_integer():
            days = int(days)
        if isinstance(days, int) and days >= 0:
            cadence[key] = days
    return cadence


# ---- display --------------------------------------------------------------------------------

_STATUS_WORDS = {
    "green": ("green", "绿"),
    "amber": ("amber", "黄"),
    "red": ("red", "红"),
}
_COUNT_UNITS = {"count", "batches", "calls", "units", "customers", "leads", "ros"}
_MONEY_UNITS = {"cny", "cny_per_unit", "cny_per_ro", "cny_per_hour"}
_WORD_UNITS = {"days": 1, "months": 1, "turns_per_year": 1}
_DECIMALS = {"ratio": 2, "index_100": 1, "nps": 1, "batches_per_day": 1, "units_per_month": 1}
NO_VALUE = "—"


def _fixed(x: Decimal, decimals: int) -> str:
    """Round half up (as people do) and group thousands; never show '-0.0'."""
    q = x.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q == 0:
        q = q.copy_abs()
    return f"{q:,.{decimals}f}"


def format_unit(unit: str, value: object, lang: str = "en") -> str:
    """Return a value of `unit` as display text; see `format_value`."""
    if unit not in UNITS:
        raise KeyError(f"unknown unit {unit!r}")
    if _missing(value):
        return NO_VALUE
    zh = _is_zh(lang)
    if unit == "status":
        words = _STATUS_WORDS.get(str(value))
        if words is None:
            return NO_VALUE if str(value) == "grey" else str(value)
        return words[1] if zh else words[0]
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return NO_VALUE
    if math.isinf(x):
        return NO_VALUE
    # repr() gives the shortest decimal that round-trips, so 0.1235 rounds like people expect.
    d = Decimal(repr(x))
    if unit == "rate":
        return _fixed(d * 100, 1) + "%"
    if unit in _MONEY_UNITS:
        cents = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        body = _fixed(abs(cents), 0 if abs(cents) >= 1000 else 2)
        sign = "-" if cents < 0 else ""
        return f"{sign}¥{body}"
    if unit in _COUNT_UNITS:
        whole = abs(x - round(x)) < 1e-9
        return _fixed(Decimal(round(x)) if whole else d, 0 if whole else 1)
    if unit in _WORD_UNITS:
        word = UNITS[unit][1] if zh else " " + UNITS[unit][0]
        return _fixed(d, _WORD_UNITS[unit]) + word
    return _fixed(d, _DECIMALS.get(unit, 1))


def format_value(kpi_id: str, value: object, lang: str = "en") -> str:
    """Return a KPI value as display text; pages use it, computations never do.

    Rates '12.3%'; money '¥12,345' (no decimals from ¥1,000 up, else 2: '¥999.50'; negative
    '-¥1,200'); counts with thousands separators, as integers when whole ('1,234') and with one
    decimal otherwise ('7.5' consultants' average); days, months and turns one decimal with the
    unit word ('45.2 days' / '45.2天'); ratios two decimals; indices one decimal; the traffic
    light's colour as a word. None, NaN and pandas' NA give '—'. Halves round up.
    """
    return format_unit(get(kpi_id).unit, value, lang)


# ---- docs -----------------------------------------------------------------------------------


class _DocText(TypedDict):
    """The fixed text of docs/KPIS*.md in one language."""

    title: str
    generated: str
    intro: str
    header: str
    kind: dict[str, str]
    cadence_title: str
    cadence_intro: str
    cadence_header: str


_DOC_TEXT: dict[str, _DocText] = {
    "en": {
        "title": "# KPI catalogue",
        "generated": (
            "<!-- Generated from kpi/catalogue.py by scripts/write_kpi_docs.py; do not edit. -->"
        ),
        "intro": (
            "Every KPI the dashboard, the command-line report and the Excel report show, with "
            "its stable id, unit, direction (↑ higher is better, ↓ lower is better), formula "
            "and default thresholds. Rates are fractions in code and settings (0.35 = 35%). "
            "A ↑ KPI is amber when strictly below its warning value and red when strictly "
            "below its critical value; a ↓ KPI when strictly above them; a value exactly on a "
            "line is not past it. A KPI with no value is grey. Store settings may override the "
            'thresholds, e.g. `{"inventory_months": {"warning": 1.8, "critical": 3}}`.'
        ),
        "header": "| id | label | unit | dir | formula | warning | critical | shape | notes |",
        "kind": {"scalar": "number", "table": "table"},
        "cadence_title": "## Follow-up cadence",
        "cadence_intro": "Days between contacts by lead level (store settings may change it).",
        "cadence_header": "| level | days |",
    },
    "zh": {
        "title": "# 指标目录",
        "generated": (
            "<!-- 由 scripts/write_kpi_docs.py 根据 kpi/catalogue.py 生成；请勿手工修改。 -->"
        ),
        "intro": (
            "看板、命令行报告和 Excel 报告中的全部指标：固定编号、单位、方向（↑ 越高越好，"
            "↓ 越低越好）、公式和默认阈值。比率在代码和设置中均为小数（0.35 = 35%）。"
            "↑ 指标严格低于预警值为黄、严格低于告警值为红；↓ 指标严格高于预警值为黄、"
            "严格高于告警值为红；恰好等于阈值不算超过。无值的指标为灰。门店设置可覆盖阈值，"
            '例如 `{"inventory_months": {"warning": 1.8, "critical": 3}}`。'
        ),
        "header": "| 编号 | 名称 | 单位 | 方向 | 公式 | 预警 | 告警 | 形式 | 说明 |",
        "kind": {"scalar": "单值", "table": "表"},
        "cadence_title": "## 跟进周期",
        "cadence_intro": "按潜客级别的跟进间隔天数（可在门店设置中修改）。",
        "cadence_header": "| 级别 | 天数 |",
    },
}
_ARROWS = {"up": "↑", "down": "↓", None: "—"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else ""


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def markdown_table(lang: str = "en") -> str:
    """Return the catalogue as a Markdown document in `lang` (the text of docs/KPIS*.md)."""
    zh = _is_zh(lang)
    text = _DOC_TEXT["zh" if zh else "en"]
    lines = [text["title"], "", text["generated"], "", text["intro"]]
    for section, (title_en, title_zh) in SECTIONS.items():
        heading = f"{title_zh} ({title_en})" if zh else f"{title_en} ({title_zh})"
        lines += ["", f"## {heading}", "", text["header"], "|---" * 9 + "|"]
        for kpi in (CATALOGUE[i] for i in section_ids(section)):
            cells = [
                f"`{kpi.id}`",
                kpi.label(lang),
                UNITS[kpi.unit][1 if zh else 0],
                _ARROWS[kpi.direction],
                kpi.formula(lang),
                _number(kpi.warning),
                _number(kpi.critical),
                text["kind"][kpi.kind],
                kpi.help(lang),
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", text["cadence_title"], "", text["cadence_intro"], ""]
    lines += [text["cadence_header"], "|---|---|"]
    lines += [f"| {level} | {days} |" for level, days in DEFAULT_CADENCE.items()]
    return "\n".join(lines) + "\n"
