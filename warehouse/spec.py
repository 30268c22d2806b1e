"""The tables of DATA-CONTRACT.md as data: columns, kinds, keys and header aliases.

Everything that knows about the shape of a DMS export reads it from here: the DuckDB
schema, the importer's header matching and cell parsing, the demo generator and the docs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. "text" may be empty (NULL) unless it is part of the key; every other kind
# must have a value in every row unless the column is optional.
TEXT, DATE, MONTH, ENUM, BOOL, NUMBER, INT, MONEY, RATE, SCORE = (
    "text",
    "date",
    "month",
    "enum",
    "bool",
    "number",
    "int",
    "money",
    "rate",
    "score",
)

SQL_TYPES = {
    TEXT: "VARCHAR",
    DATE: "DATE",
    MONTH: "VARCHAR",  # 'YYYY-MM'
    ENUM: "VARCHAR",
    BOOL: "BOOLEAN",
    NUMBER: "DOUBLE",
    INT: "BIGINT",
    MONEY: "DOUBLE",
    RATE: "DOUBLE",
    SCORE: "DOUBLE",
}


@dataclass(frozen=True)
class Column:
    """One canonical column of a contract table."""

    name: str
    kind: str
    optional: bool = False
    default: str | float | None = None  # the value of an optional column left out
    choices: dict[str, str] | None = None  # accepted word (lower case) -> canonical value
    aliases: tuple[str, ...] = ()
    signed: bool = False  # money or number that may be negative
    allow_empty: bool = False  # an enum/text key column whose empty cell is meaningful

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    @property
    def needs_value(self) -> bool:
        """Return True when an empty cell in a present column is a rejection."""
        if self.optional or self.allow_empty:
            return False
        return self.kind != TEXT


@dataclass(frozen=True)
class Table:
    """One contract table: its columns (without ``store``), key and extra stored columns."""

    name: str
    title_zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    live: bool = False  # takes live entries from the app (provisional rows)
    extra_sql: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _enum(*pairs: tuple[str, tuple[str, ...]]) -> dict[str, str]:
    """Build an enum's accepted words: each canonical value plus its Chinese words."""
    words: dict[str, str] = {}
    for canonical, others in pairs:
        words[canonical.lower()] = canonical
        for w in others:
            words[w.lower()] = canonical
    return words


LEAD_LEVELS = _enum(*((lvl, ()) for lvl in "OHABCF"))
BUYER_TYPES = _enum(
    ("private", ("个人", "私人", "personal")), ("corporate", ("公司", "企业", "单位"))
)
LOST_REASONS = _enum(
    ("price", ("价格",)),
    ("competitor", ("竞品",)),
    ("financing", ("贷款",)),
    ("no_stock", ("无车",)),
    ("postponed", ("暂缓",)),
    ("other", ("其他",)),
)
DEPARTMENTS_CX = _enum(("sales", ("销售",)), ("service", ("售后", "服务", "维修")))

STORE = Column(
    "store",
    TEXT,
    optional=True,
    aliases=("门店", "门店编号", "门店代码", "经销商", "Store", "Dealer"),
)

TABLES: dict[str, Table] = {}


def _table(name, title_zh, key, *columns, live=False):
    TABLES[name] = Table(name, title_zh, tuple(columns), tuple(key), live=live)


_table(
    "traffic",
    "来店/来电登记",
    ("visit_id",),
    Column("visit_id", TEXT, aliases=("来访编号", "登记编号", "Visit ID")),
    Column("visit_date", DATE, aliases=("来店日期", "来访日期", "日期", "Visit Date")),
    Column(
        "kind",
        ENUM,
        choices=_enum(
            ("walk_in", ("来店", "到店", "walk-in", "walkin")), ("phone", ("来电", "电话", "call"))
        ),
        aliases=("来访类型", "类型"),
    ),
    Column("first_visit", BOOL, aliases=("是否首次", "首次/再次", "首次再次")),
    Column("channel", TEXT, aliases=("信息来源", "客户来源", "来源渠道", "Source")),
    Column("event_id", TEXT, optional=True, aliases=("活动编号",)),
    Column("consultant", TEXT, aliases=("销售顾问", "顾问", "Salesperson", "Sales Consultant")),
    Column("customer_id", TEXT, aliases=("客户编号", "客户ID", "手机号")),
    Column(
        "lead_level", ENUM, choices=LEAD_LEVELS, allow_empty=True, aliases=("意向级别", "客户级别")
    ),
    Column("model_interest", TEXT, aliases=("意向车型",)),
    Column("test_drive", BOOL, aliases=("是否试驾", "试驾", "Test Drive")),
    Column(
        "buyer_type",
        ENUM,
        optional=True,
        default="private",
        choices=BUYER_TYPES,
        aliases=("购买类型", "客户性质"),
    ),
    live=True,
)

_table(
    "orders",
    "订单/交车",
    ("order_id",),
    Column("order_id", TEXT, aliases=("订单号", "订单编号")),
    Column("order_date", DATE, aliases=("订单日期", "签约日期")),
    Column("delivery_date", DATE, optional=True, aliases=("交车日期",)),
    Column(
        "status",
        ENUM,
        choices=_enum(
            ("open", ("未交车", "待交车")),
            ("delivered", ("已交车",)),
            ("cancelled", ("已退订", "退订", "canceled")),
        ),
        aliases=("订单状态",),
    ),
    Column("customer_id", TEXT, aliases=("客户编号", "手机号")),
    Column("consultant", TEXT, aliases=("销售顾问", "Salesperson")),
    Column("model", TEXT, aliases=("车型", "车系")),
    Column("vin", TEXT, optional=True, aliases=("VIN", "VIN码", "车架号")),
    Column(
        "sale_type",
        ENUM,
        choices=_enum(
            ("retail", ("零售",)), ("fleet", ("大客户", "集团采购")), ("sub_dealer", ("二网",))
        ),
        aliases=("销售类型",),
    ),
    Column("buyer_type", ENUM, choices=BUYER_TYPES, aliases=("购买类型", "客户性质")),
    Column("channel", TEXT, aliases=("信息来源", "客户来源")),
    Column("sale_price", MONEY, aliases=("成交价", "裸车价")),
    Column("vehicle_cost", MONEY, aliases=("车辆成本", "采购成本")),
    Column("rebate", MONEY, aliases=("返利",)),
    Column("finance", BOOL, aliases=("是否贷款", "金融")),
    Column("insurance", BOOL, aliases=("是否保险", "保险")),
    Column("fi_income", MONEY, aliases=("金融保险收入",)),
    Column("trade_in", BOOL, aliases=("是否置换", "置换")),
    Column("accessories_revenue", MONEY, aliases=("精品收入",)),
    Column("accessories_cost", MONEY, aliases=("精品成本",)),
    live=True,
)

_table(
    "vehicles",
    "整车库存/在途",
    ("vin",),
    Column("vin", TEXT, aliases=("VIN", "VIN码", "车架号", "Serial#")),
    Column("model", TEXT, aliases=("车型", "车系")),
    Column("ordered_date", DATE, optional=True, aliases=("订车日期",)),
    Column("eta", DATE, optional=True, aliases=("预计到店日期",)),
    Column("arrival_date", DATE, optional=True, aliases=("入库日期",)),
    Column("sold_date", DATE, optional=True, aliases=("销售日期", "出库日期")),
    Column("cost", MONEY, aliases=("采购价", "进价", "车辆成本")),
    Column("floorplan_rate", RATE, optional=True, aliases=("融资利率",)),
    Column("wholesale_date", DATE, optional=True, aliases=("批发日期", "开票日期", "提车日期")),
)

_table(
    "repair_orders",
    "维修工单",
    ("ro_id",),
    Column("ro_id", TEXT, aliases=("工单号", "RO No", "RO Number")),
    Column("open_date", DATE, aliases=("进厂日期", "开单日期")),
    Column("close_date", DATE, optional=True, aliases=("结算日期",)),
    Column("vin", TEXT, aliases=("VIN", "车架号")),
    Column("customer_id", TEXT, aliases=("客户编号",)),
    Column(
        "ro_type",
        ENUM,
        choices=_enum(
            ("maintenance", ("保养",)),
            ("repair", ("机修", "一般维修")),
            ("warranty", ("索赔",)),
            ("accident", ("事故", "钣喷")),
            ("internal", ("内部",)),
        ),
        aliases=("工单类型", "维修类型"),
    ),
    Column("advisor", TEXT, aliases=("服务顾问",)),
    Column("technician", TEXT, aliases=("维修技师", "主修技师")),
    Column("labor_hours", NUMBER, aliases=("工时", "工时数")),
    Column("labor_revenue", MONEY, aliases=("工时费", "工时收入")),
    Column("labor_cost", MONEY, optional=True, default=0.0, aliases=("人工成本",)),
    Column("parts_revenue", MONEY, aliases=("配件收入", "材料费")),
    Column("parts_cost", MONEY, aliases=("配件成本", "材料成本")),
    Column("comeback", BOOL, optional=True, aliases=("是否返修",)),
)

_table(
    "technicians",
    "技师",
    ("month", "technician"),
    Column("month", MONTH, aliases=("月份",)),
    Column("technician", TEXT, aliases=("技师", "维修技师", "姓名")),
    Column("available_hours", NUMBER, aliases=("出勤工时", "可用工时")),
    Column("clocked_hours", NUMBER, aliases=("打卡工时", "实际工时")),
    Column("training_required", INT, aliases=("应培训", "应认证数")),
    Column("training_passed", INT, aliases=("已通过", "通过认证数")),
)

_table(
    "parts_stock",
    "配件库存",
    ("month", "part_no"),
    Column("month", MONTH, aliases=("月份",)),
    Column("part_no", TEXT, aliases=("配件编号", "零件号", "Part No")),
    Column("qty", NUMBER, aliases=("数量", "库存数量")),
    Column("unit_cost", MONEY, aliases=("单位成本", "成本单价")),
    Column("last_movement_date", DATE, optional=True, aliases=("最后异动日期", "最近出入库日期")),
)

_table(
    "campaigns",
    "市场活动",
    ("campaign_id",),
    Column("campaign_id", TEXT, aliases=("活动编号",)),
    Column("month", MONTH, aliases=("月份",)),
    Column(
        "kind",
        ENUM,
        choices=_enum(
            ("advertising", ("广告",)),
            ("outdoor_event", ("外展", "外拓", "外展活动")),
            ("showroom_event", ("展厅活动", "店头活动")),
            ("online", ("线上", "网络")),
        ),
        aliases=("活动类型", "类型"),
    ),
    Column("channel", TEXT, aliases=("渠道", "信息来源")),
    Column("name", TEXT, aliases=("活动名称", "名称")),
    Column("start_date", DATE, optional=True, aliases=("开始日期",)),
    Column("end_date", DATE, optional=True, aliases=("结束日期",)),
    Column("spend", MONEY, aliases=("费用", "投入", "花费")),
    Column("invited", INT, optional=True, aliases=("邀约人数", "邀约")),
    Column("target_arrivals", INT, optional=True, aliases=("到店目标",)),
    Column("target_a_leads", INT, optional=True, aliases=("A卡目标",)),
)

_table(
    "targets",
    "目标",
    ("month", "consultant", "metric"),
    Column("month", MONTH, aliases=("月份",)),
    Column("consultant", TEXT, aliases=("销售顾问", "顾问")),
    Column("metric", TEXT, aliases=("指标",)),
    Column("target", NUMBER, aliases=("目标", "目标值")),
)

_table(
    "expenses",
    "费用",
    ("month", "department", "category"),
    Column("month", MONTH, aliases=("月份",)),
    Column(
        "department",
        ENUM,
        choices=_enum(
            ("sales", ("销售",)),
            ("service", ("售后", "维修")),
            ("parts", ("配件",)),
            ("admin", ("行政", "管理")),
        ),
        aliases=("部门",),
    ),
    Column("category", TEXT, aliases=("费用类别", "科目")),
    Column("amount", MONEY, aliases=("金额",)),
    Column("fixed", BOOL, aliases=("是否固定", "固定费用")),
)

_table(
    "surveys",
    "满意度回访",
    ("survey_id",),
    Column("survey_id", TEXT, aliases=("问卷编号", "回访编号")),
    Column("survey_date", DATE, aliases=("回访日期", "调查日期")),
    Column("department", ENUM, choices=DEPARTMENTS_CX, aliases=("部门",)),
    Column("customer_id", TEXT, aliases=("客户编号", "手机号")),
    Column("score", SCORE, aliases=("满意度", "得分", "评分")),
    Column("recommend", SCORE, optional=True, aliases=("推荐度", "推荐意愿")),
)

_table(
    "complaints",
    "投诉",
    ("complaint_id",),
    Column("complaint_id", TEXT, aliases=("投诉编号",)),
    Column("opened_date", DATE, aliases=("投诉日期", "受理日期")),
    Column("closed_date", DATE, optional=True, aliases=("结案日期", "关闭日期")),
    Column("department", ENUM, choices=DEPARTMENTS_CX, aliases=("部门",)),
    Column("category", TEXT, aliases=("投诉类别", "类别")),
    Column("major", BOOL, aliases=("重大投诉", "是否重大")),
    Column("satisfied", BOOL, optional=True, aliases=("是否满意", "处理满意")),
)

_table(
    "followups",
    "跟进/回访记录",
    ("followup_id",),
    Column("followup_id", TEXT, aliases=("跟进编号", "记录编号")),
    Column("followup_date", DATE, aliases=("跟进日期", "回访日期")),
    Column("customer_id", TEXT, aliases=("客户编号", "手机号")),
    Column("consultant", TEXT, aliases=("销售顾问", "顾问")),
    Column(
        "kind",
        ENUM,
        choices=_enum(("lead_followup", ("潜客跟进", "跟进")), ("return_visit", ("回访",))),
        aliases=("跟进类型", "类型"),
    ),
    Column(
        "lead_level", ENUM, optional=True, choices=LEAD_LEVELS, aliases=("意向级别", "客户级别")
    ),
    Column("lost_reason", ENUM, optional=True, choices=LOST_REASONS, aliases=("战败原因",)),
    Column("lost_to", TEXT, optional=True, aliases=("战败车型", "战败品牌")),
)

_table(
    "rebate_programs",
    "厂家商务政策",
    ("program_id", "tier"),
    Column("program_id", TEXT, aliases=("政策编号",)),
    Column("name", TEXT, optional=True, aliases=("政策名称",)),
    Column("start_date", DATE, aliases=("开始日期",)),
    Column("end_date", DATE, aliases=("结束日期",)),
    Column(
        "basis",
        ENUM,
        choices=_enum(("retail", ("零售",)), ("wholesale", ("批发",))),
        aliases=("考核口径",),
    ),
    Column("target_units", NUMBER, aliases=("目标台数",)),
    Column("tier", NUMBER, aliases=("档位",)),
    Column("min_achievement", RATE, aliases=("达成率门槛",)),
    Column("per_unit", MONEY, optional=True, default=0.0, aliases=("单台返利",)),
    Column("pct_of_cost", RATE, optional=True, default=0.0, aliases=("返利比例",)),
)

# Key columns of text kind must carry a value, except targets.consultant (empty = whole store).
KEY_MAY_BE_EMPTY = {("targets", "consultant")}

ORDER_OF_IMPORT = (
    "campaigns",
    "targets",
    "expenses",
    "technicians",
    "parts_stock",
    "vehicles",
    "traffic",
    "orders",
    "repair_orders",
    "followups",
    "surveys",
    "complaints",
    "rebate_programs",
)


# The date column that places a row of each table in a month (data status, the upload's dry
# run and its months of change).
DATE_COLUMNS: dict[str, str] = {
    "traffic": "visit_date",
    "orders": "order_date",
    "vehicles": "arrival_date",
    "repair_orders": "open_date",
    "technicians": "month",
    "parts_stock": "month",
    "campaigns": "month",
    "targets": "month",
    "expenses": "month",
    "surveys": "survey_date",
    "complaints": "opened_date",
    "followups": "followup_date",
    "rebate_programs": "start_date",
}
