"""Translate every string the app shows: UI text, enum values, KPI labels (from the catalogue).

Each UI string has a key and an (English, Chinese) pair. ``t(key)`` raises on an unknown key
(a programming error a test finds at once); ``enum_label`` falls back to the raw value for a
value nobody translated and records it, so the translation test can fail on it.
"""

from __future__ import annotations

import os

LANGS = ("zh", "en")
LANG_NAMES = {"en": "English", "zh": "中文"}
DEFAULT_LANG = os.environ.get("KPI_LANG", "zh") if os.environ.get("KPI_LANG") in LANGS else "zh"

# Everything shown that is not data, keyed by where it appears.
STRINGS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app.title": ("4S Store KPIs", "4S店经营看板"),
    "nav.management": ("Management", "经营管理"),
    "nav.data": ("Data", "数据"),
    "page.overview": ("Overview", "经营总览"),
    "page.sales": ("Sales", "销售"),
    "page.inventory": ("Inventory", "整车库存"),
    "page.service": ("After-sales", "售后"),
    "page.workshop": ("Workshop & parts", "车间与配件"),
    "page.order_planning": ("Order planning", "订货计划"),
    "page.data": ("Data status", "数据状态"),
    # sidebar
    "sidebar.language": ("Language / 语言", "Language / 语言"),
    "sidebar.store": ("Store", "门店"),
    "sidebar.all_stores": ("All stores (pooled)", "全部门店（合计）"),
    "sidebar.period": ("Period", "统计期间"),
    "sidebar.period_month": ("Month", "按月"),
    "sidebar.period_range": ("Custom range", "自定义"),
    "sidebar.month": ("Month", "月份"),
    "sidebar.range": ("From – to", "起止日期"),
    "sidebar.range_incomplete": ("Pick an end date.", "请选择结束日期。"),
    "sidebar.as_of": ("Figures as of {date}", "数据截至 {date}"),
    "sidebar.data_version": ("Data version {version}", "数据版本 {version}"),
    # common
    "common.no_value": ("No value", "无数据"),
    "common.none_listed": ("Nothing to list.", "暂无记录。"),
    "common.tints_limited": (
        "Status colours are shown for tables of up to {n} rows.",
        "表格超过 {n} 行时不显示状态颜色。",
    ),
    "common.download_csv": ("Download CSV", "下载 CSV"),
    "common.vs_prev": ("vs previous period", "环比"),
    "common.vs_prev_short": ("vs prev.", "环比"),
    "common.vs_ly": ("vs last year", "同比"),
    "common.target": ("Target", "目标"),
    "common.achievement": ("Achievement", "达成"),
    "common.month": ("Month", "月份"),
    "common.date": ("Date", "日期"),
    "common.value": ("Value", "数值"),
    "common.units": ("Units", "台数"),
    "common.share": ("Share", "占比"),
    "common.formula": ("Formula", "计算公式"),
    "common.db_busy": (
        "The database is busy (an import is running). The page will show the new numbers in a "
        "moment: reload it.",
        "数据库正忙（正在导入数据），请稍后刷新页面查看最新数据。",
    ),
    "common.no_data_period": ("No data for this period.", "本期间没有数据。"),
    # status (catalogue thresholds and the target traffic light)
    "status.green": ("On track", "正常"),
    "status.amber": ("Watch", "关注"),
    "status.red": ("Critical", "预警"),
    "status.grey": ("No value", "无数据"),
    "status.neutral": ("—", "—"),
    # first run
    "first_run.title": ("Welcome: no data yet", "欢迎使用：尚无数据"),
    "first_run.missing": (
        "The database file {path} does not exist yet.",
        "数据库文件 {path} 尚不存在。",
    ),
    "first_run.empty": (
        "The database {path} has no data yet.",
        "数据库 {path} 中还没有数据。",
    ),
    "first_run.demo": (
        "To look around with a demo store, run this in the project folder:",
        "如需先用演示门店体验，请在项目目录中运行：",
    ),
    "first_run.import": (
        "To load your own DMS exports (CSV or Excel, one file per table):",
        "如需导入本店 DMS 导出文件（CSV 或 Excel，每张表一个文件）：",
    ),
    "first_run.upload": (
        "Sign in as a manager and open **Upload** (数据导入) in the menu: drop your DMS exports "
        "(CSV or Excel, one file per table), check them and import them.",
        "请以店长（管理员）身份登录，在菜单中打开 **数据导入**：拖入 DMS 导出文件"
        "（CSV 或 Excel，每张表一个文件），检查后导入。",
    ),
    "first_run.open_upload": ("Open Upload", "打开数据导入"),
    "first_run.it": ("For IT: the command line and the server", "IT 人员：命令行与服务器"),
    "first_run.after": (
        "Then reload this page. The Data status page shows what has been loaded.",
        "导入后刷新本页面。“数据状态”页显示已导入的数据。",
    ),
    # overview
    "overview.title": ("Overview", "经营总览"),
    "overview.caption": (
        "{store} · {period}. Arrow: change against the previous period. Colour: the "
        "catalogue's thresholds.",
        "{store} · {period}。箭头：与上期相比；颜色：按指标预警线。",
    ),
    "overview.attention": ("Needs attention", "需要关注"),
    "overview.all_clear": ("Nothing past its warning line.", "没有超出预警线的指标。"),
    "overview.attention_item": ("{label}: {value}", "{label}：{value}"),
    "overview.target_item": (
        "{label}: {achieved} of target with {elapsed} of the month gone",
        "{label}：目标达成 {achieved}，时间进度 {elapsed}",
    ),
    "outlook.title": ("Deliveries outlook for {month}", "{month} 交车展望"),
    "outlook.range": ("Likely range (80 %)", "预测区间（80%）"),
    "outlook.range_help": (
        "In past months, the actual deliveries fell inside a range like this 8 times in 10.",
        "过去各月中，实际交车台次约有十分之八落在这样的区间内。",
    ),
    "outlook.target": ("Month target", "月度目标"),
    "outlook.pace": ("Straight line (pace)", "直线外推"),
    "outlook.chance": (
        "Chance of reaching the target of {target}: {chance} (from the store's own past months).",
        "达成 {target} 台目标的概率：{chance}（按本店过去各月推算）。",
    ),
    "outlook.no_target": ("No deliveries target set for this month.", "本月未设交车目标。"),
    "card.ly": ("LY {delta}", "同比 {delta}"),
    "card.ly_span": ("LY {delta} (vs {period})", "同比 {delta}（对比 {period}）"),
    "card.vs_span": ("vs {period}", "环比 {period}"),
    "period.running": ("running", "进行中"),
    "card.target": ("Target {value}", "目标达成 {value}"),
    "card.no_ly": ("LY —", "同比 —"),
    "dept.sales": ("Sales", "销售"),
    "dept.targets": ("Targets", "目标"),
    "dept.inventory": ("Inventory", "整车库存"),
    "dept.service": ("After-sales", "售后"),
    "dept.workshop": ("Workshop & parts", "车间与配件"),
    "dept.customers": ("Customers & finance", "客户与财务"),
    # sales
    "sales.title": ("Sales", "销售"),
    "sales.funnel": ("Funnel", "销售漏斗"),
    "sales.funnel_stage.walk_ins": ("Walk-ins", "来店"),
    "sales.funnel_stage.test_drives": ("Test drives", "试驾"),
    "sales.funnel_stage.orders": ("Orders", "订单"),
    "sales.funnel_stage.deliveries": ("Deliveries", "交车"),
    "sales.daily": ("Daily traffic", "每日客流"),
    "sales.walk_ins": ("Walk-ins", "来店批次"),
    "sales.calls": ("Calls", "来电批次"),
    "sales.by_consultant": ("By consultant", "按销售顾问"),
    "sales.by_model": ("By model", "按车型"),
    "sales.by_channel": ("By channel", "按渠道"),
    "sales.mix": ("Deal mix", "成交结构"),
    "sales.gross": ("Gross per unit", "单车毛利"),
    "sales.penetration": ("Finance, insurance and trade-in", "金融、保险与置换"),
    "sales.closing": ("Closing rate: batch vs cohort", "成交率：批次口径与客户口径"),
    "sales.closing_explained": (
        "The showroom closing rate counts this period's retail orders against this period's "
        "first-visit batches, so an order signed this month for a customer who first came last "
        "month counts. The by-customer rate follows each first-time visitor of the period for "
        "30 days and asks whether that person ordered, so it counts each person once and "
        "includes late orders. Difference: {diff}.",
        "展厅成交率 = 本期零售订单 ÷ 本期首次来店批次，上月来店、本月签单的客户也计入。"
        "首访客户成交率跟踪本期每位首次来店客户 30 天内是否下单，每人只计一次，也包含期后签单。"
        "两者相差：{diff}。",
    ),
    "sales.consultant": ("Consultant", "销售顾问"),
    "sales.model": ("Model", "车型"),
    "sales.channel": ("Channel", "渠道"),
    "sales.trend": ("Deliveries and orders by month", "月度订单与交车"),
    # inventory
    "inventory.title": ("Vehicle inventory", "整车库存"),
    "inventory.by_model": ("Stock by model", "分车型库存"),
    "inventory.stock": ("In stock", "在库"),
    "inventory.in_transit": ("In transit", "在途"),
    "inventory.aging": ("Stock age", "库龄分布"),
    "inventory.aged_units": ("Units older than 90 days", "库龄超过 90 天的车辆"),
    "inventory.age_bucket": ("Age (days)", "库龄（天）"),
    "inventory.vin": ("VIN", "车架号"),
    "inventory.arrival": ("Arrived", "入库日期"),
    "inventory.age_days": ("Age (days)", "库龄（天）"),
    "inventory.cost": ("Cost", "成本"),
    "inventory.trend": ("Stock by month", "月度库存"),
    "inventory.eta": ("ETA", "预计到店"),
    "inventory.ordered": ("Ordered", "订车日期"),
    # service
    "service.title": ("After-sales", "售后"),
    "service.trend": ("Output and gross by month", "月度产值与毛利"),
    "service.margin_trend": ("Gross margin by month", "月度毛利率"),
    "service.vehicles_trend": ("Vehicles in by month", "月度进厂台次"),
    "service.mix": ("Mix by RO type", "工单类型结构"),
    "service.ro_type": ("RO type", "工单类型"),
    "service.open_ros": ("Open repair orders", "在修工单"),
    "service.by_advisor": ("By service advisor", "按服务顾问"),
    "service.advisor": ("Advisor", "服务顾问"),
    "service.ro_id": ("RO", "工单号"),
    "service.opened": ("Opened", "进厂日期"),
    "service.days_open": ("Days open", "在修天数"),
    # workshop
    "workshop.title": ("Workshop and parts", "车间与配件"),
    "workshop.by_technician": ("By technician", "按技师"),
    "workshop.technician": ("Technician", "技师"),
    "workshop.monthly": ("Technician KPIs by month", "技师指标月度趋势"),
    "workshop.obsolete": ("Obsolete parts", "呆滞配件"),
    "workshop.part_no": ("Part no.", "配件编号"),
    "workshop.qty": ("Qty", "数量"),
    "workshop.last_movement": ("Last movement", "最后异动"),
    "workshop.value": ("Value", "金额"),
    "workshop.unit_cost": ("Unit cost", "单位成本"),
    "workshop.days_idle": ("Days without movement", "未动天数"),
    "workshop.available_hours": ("Available hours", "出勤工时"),
    "workshop.clocked_hours": ("Clocked hours", "打卡工时"),
    "workshop.hours_sold": ("Hours sold", "售出工时"),
    "workshop.labor_revenue": ("Labour revenue", "工时收入"),
    "workshop.metric": ("Measure", "指标"),
    # order planning
    "orders.title": ("Order planning", "订货计划"),
    "orders.caption": (
        "Per model: the average of the last 3 complete months' sales, stock and in-transit "
        "units arriving by the end of next month, and the order that brings stock to the target "
        "months of supply.",
        "按车型：近三个完整月月均销量、在库及下月底前到店的在途车辆，以及使库存达到目标库存深度所需的建议订货量。",
    ),
    "orders.target_months": ("Target months of supply", "目标库存深度（月）"),
    "orders.projected": ("Projected stock end of next month", "下月底预计库存"),
    "orders.suggested": ("Suggested order", "建议订货量"),
    "orders.total": ("Total suggested order: {units} units", "建议订货合计：{units} 台"),
    "orders.download": ("Download order proposal (CSV)", "下载订货建议 （CSV）"),
    "orders.in_transit_list": ("In transit, with ETA", "在途车辆及预计到店日期"),
    "orders.in_transit_by_horizon": ("Arriving by end of next month", "下月底前到店"),
    "orders.as_of": ("As of", "截至日期"),
    # data status
    "data.title": ("Data status", "数据状态"),
    "data.caption": (
        "Which table is loaded for which store and month. An empty cell is a month with no rows.",
        "各门店、各月份已导入的数据表；空白表示该月没有记录。",
    ),
    "data.db": ("Database: {path}", "数据库：{path}"),
    "data.coverage": ("Rows per month", "每月行数"),
    "data.tables": ("Tables", "数据表"),
    "data.table": ("Table", "数据表"),
    "data.rows": ("Rows", "行数"),
    "data.newest": ("Newest record", "最新记录日期"),
    "data.store": ("Store", "门店"),
    "data.imports": ("Recent imports", "最近导入"),
    "data.imported_at": ("Imported at", "导入时间"),
    "data.file": ("File", "文件"),
    "data.user": ("User", "用户"),
    "data.inserted": ("Inserted", "新增"),
    "data.updated": ("Updated", "更新"),
    "data.rejected": ("Rejected", "拒绝"),
    "data.missing_months": (
        "{table}: no rows in {months}",
        "{table}：{months} 没有数据",
    ),
    "data.all_present": (
        "Every table has rows in every month shown.",
        "所列月份各数据表均有数据。",
    ),
}

# Values that come from data but belong to a fixed vocabulary (DATA-CONTRACT.md).
ENUMS: dict[str, dict[str, tuple[str, str]]] = {
    "channel": {
        "autohome": ("Autohome", "汽车之家"),
        "dongchedi": ("Dongchedi", "懂车帝"),
        "bitauto": ("Bitauto", "易车"),
        "douyin": ("Douyin", "抖音"),
        "kuaishou": ("Kuaishou", "快手"),
        "xiaohongshu": ("Xiaohongshu", "小红书"),
        "wechat": ("WeChat", "微信"),
        "website": ("Website", "官网"),
        "referral": ("Referral", "转介绍"),
        "walk_by": ("Walk-by", "自然进店"),
        "outdoor_event": ("Outdoor event", "外展活动"),
        "showroom_event": ("Showroom event", "店头活动"),
        "repeat_customer": ("Repeat customer", "老客户"),
        "phone": ("Phone", "电话"),
        "other": ("Other", "其他"),
        "unknown": ("Unknown", "未知"),
    },
    "ro_type": {
        "maintenance": ("Maintenance", "保养"),
        "repair": ("Repair", "机修"),
        "warranty": ("Warranty", "索赔"),
        "accident": ("Body & paint", "事故钣喷"),
        "internal": ("Internal", "内部"),
    },
    "lead_level": {
        "O": ("O: deposit paid", "O 级：已交定金"),
        "H": ("H: buys within 7 days", "H 级：7 天内购买"),
        "A": ("A: within 15 days", "A 级：15 天内购买"),
        "B": ("B: within 30 days", "B 级：30 天内购买"),
        "C": ("C: later", "C 级：30 天以上"),
        "F": ("F: lost", "F 级：战败"),
    },
    "department": {
        "sales": ("Sales", "销售"),
        "service": ("After-sales", "售后"),
        "parts": ("Parts", "配件"),
        "admin": ("Administration", "行政"),
    },
    "sale_type": {
        "retail": ("Retail", "零售"),
        "fleet": ("Fleet / group", "大客户"),
        "sub_dealer": ("Sub-dealer", "二网"),
    },
    "buyer_type": {"private": ("Private", "个人"), "corporate": ("Corporate", "公司")},
    "order_status": {
        "open": ("Open", "未交车"),
        "delivered": ("Delivered", "已交车"),
        "cancelled": ("Cancelled", "已退订"),
    },
    "kind": {"walk_in": ("Walk-in", "来店"), "phone": ("Call", "来电")},
    "age_bucket": {
        "0-30": ("0–30", "0–30"),
        "31-60": ("31–60", "31–60"),
        "61-90": ("61–90", "61–90"),
        "91-180": ("91–180", "91–180"),
        ">180": ("> 180", "> 180"),
    },
    "table": {
        "traffic": ("Showroom traffic", "来店/来电登记"),
        "orders": ("Orders", "订单/交车"),
        "vehicles": ("Vehicles", "整车库存/在途"),
        "repair_orders": ("Repair orders", "维修工单"),
        "technicians": ("Technicians", "技师"),
        "parts_stock": ("Parts stock", "配件库存"),
        "campaigns": ("Campaigns", "市场活动"),
        "targets": ("Targets", "目标"),
        "expenses": ("Expenses", "费用"),
        "surveys": ("Surveys", "满意度回访"),
        "complaints": ("Complaints", "投诉"),
        "followups": ("Follow-ups", "跟进/回访记录"),
        "rebate_programs": ("Manufacturer programmes", "厂家商务政策"),
    },
}

_missing: set[str] = set()


class MissingTranslation(KeyError):
    """A UI string key that has no entry in STRINGS."""


def current_lang() -> str:
    """Return the language of the running session ('zh' or 'en')."""
    try:
        import streamlit as st

        value = st.session_state.get("lang")
    except Exception:  # no script run context (plain imports, unit tests)
        value = None
    return value if value in LANGS else DEFAULT_LANG


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "en" else pair[1]


def t(key: str, lang: str | None = None, **values: object) -> str:
    """Return the UI string `key` in the session's language, formatted with `values`."""
    pair = STRINGS.get(key)
    if pair is None:
        _missing.add(f"string:{key}")
        raise MissingTranslation(key)
    text = _pick(pair, lang or current_lang())
    return text.format(**values) if values else text


def enum_label(kind: str, value: object, lang: str | None = None) -> str:
    """Return the display name of an enum value; an unknown value shows as is and is recorded."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    pair = ENUMS.get(kind, {}).get(str(value))
    if pair is None:
        _missing.add(f"{kind}:{value}")
        return str(value)
    return _pick(pair, lang or current_lang())


def has_enum(kind: str, value: object) -> bool:
    """Return True when `value` of `kind` has a translation."""
    return str(value) in ENUMS.get(kind, {})


def kpi_label(kpi_id: str, lang: str | None = None) -> str:
    """Return a KPI's label from the catalogue (or a UI fallback for report-only ids)."""
    lang = lang or current_lang()
    kpi = _catalogue_get(kpi_id)
    if kpi is not None:
        return kpi.label(lang)
    return t(f"kpi.{kpi_id}", lang)


def kpi_help(kpi_id: str, lang: str | None = None) -> str | None:
    """Return a KPI's help text for a tooltip: its formula, then any help the catalogue has."""
    lang = lang or current_lang()
    kpi = _catalogue_get(kpi_id)
    if kpi is None:
        return None
    parts = []
    formula = _call(kpi, "formula", lang)
    if formula:
        parts.append(f"**{t('common.formula', lang)}**: {formula}")
    extra = _call(kpi, "help", lang)
    if extra and extra != formula:
        parts.append(extra)
    return "\n\n".join(parts) or None


def _call(obj: object, name: str, lang: str) -> str | None:
    attr = getattr(obj, name, None)
    if attr is None:
        return None
    return attr(lang) if callable(attr) else str(attr)


def _catalogue_get(kpi_id: str):
    try:
        from kpi import catalogue
    except ImportError:
        return None
    cat = getattr(catalogue, "CATALOGUE", {})
    return cat.get(kpi_id)


def missing() -> set[str]:
    """Return every string key or enum value asked for that had no translation."""
    return set(_missing)


def reset_missing() -> None:
    """Forget recorded missing translations (tests call it before a run)."""
    _missing.clear()


# Showroom TV (pages/kanban.py, ui/tv.py; docs/TV.md).
STRINGS.update(
    {
        "page.kanban": ("Showroom TV", "展厅看板"),
        "nav.showroom": ("Showroom", "展厅"),
        "tv.page_title": ("Showroom TV", "展厅看板"),
        "tv.link_hint": (
            "Open this address on the showroom TV (full screen, no menus). Add &panel=today to "
            "show one panel, &rotate=20 and &refresh=30 for the intervals in seconds.",
            "在展厅电视上打开以下地址（全屏、无菜单）。加 &panel=today 只显示一个面板，"
            "&rotate=20 与 &refresh=30 设置轮播与刷新间隔（秒）。",
        ),
        "tv.panel.leaderboard": ("Consultant ranking · this month", "销售顾问排行 · 本月"),
        "tv.panel.today": ("Today on the floor", "今日展厅"),
        "tv.panel.month": ("Month progress", "本月目标进度"),
        "tv.panel.models": ("Models · this month", "车型 · 本月"),
        "tv.rank": ("#", "名次"),
        "tv.consultant": ("Consultant", "销售顾问"),
        "tv.deliveries": ("Delivered", "交车"),
        "tv.orders": ("Orders", "订单"),
        "tv.target": ("Target", "目标"),
        "tv.achievement": ("Achieved", "达成率"),
        "tv.status": ("Status", "状态"),
        "tv.team": ("Team total", "全店合计"),
        "tv.model": ("Model", "车型"),
        "tv.stock": ("In stock", "在库"),
        "tv.more": ("{n} more not shown", "另有 {n} 人未显示"),
        "tv.avg_8w": ("8-week average {value}", "近8周同日均值 {value}"),
        "tv.achieved": ("Target achieved {value}", "目标达成 {value}"),
        "tv.target_of": ("Target {value}", "目标 {value}"),
        "tv.time_progress": ("Month elapsed {value}", "时间进度 {value}"),
        "tv.pace": ("Month-end projection {value}", "月底预测 {value}"),
        "tv.pace_line": ("Straight line {value}", "直线外推 {value}"),
        "tv.forecast": ("Forecast {value} ({low}–{high})", "交车预测 {value}（{low}–{high}）"),
        "tv.chance": ("chance of target {value}", "达标概率 {value}"),
        "tv.updated": ("Updated {time}", "更新于 {time}"),
        "tv.reconnecting": (
            "Reconnecting to the database… showing the last numbers read.",
            "正在重新连接数据库…… 当前显示的是最近一次读取的数据。",
        ),
        "tv.connecting": ("Connecting to the database…", "正在连接数据库……"),
        "tv.stale": (
            "No new data for more than {minutes} minutes: check that walk-ins are being logged "
            "and exports imported.",
            "已超过 {minutes} 分钟没有新数据：请确认来店登记和数据导入是否正常。",
        ),
        "tv.no_data": ("No store data yet.", "尚无门店数据。"),
        "tv.bad_params": (
            "Address settings not understood, defaults used: {names}.",
            "地址中的以下参数无效，已使用默认值：{names}。",
        ),
        "tv.unknown_store": (
            "Unknown store “{store}”: check the store= part of the address.",
            "未找到门店“{store}”：请检查地址中的 store= 参数。",
        ),
    }
)

# Sign-in and roles (ui/auth.py).
STRINGS.update(
    {
        "auth.sign_in": ("Sign in", "登录"),
        "auth.sign_out": ("Sign out", "退出登录"),
        "auth.username": ("User name", "用户名"),
        "auth.password": ("Password", "密码"),
        "auth.wrong": ("Wrong user name or password.", "用户名或密码错误。"),
        "auth.throttled": (
            "Too many failed sign-ins from this computer. Try again in {seconds} s.",
            "本机登录失败次数过多，请 {seconds} 秒后再试。",
        ),
        "auth.sso": ("Sign in with company account", "使用企业账号登录"),
        "auth.sso_named": ("Sign in with {name}", "使用 {name} 登录"),
        "auth.sso_broken": (
            "Single sign-on is not set up correctly on the server ({reason}). Tell the "
            "administrator (see docs/AUTH.md).",
            "服务器的单点登录配置有误({reason}),请联系管理员(见 docs/AUTH.md)。",
        ),
        "auth.sso_unknown": (
            "You are signed in as {email}, but no account of this dashboard has that e-mail. "
            "Ask a manager to add it on the Accounts page.",
            "您已以 {email} 登录,但本看板没有使用该邮箱的账号。请让经理在“账号管理”页添加。",
        ),
        "auth.signed_in_as": ("Signed in: {name} ({role})", "已登录:{name}({role})"),
        "auth.role.viewer": ("viewer", "查看"),
        "auth.role.staff": ("staff", "员工"),
        "auth.role.manager": ("manager", "经理"),
        "auth.needs_title": ("Sign-in needed", "需要登录"),
        "auth.needs_sign_in": (
            "This page needs a {role} account. Sign in to continue.",
            "此页面需要“{role}”权限的账号,请先登录。",
        ),
        "auth.needs_role": (
            "This page needs the {role} role; your account has {have}. Ask a manager.",
            "此页面需要“{role}”权限,您的账号为“{have}”。请联系经理。",
        ),
        "auth.private_store": (
            "This store's figures are not public. Sign in to see them.",
            "本门店数据不公开,请登录后查看。",
        ),
    }
)

# Management pages: marketing, customers, finance, targets; the monthly report download.
STRINGS.update(
    {
        "page.marketing": ("Marketing", "市场"),
        "page.customers": ("Customers", "客户"),
        "page.finance": ("Finance", "财务"),
        "page.targets": ("Targets", "目标"),
        "common.yes": ("yes", "是"),
        "common.no": ("no", "否"),
        "report.download": ("Monthly report (Excel)", "下载月度经营报告"),
        "report.help": (
            "Every department's KPIs for {period} with previous month, same month last year, "
            "targets and key tables, in the language chosen in the sidebar.",
            "{period}各部门全部指标，含上月、去年同月、目标和重点明细表，语言与侧边栏一致。",
        ),
        # marketing
        "mkt.title": ("Marketing", "市场"),
        "mkt.caption": ("{store} · {period}", "{store} · {period}"),
        "mkt.summary": ("Market and advertising this period", "本期市场与广告概况"),
        "mkt.spend": ("Marketing spend", "市场费用"),
        "mkt.spend_help": (
            "Spend of every campaign (advertising, online and events) of the period's months; a "
            "month only partly inside the period counts in proportion to its days.",
            "统计期所含月份全部市场活动（广告、线上和活动）的费用；部分落在期内的月份按天数比例计入。",
        ),
        "mkt.events_count": ("Events", "活动场次"),
        "mkt.channels": ("Walk-ins, calls and orders by channel", "各渠道来店、来电与订单"),
        "mkt.cost_note": (
            "Cost per visit and per order: the channel's campaign spend of the period ÷ its "
            "walk-ins or orders; empty when the channel had no campaign.",
            "单批次来店成本、单台订单成本 = 该渠道本期投放费用 ÷ 来店批次或订单数；"
            "没有投放的渠道为空。",
        ),
        "mkt.mix": ("Channel mix of walk-ins by month", "各月来店渠道结构"),
        "mkt.events": ("Events", "活动效果"),
        "mkt.event": ("Event", "活动"),
        "mkt.kind": ("Kind", "类型"),
        "mkt.invited": ("Invited", "邀约"),
        "mkt.arrived": ("Arrived", "到店"),
        "mkt.target_arrivals": ("Arrival standard", "到店标准"),
        "mkt.a_leads": ("A-level leads", "A卡数"),
        "mkt.target_a_leads": ("A-lead standard", "A卡标准"),
        "mkt.orders_30d": ("Orders within 30 days", "30天内成交"),
        "mkt.events_note": (
            "Arrivals are walk-ins carrying the event's id, whatever their date; A-level leads "
            "count customers at level O, H or A; orders are signed within 30 days after a visit.",
            "到店为带有该活动编号的来店记录（不限日期）；A卡数为级别 O、H、A 的客户数；"
            "成交为到店后 30 天内签订的订单。",
        ),
        # customers
        "cust.title": ("Customers", "客户"),
        "cust.caption": ("{store} · {period}", "{store} · {period}"),
        "cust.leads": ("Open leads by consultant and level", "在跟潜客（按销售顾问和级别）"),
        "cust.overdue": ("Overdue follow-ups", "超期未跟进客户"),
        "cust.mine": ("Consultant", "销售顾问"),
        "cust.everyone": ("Everyone", "全部"),
        "cust.overdue_note": (
            "{n} customers, most overdue first. Cadence by level: O 7, H 2, A 7, B 14, C 30 days.",
            "共 {n} 位客户，超期最久的在前。跟进周期：O 7天，H 2天，A 7天，B 14天，C 30天。",
        ),
        "cust.leads_top": (
            "The {n} consultants with the most open leads, of {total}.",
            "在跟潜客最多的 {n} 位销售顾问（共 {total} 位）。",
        ),
        "cust.overdue_top": (
            "The {n} most overdue are shown; the download lists all {total}.",
            "仅显示超期最久的 {n} 位；下载文件含全部 {total} 位。",
        ),
        "cust.customer": ("Customer", "客户"),
        "cust.level": ("Level", "级别"),
        "cust.last_contact": ("Last contact", "最近联系"),
        "cust.cadence": ("Cadence (days)", "跟进周期（天）"),
        "cust.days_overdue": ("Days overdue", "超期天数"),
        "cust.download": ("Download list (CSV)", "下载名单（CSV）"),
        "cust.trends": ("Trends", "趋势"),
        "cust.csi_trend": ("Satisfaction by department", "各部门满意度"),
        "cust.nps_trend": ("Net promoter score", "推荐度 NPS"),
        "cust.discipline_trend": (
            "Follow-up, return visits and complaint handling",
            "潜客跟进、回访与投诉处理",
        ),
        "cust.complaints": ("Complaints", "投诉"),
        "cust.complaint": ("Complaint", "投诉编号"),
        "cust.department": ("Department", "部门"),
        "cust.category": ("Category", "类别"),
        "cust.major": ("Major", "重大投诉"),
        "cust.status": ("Status", "状态"),
        "cust.opened": ("Opened", "受理日期"),
        "cust.closed": ("Closed", "结案日期"),
        "cust.days_open": ("Days", "处理天数"),
        "cust.satisfied": ("Satisfied", "客户满意"),
        "cust.complaint_open": ("open", "处理中"),
        "cust.complaint_closed": ("closed", "已结案"),
        "cust.major_note": (
            "Complaints still open on the as-of date and those closed in the period; major "
            "complaints are shaded red.",
            "列出截至统计日仍未结案和本期结案的投诉；重大投诉以红色底纹标出。",
        ),
        # finance
        "fin.title": ("Finance", "财务"),
        "fin.caption": ("{store} · {period}", "{store} · {period}"),
        "fin.waterfall": ("From gross profit to operating profit", "从毛利到经营利润"),
        "fin.break_even": ("Break-even units against deliveries", "保本台次与实际交车"),
        "fin.break_even_note": (
            "Bars: units delivered; line: units needed to cover the expenses that after-sales "
            "gross does not (below zero, after-sales covers every expense).",
            "柱：实际交车台次；线：覆盖售后毛利以外费用所需的台次（低于零表示售后已覆盖全部费用）。",
        ),
        "fin.capital": ("Capital tied up in stock", "库存资金占用"),
        "fin.absorption_trend": ("Service absorption by month", "各月售后覆盖率"),
        "fin.expenses": ("Expenses by department and category", "费用（按部门和类别）"),
        "fin.department": ("Department", "部门"),
        "fin.category": ("Category", "类别"),
        "fin.nature": ("Type", "性质"),
        "fin.fixed_true": ("fixed", "固定"),
        "fin.fixed_false": ("variable", "变动"),
        "fin.amount": ("Amount", "金额"),
        "fin.trend": ("Gross, expenses and profit by month", "各月毛利、费用与利润"),
        # targets
        "tgt.title": ("Targets", "目标"),
        "tgt.caption": ("{store} · {period}", "{store} · {period}"),
        "tgt.metric": ("Metric", "指标"),
        "tgt.levels": ("Achievement to date", "目标达成进度"),
        "tgt.levels_note": (
            "Actual from the first day of the year, quarter or month to the as-of date against "
            "the whole target. Expected: the share of the target that falls on the days gone "
            "(for the month, the share of the month gone). Green when achievement is at least "
            "the expected share, amber from 80% of it, red below.",
            "实际为从年、季、月第一天到统计日的累计，目标为全期目标。应达进度：已过天数对应的目标"
            "占比（月度为时间进度）。达成率不低于应达进度为绿，不低于其 80% 为黄，否则为红。",
        ),
        "tgt.level": ("Level", "层级"),
        "tgt.level_year": ("Year", "年度"),
        "tgt.level_quarter": ("Quarter", "季度"),
        "tgt.level_month": ("Month", "月度"),
        "tgt.period": ("Period", "期间"),
        "tgt.actual": ("Actual", "实际"),
        "tgt.target": ("Target", "目标"),
        "tgt.achievement": ("Achievement", "达成率"),
        "tgt.expected": ("Expected by now", "应达进度"),
        "tgt.status": ("Status", "状态"),
        "tgt.consultants": ("Consultants in {month}", "{month} 销售顾问"),
        "tgt.plan": ("Annual plan", "年度目标分解"),
        "tgt.year": ("Year", "年份"),
        "tgt.annual": ("Annual target", "年度目标"),
        "tgt.split": ("Split by last year's seasonality", "按去年季节性分解"),
        "tgt.split_help": (
            "Each month gets its share of last year's deliveries in the same month (equal "
            "twelfths without history), in whole units; each month is shared evenly between the "
            "consultants who worked the floor in the last 90 days. Adjust any cell, then save.",
            "每月按去年同月交车台次的占比分配（无历史数据时平均分配），取整；"
            "每月目标再平均分给近 90 天有接待的销售顾问。可修改任意单元格后保存。",
        ),
        "tgt.store_col": ("Store target", "门店目标"),
        "tgt.unsaved": ("Proposal: not saved yet.", "分解方案：尚未保存。"),
        "tgt.no_targets": ("No targets saved for {year}.", "{year} 年尚未设定目标。"),
        "tgt.mismatch": (
            "The consultants' targets do not add up to the store target in {months}. The store "
            "target counts for the store; the consultants' targets for each person.",
            "{months} 销售顾问目标之和与门店目标不一致。"
            "门店达成按门店目标计算，个人达成按个人目标计算。",
        ),
        "tgt.quarters": ("Quarters", "季度目标"),
        "tgt.quarter": ("Quarter", "季度"),
        "tgt.weeks": ("Weeks of {month}", "{month} 各周目标"),
        "tgt.week": ("Week", "周"),
        "tgt.days": ("Days in the month", "当月天数"),
        "tgt.pick_store": (
            "Choose one store in the sidebar to plan its targets.",
            "请在侧边栏选择一个门店来制定目标。",
        ),
        "tgt.read_only": (
            "Targets are shown read-only. Sign in as a manager to change them.",
            "目标为只读。以经理身份登录后可修改。",
        ),
        "tgt.save": ("Save targets", "保存目标"),
        "tgt.saved": (
            "Saved: {inserted} added, {updated} changed, {deleted} removed.",
            "已保存：新增 {inserted} 条，修改 {updated} 条，删除 {deleted} 条。",
        ),
        "tgt.not_saved": ("Not saved: {reason}", "未保存：{reason}"),
    }
)
ENUMS.setdefault("campaign_kind", {}).update(
    {
        "advertising": ("Advertising", "广告投放"),
        "outdoor_event": ("Outdoor event", "外展活动"),
        "showroom_event": ("Showroom event", "店头活动"),
        "online": ("Online", "线上推广"),
    }
)
ENUMS.setdefault("expense_category", {}).update(
    {
        "salaries": ("Salaries", "工资"),
        "rent": ("Rent", "租金"),
        "advertising": ("Advertising", "广告"),
        "interest": ("Interest", "利息"),
        "utilities": ("Utilities", "水电"),
        "depreciation": ("Depreciation", "折旧"),
        "commissions": ("Commissions", "提成"),
        "office": ("Office", "办公"),
        "training": ("Training", "培训"),
        "other": ("Other", "其他"),
    }
)

# Reception entry (pages/reception.py; warehouse/live.py).
STRINGS.update(
    {
        "page.reception": ("Reception", "前台登记"),
        "reception.title": ("Reception: log a visit or an order", "前台登记：来店、来电与订单"),
        "reception.caption": (
            "{store} · {day}. Entries are provisional until the DMS export replaces them.",
            "{store} · {day}。登记为临时数据，DMS 导出数据导入后将自动替换。",
        ),
        "reception.tab_visit": ("Walk-in / call", "来店 / 来电"),
        "reception.tab_order": ("New order", "新订单"),
        "reception.tab_today": ("Today's entries", "今日登记"),
        "reception.kind": ("Type", "类型"),
        "reception.consultant": ("Consultant", "销售顾问"),
        "reception.channel": ("Lead source", "信息来源"),
        "reception.first_visit": ("First or return visit", "首次 / 再次"),
        "reception.first_true": ("First visit", "首次"),
        "reception.first_false": ("Return visit", "再次"),
        "reception.test_drive": ("Test drive", "试驾"),
        "reception.lead_level": ("Lead level", "意向级别"),
        "reception.model_interest": ("Model of interest", "意向车型"),
        "reception.model": ("Model", "车型"),
        "reception.customer": (
            "Customer mobile or id (optional)",
            "客户手机号或编号（可不填）",
        ),
        "reception.sale_type": ("Sale type", "销售类型"),
        "reception.buyer_type": ("Buyer", "购买类型"),
        "reception.status": ("Status", "订单状态"),
        "reception.money_later": (
            "Price, cost and F&I come with the DMS export.",
            "成交价、成本及金融保险信息以 DMS 导出数据为准。",
        ),
        "reception.log_visit": ("Log it", "登记"),
        "reception.log_order": ("Log the order", "登记订单"),
        "reception.order": ("Order", "订单"),
        "reception.logged": (
            "{what} logged. The TV shows it on its next refresh.",
            "已登记{what}，展厅看板下次刷新时显示。",
        ),
        "reception.refused": ("Not logged: {errors}", "未登记：{errors}"),
        "reception.none_today": ("Nothing logged today yet.", "今天还没有登记。"),
        "reception.edit": ("Correct", "更正"),
        "reception.save": ("Save", "保存"),
        "reception.saved": ("Entry corrected.", "已更正。"),
        "reception.delete": ("Delete", "删除"),
        "reception.deleted": ("Entry deleted.", "已删除。"),
    }
)

# Upload page, import history and undo (pages/upload.py, ui/upload_view.py).
STRINGS.update(
    {
        "page.upload": ("Upload data", "数据导入"),
        "nav.admin": ("Administration", "管理"),
        "upload.title": ("Upload DMS exports", "导入 DMS 导出文件"),
        "upload.caption": (
            "Drop one or more CSV or Excel files (up to {mb} MB each). Each file is checked and "
            "shown before anything is written; you import them together at the end.",
            "可一次拖入多个 CSV 或 Excel 文件(每个不超过 {mb} MB)。每个文件先检查并预览,"
            "确认后才一起写入数据库。",
        ),
        "upload.files": ("Export files", "导出文件"),
        "upload.files_help": (
            "CSV, TSV, TXT or .xlsx; GBK, UTF-8 and UTF-16 are all fine.",
            "支持 CSV、TSV、TXT 和 .xlsx;GBK、UTF-8、UTF-16 编码均可。",
        ),
        "upload.store": ("Store the files belong to", "文件所属门店"),
        "upload.store_help": (
            "Rows without a store column go to this store; a store column in the file wins.",
            "文件中没有“门店”列的行归入此门店;文件自带门店列时以文件为准。",
        ),
        "upload.new_store": ("New store…", "新门店…"),
        "upload.new_store_id": ("New store id", "新门店编号"),
        "upload.bad_store_id": (
            "A store id is 1-64 letters, digits, Chinese characters or . _ -",
            "门店编号为 1-64 个字母、数字、汉字或 . _ -",
        ),
        "upload.too_big": (
            "This file is {size:.1f} MB; files up to {limit} MB can be uploaded. Export a shorter "
            "period (e.g. one month) or split the file.",
            "该文件 {size:.1f} MB,超过 {limit} MB 的上限。请导出较短的期间(如一个月)或拆分文件。",
        ),
        "upload.unreadable": ("This file cannot be read: {reason}", "无法读取该文件:{reason}"),
        "upload.table": ("Table", "数据表"),
        "upload.table_help": (
            "Recognised from the file's column headers; change it if it is wrong.",
            "根据表头自动识别;如识别有误可在此更改。",
        ),
        "upload.detected": ("Recognised from the column headers.", "已根据表头自动识别。"),
        "upload.not_detected": (
            "The headers match no table well. Choose the table, then map the columns below.",
            "表头与任何数据表都不太匹配。请选择数据表,再在下方对应各列。",
        ),
        "upload.delim.comma": ("comma-separated", "逗号分隔"),
        "upload.delim.tab": ("tab-separated", "制表符分隔"),
        "upload.delim.semicolon": ("semicolon-separated", "分号分隔"),
        "upload.sheet": ("sheet {sheet}", "工作表 {sheet}"),
        "upload.read_as": (
            "Read as {how}; header on line {line}; {rows} data rows.",
            "读取方式:{how};表头在第 {line} 行;数据 {rows} 行。",
        ),
        "upload.missing": (
            "Columns not found: {columns}. Choose which column of the file holds each of them "
            "in “Column mapping”.",
            "未找到以下列:{columns}。请在“列对应”中指定文件里对应的列。",
        ),
        "upload.ambiguous": (
            "Some dates could be day/month or month/day. Choose the date order under “Column "
            "mapping”.",
            "部分日期无法判断是“日/月”还是“月/日”。请在“列对应”中选择日期顺序。",
        ),
        "upload.mapping": (
            "Column mapping ({n} columns, {unknown} not recognised)",
            "列对应({n} 列,{unknown} 列未识别)",
        ),
        "upload.mapping_help": (
            "For each column of the file, choose the field it holds, or “not imported”. Your "
            "choices are remembered for this store and table next time.",
            "为文件的每一列选择对应的字段,或选“不导入”。设置会按门店和数据表保存,下次自动沿用。",
        ),
        "upload.unknown_header": ("{header} (not recognised)", "{header}(未识别)"),
        "upload.ignore": ("— not imported —", "— 不导入 —"),
        "upload.date_order": ("Date order for dates like 05/09/2026", "日期顺序(如 05/09/2026)"),
        "upload.order.auto": ("Automatic (year first)", "自动(年份在前)"),
        "upload.order.DMY": ("Day first (D/M/Y)", "日在前(日/月/年)"),
        "upload.order.MDY": ("Month first (M/D/Y)", "月在前(月/日/年)"),
        "upload.preview": ("Preview: first {n} rows as read", "预览:读取后的前 {n} 行"),
        "upload.file_ok": ("All {rows} rows are fine.", "全部 {rows} 行检查通过。"),
        "upload.file_refused": (
            "This file cannot be imported: {reason}",
            "该文件无法导入:{reason}",
        ),
        "upload.file_problems": (
            "{n} problem(s) in {rows} row(s). By default the file is not imported.",
            "{rows} 行共有 {n} 个问题。默认不导入该文件。",
        ),
        "upload.download_report": ("Download the problem list", "下载问题清单"),
        "upload.partial": (
            "Import the {good} valid rows only (leave out the {bad} rejected rows)",
            "仅导入 {good} 行有效数据(舍弃 {bad} 行有问题的数据)",
        ),
        "upload.refused_files": (
            "Not imported unless fixed: {names}",
            "以下文件未通过检查,将不会导入:{names}",
        ),
        "upload.check": ("Check what will change", "检查将发生的变化"),
        "upload.checking": (
            "Applying the files to a copy and recomputing the KPIs…",
            "正在副本上试导入并重新计算指标…",
        ),
        "upload.check_first": (
            "Nothing is written yet. Click “Check what will change” to see the effect.",
            "尚未写入任何数据。请点击“检查将发生的变化”查看影响。",
        ),
        "upload.dry_title": ("What the import will do (nothing written yet)", "导入预演(尚未写入)"),
        "upload.status.imported": ("Ready to import", "可导入"),
        "upload.status.duplicate": ("Already imported", "已导入过"),
        "upload.status.refused": ("Not imported: fix the problems", "不导入:请先修正问题"),
        "upload.status.failed": ("Failed", "失败"),
        "upload.already": (
            "Already imported on {when}: nothing changes",
            "已于 {when} 导入过:不会有任何变化",
        ),
        "upload.col.file": ("File", "文件"),
        "upload.col.line": ("Line", "行号"),
        "upload.col.column": ("Column", "列"),
        "upload.col.value": ("Value", "内容"),
        "upload.col.reason": ("Reason", "原因"),
        "upload.col.table": ("Table", "数据表"),
        "upload.col.store": ("Store", "门店"),
        "upload.col.status": ("Status", "状态"),
        "upload.col.new": ("New", "新增"),
        "upload.col.updated": ("Updated", "更新"),
        "upload.col.unchanged": ("Unchanged", "未变"),
        "upload.col.rejected": ("Rejected", "拒绝"),
        "upload.col.live": ("Live entries replaced", "替换的现场登记"),
        "upload.col.month": ("Month", "月份"),
        "upload.col.kpi": ("KPI", "指标"),
        "upload.col.before": ("Now", "当前"),
        "upload.col.after": ("After import", "导入后"),
        "upload.col.change": ("Change", "变化"),
        "upload.col.when": ("Imported at", "导入时间"),
        "upload.kpi_failed": (
            "The KPIs could not be compared ({reason}); the counts above are complete.",
            "无法比较指标({reason});上方的行数统计不受影响。",
        ),
        "upload.twice": (
            "{file} has the same content as {first}; it is left out.",
            "{file} 与 {first} 内容相同,已忽略。",
        ),
        "upload.msg.total": (
            "Line {value}: the total row is skipped.",
            "第 {value} 行:合计行已跳过。",
        ),
        "upload.msg.subtotals": ("{value} subtotal row(s) skipped.", "已跳过 {value} 个小计行。"),
        "upload.msg.ignored": ("Not imported: {value}", "未导入的列:{value}"),
        "upload.col.user": ("By", "操作人"),
        "upload.col.size": ("Size (KB)", "大小(KB)"),
        "upload.col.sha": ("Content hash", "内容指纹"),
        "upload.col.undone": ("Undone", "已撤销"),
        "upload.col.vin": ("VIN", "车架号"),
        "upload.col.model": ("Model", "车型"),
        "upload.col.arrival_date": ("Arrived", "入库日期"),
        "upload.col.cost": ("Cost", "采购价"),
        "upload.vanished": (
            "{n} vehicle(s) stored as unsold are not in this stock snapshot. Sold, moved or "
            "missing? They stay in stock until an export says otherwise.",
            "有 {n} 台库存车未出现在本次库存快照中。是否已售、调拨或缺失?"
            "在导出数据更新之前仍计入库存。",
        ),
        "upload.kpi_title": ("KPIs that will change ({months})", "将发生变化的指标({months})"),
        "upload.kpi_none": ("No KPI changes in {months}.", "{months} 的指标没有变化。"),
        "upload.kpi_skipped": (
            "Older months also touched, not compared here: {months}.",
            "还涉及更早的月份,此处未比较:{months}。",
        ),
        "upload.download_kpis": ("Download the KPI changes", "下载指标变化"),
        "upload.nothing_to_import": ("Nothing to import.", "没有需要导入的数据。"),
        "upload.commit": ("Import {n} file(s) now", "立即导入 {n} 个文件"),
        "upload.busy": (
            "The database is busy with another import. Nothing was written; try again in a moment.",
            "数据库正忙(另一项导入正在进行),本次未写入任何数据,请稍后重试。",
        ),
        "upload.done_line": (
            "{file}: imported — {new} new, {upd} updated, {same} unchanged.",
            "{file}:已导入 — 新增 {new},更新 {upd},未变 {same}。",
        ),
        "upload.already_line": (
            "{file}: already imported on {when}; nothing changed.",
            "{file}:已于 {when} 导入过,本次未做任何更改。",
        ),
        "upload.history": ("Import history", "导入记录"),
        "upload.no_history": ("No imports yet.", "暂无导入记录。"),
        "upload.download_history": ("Download the import history", "下载导入记录"),
        "upload.undo": ("Undo an import", "撤销导入"),
        "upload.undo_which": (
            "Import to undo (the newest of each table)",
            "要撤销的导入(每张表仅限最近一次)",
        ),
        "upload.undo_option": (
            "{table} · {file} · {when} · {user}",
            "{table} · {file} · {when} · {user}",
        ),
        "upload.undo_confirm": (
            "Yes: remove the rows this import wrote and put back what it replaced",
            "确认:删除该次导入写入的数据,并恢复被其替换的数据",
        ),
        "upload.undo_button": ("Undo this import", "撤销该次导入"),
        "upload.undone": (
            "{file}: undone — {deleted} rows removed, {restored} earlier rows restored.",
            "{file}:已撤销 — 删除 {deleted} 行,恢复 {restored} 行原数据。",
        ),
        "upload.undo_pick": ("Choose an import…", "请选择一次导入…"),
        "upload.undo_preview": (
            "Undoing removes {rows} {table} rows of store(s) {stores} that {file} wrote on "
            "{when} ({user}), and puts back {restored} earlier rows it replaced.",
            "撤销将删除 {file} 于 {when}（{user}）写入门店 {stores} 的 {rows} 行{table}数据，"
            "并恢复被其替换的 {restored} 行原数据。",
        ),
    }
)

# Accounts and store settings (pages/users.py, pages/settings.py).
STRINGS.update(
    {
        "page.users": ("Accounts", "账号管理"),
        "page.settings": ("Store settings", "门店设置"),
        "users.title": ("Accounts", "账号管理"),
        "users.roles": (
            "**Viewer** reads the KPI pages · **Staff** also logs walk-ins, calls and orders · "
            "**Manager** also uploads data, undoes imports and edits targets, settings and "
            "accounts.",
            "**查看**:浏览指标页面 · **员工**:另可登记来店、来电和订单 · "
            "**经理**:另可导入数据、撤销导入、修改目标、门店设置和账号。",
        ),
        "users.cli": (
            "Accounts can also be created on the server: python -m kpi users add NAME --role "
            "manager",
            "也可在服务器上创建账号:python -m kpi users add 用户名 --role manager",
        ),
        "users.sso_on": (
            "Single sign-on is on: people sign in with their company account and get the role "
            "of the account with their e-mail. Passwords are not used.",
            "已启用单点登录:员工使用企业账号登录,按邮箱匹配下表中的账号及其权限,不使用密码。",
        ),
        "users.col.username": ("User name", "用户名"),
        "users.col.name": ("Name shown", "显示名称"),
        "users.col.role": ("Role", "权限"),
        "users.col.email": ("E-mail", "邮箱"),
        "users.email_help": (
            "Needed for single sign-on: the company e-mail the person signs in with.",
            "单点登录时必填:该员工登录所用的企业邮箱。",
        ),
        "users.password": ("Password", "密码"),
        "users.password_help": ("At least 8 characters.", "至少 8 个字符。"),
        "users.new_password": (
            "New password (leave empty to keep it)",
            "新密码(留空则不修改)",
        ),
        "users.add": ("Add an account", "新增账号"),
        "users.add_button": ("Add", "新增"),
        "users.added": ("Account {name} added.", "已新增账号 {name}。"),
        "users.change": ("Change or delete an account", "修改或删除账号"),
        "users.which": ("Account", "账号"),
        "users.save": ("Save changes", "保存修改"),
        "users.changed": ("Account {name} changed.", "已修改账号 {name}。"),
        "users.delete_confirm": ("Yes, delete {name}", "确认删除 {name}"),
        "users.delete": ("Delete account", "删除账号"),
        "users.deleted": ("Account {name} deleted.", "已删除账号 {name}。"),
        "settings.title": ("Store settings", "门店设置"),
        "settings.no_store": (
            "There is no store yet: it is created by its first upload.",
            "尚无门店:首次导入数据时自动创建。",
        ),
        "settings.store": ("Store", "门店"),
        "settings.name": ("Display name", "显示名称"),
        "settings.brand": ("Brand", "品牌"),
        "settings.region": ("Region", "区域"),
        "settings.timezone": ("Time zone", "时区"),
        "settings.opening_hours": ("Opening hours", "营业时间"),
        "settings.hours_help": (
            "HH:MM-HH:MM, e.g. 09:00-18:00. The showroom TV warns of stale data only inside them.",
            "格式 HH:MM-HH:MM,如 09:00-18:00。展厅大屏仅在营业时间内提示数据过期。",
        ),
        "settings.floorplan_rate": (
            "Floorplan financing rate (% a year)",
            "库存融资年利率(%)",
        ),
        "settings.public_view": (
            "Whole store public: anyone may read every KPI page and download without signing in",
            "整店公开：无需登录即可查看本门店全部指标页面并下载",
        ),
        "settings.public_help": (
            "On: anyone on the network reads everything, including operating profit, gross, "
            "expenses, F&I income, gross per unit, the consultant tables and the Excel report. "
            "Off (the default): the pages ask for a viewer account.",
            "开启后，网络上的任何人都能看到全部数据，包括经营利润、毛利、费用、金融保险收入、"
            "单车毛利、顾问明细及 Excel 月报。关闭（默认）时需使用“查看”及以上权限的账号登录。",
        ),
        "settings.public_tv": (
            "Showroom TV board public: anyone may open /kanban for this store without signing in",
            "展厅电视看板公开：无需登录即可打开本门店的 /kanban 看板",
        ),
        "settings.public_tv_help": (
            "On: the board's counts become public (consultant names, deliveries, orders, targets, "
            "walk-ins, test drives, models, stock units); no money figures. Off (the default): "
            "the TV needs a signed-in viewer.",
            "开启后，看板上的数量信息公开（顾问姓名、交车、订单、目标、进店、试驾、车型、库存台数），"
            "不含任何金额。关闭（默认）时电视需登录“查看”及以上权限的账号。",
        ),
        "settings.public_now": (
            "Public now: {what}.",
            "当前公开范围：{what}。",
        ),
        "settings.public_none": ("nothing (sign-in needed)", "无（需登录）"),
        "settings.public_all": ("every page and download", "全部页面与下载"),
        "settings.public_board": ("the showroom TV board only", "仅展厅电视看板"),
        "settings.thresholds": ("KPI warning lines (JSON)", "指标预警线(JSON)"),
        "settings.thresholds_help": (
            'Overrides of the catalogue, e.g. {"close_rate": {"warning": 0.2, "critical": '
            "0.15}}. null removes a line; empty keeps every default.",
            '覆盖默认预警线,如 {"close_rate": {"warning": 0.2, "critical": 0.15}};'
            "null 表示取消该线;留空则全部使用默认值。",
        ),
        "settings.cadence": ("Follow-up cadence in days (JSON)", "跟进周期(天,JSON)"),
        "settings.cadence_help": (
            'Days between follow-ups per lead level, e.g. {"H": 3, "C": 21}. Empty keeps the '
            "defaults (O 7, H 2, A 7, B 14, C 30).",
            '各意向级别的跟进间隔天数,如 {"H": 3, "C": 21};留空则使用默认值'
            "(O 7、H 2、A 7、B 14、C 30)。",
        ),
        "settings.save": ("Save settings", "保存设置"),
        "settings.saved": ("Settings of {store} saved.", "已保存门店 {store} 的设置。"),
        "settings.bad": ("{field}: {reason}", "{field}:{reason}"),
    }
)

# Expense categories of the demo store and common DMS exports (pages/finance.py).
ENUMS.setdefault("expense_category", {}).update(
    {
        "commission": ("Commissions", "提成"),
        "delivery": ("Delivery", "交车费用"),
        "warehouse": ("Warehouse", "仓储"),
        "consumables": ("Consumables", "耗材"),
        "tools": ("Tools", "工具"),
    }
)

# Group view (pages/group.py, ui/group_view.py).
STRINGS.update(
    {
        "page.group": ("Group view", "集团总览"),
        "group.title": ("Group view", "集团总览"),
        "group.caption": (
            "All stores · {period}. A row of several stores pools them (Σ numerators ÷ Σ "
            "denominators), never an average of their ratios.",
            "全部门店 · {period}。多店合计按分子合计 ÷ 分母合计计算，不取各店比率的平均。",
        ),
        "group.by": ("Compare", "对比维度"),
        "group.by_store": ("Store", "门店"),
        "group.by_brand": ("Brand", "品牌"),
        "group.by_region": ("Region", "区域"),
        "group.department": ("Department", "部门"),
        "group.all": ("All", "全部"),
        "group.rank_by": ("Rank by", "排名依据"),
        "group.rank": ("#", "排名"),
        "group.total": ("Group total", "集团合计"),
        "group.ranking_store": ("{n} stores, best first", "{n} 家门店排名"),
        "group.ranking_brand": ("By brand, best first", "按品牌排名"),
        "group.ranking_region": ("By region, best first", "按区域排名"),
        "group.click_hint": (
            "Click a row to open that store's cockpit; sort by clicking a column header.",
            "点击某一行即可打开该门店的经营总览；点击列标题可排序。",
        ),
        "group.heatmap": ("Warning lines by store", "预警热力图"),
        "group.heatmap_hint": (
            "Each cell takes the KPI's warning-line colour: green on track, amber watch, red "
            "critical, grey no value. Every store is judged by the catalogue's default lines.",
            "每格按指标预警线着色：绿色正常、黄色关注、红色预警、灰色无数据。各店统一按指标目录的默认预警线评判。",
        ),
        "group.open_store": ("Open a store", "打开门店"),
        "group.open": ("Open cockpit", "打开经营总览"),
    }
)

# Manufacturer programmes, the order backlog, lead capture and lost leads (issue 18):
# pages/manufacturer.py, ui/manufacturer.py, ui/backlog_view.py, ui/leads_view.py.
STRINGS.update(
    {
        "page.manufacturer": ("Manufacturer", "厂家商务"),
        "mfr.month": ("Retail and wholesale of the period", "本期零售与批发"),
        "mfr.target_line": (
            "Target {target} · achieved {achievement}",
            "目标 {target} 台 · 达成 {achievement}",
        ),
        "mfr.no_target": ("No target", "无目标"),
        "mfr.programmes": ("Manufacturer programmes", "厂家商务政策"),
        "mfr.none": ("No manufacturer programme overlaps this period.", "本期没有厂家商务政策。"),
        "mfr.programme_caption": (
            "{basis} · {dates} · target {target} units · {tier}",
            "{basis} · {dates} · 目标 {target} 台 · {tier}",
        ),
        "mfr.tier_reached": ("tier {tier} reached", "已达第{tier}档"),
        "mfr.no_tier": ("no tier reached yet", "尚未达到任何档位"),
        "mfr.top_tier": ("Top tier reached", "已达最高档"),
        "mfr.not_started": ("Not started yet", "尚未开始"),
        "mfr.days_left": ("Days left", "剩余天数"),
        "mfr.programme": ("Programme", "商务政策"),
        "mfr.achievement": ("Achievement", "达成率"),
        "mfr.earned": ("Earned now", "当前已得返利"),
        "mfr.projected": ("At the current pace", "按进度预计返利"),
        "mfr.next_units": ("Units to the next tier", "距下一档台数"),
        "mfr.next_gain": ("Gain at the next tier", "下一档增收"),
        "mfr.charts_limited": (
            "Charts for the {n} programmes with the most to gain at their next tier; the table "
            "lists all {total}.",
            "图表仅显示下一档增收最多的 {n} 项政策；表格列出全部 {total} 项。",
        ),
        "mfr.units_counted": ("Units counted", "已计入"),
        "mfr.at_pace": ("At the current pace", "按当前进度"),
        "mfr.bar_text": ("{units} units · {achievement}", "{units} 台 · {achievement}"),
        "mfr.tier_line": (
            "Tier {tier} · {units} units<br>{amount}",
            "第{tier}档 · {units} 台<br>{amount}",
        ),
        "mfr.tiers": ("Tiers", "档位明细"),
        "mfr.tier": ("Tier", "档位"),
        "mfr.min_achievement": ("Achievement needed", "达成率要求"),
        "mfr.tier_units": ("Units needed", "所需台数"),
        "mfr.per_unit": ("Per unit", "单台返利"),
        "mfr.pct_of_cost": ("Share of cost", "按车辆成本比例"),
        "mfr.tier_amount": ("Rebate at the tier", "该档返利"),
        "mfr.note": (
            "Earned: the highest tier reached, on the units counted so far. At the current pace: "
            "the units counted so far, continued in a straight line to the programme's end.",
            "已达成返利：按目前计入台数所达最高档计算。按进度预计：按目前节奏直线外推到政策结束日。",
        ),
        "backlog.title": ("Orders awaiting delivery", "待交车订单"),
        "backlog.order": ("Order", "订单号"),
        "backlog.order_date": ("Ordered", "订单日期"),
        "backlog.days_waiting": ("Days waiting", "等待天数"),
        "backlog.vin": ("Allocated VIN", "分配车辆 VIN"),
        "backlog.from": ("Vehicle from", "车辆来源"),
        "backlog.needs_ordering": ("Needs ordering", "需订车"),
        "backlog.caption": (
            "Allocated on {date}: an order keeps its own VIN, then the oldest order takes the "
            "oldest matching car in stock, then in transit. {n} need ordering.",
            "按 {date} 分配：订单已指定的车辆优先，其余订单按下单先后分配同车型最早到店的在库车，"
            "再分配在途车。{n} 张需订车。",
        ),
        "orders.suggested_backlog": ("Suggested incl. backlog", "含待交车建议订货量"),
        "orders.backlog_note": (
            "“Suggested order” is the stock-depth suggestion, unchanged; “Suggested incl. "
            "backlog” adds the backlog orders without a vehicle ({units} units in all).",
            "“建议订货量”为按库存深度计算的原值，不含待交车缺车；“含待交车建议订货量”另加无车可配的"
            "待交车订单（合计 {units} 台）。",
        ),
        "leads.title": ("Lead capture and lost leads", "留档与战败"),
        "leads.by_consultant": ("Lead capture by consultant", "各顾问留档率"),
        "leads.captured": ("With a customer record", "已留档"),
        "leads.first_visits": ("First-visit walk-ins", "首次来店批次"),
        "leads.reasons_trend": ("Lost leads by reason, last 12 months", "近12个月战败原因"),
        "leads.competitors": ("Top competitors, last 12 months", "主要战败竞品（近12个月）"),
        "leads.competitor": ("Bought instead", "战败车型"),
        "leads.lost_12m": ("Lost leads, 12 months", "近12个月战败数"),
        "leads.lost_period": ("Lost leads, this period", "本期战败数"),
        "attention.rebate_badge": ("Rebate", "返利"),
        "attention.rebate": (
            "{name} · {units} more {basis} units to tier {tier}: +{gain}, {days} days left",
            "{name} · 距第{tier}档还差{units}台{basis}：+{gain}，剩{days}天",
        ),
        "attention.rebate_more": (
            "… and {n} more programmes within reach of a tier: see Manufacturer",
            "……另有{n}个返利政策接近下一档，详见厂家商务",
        ),
        "attention.backlog": (
            "{n} orders wait without a car: order them from the manufacturer",
            "{n}张待交车订单无车可配，需向厂家订车",
        ),
        "attention.backlog_one": (
            "1 order waits without a car: order it from the manufacturer",
            "1张待交车订单无车可配，需向厂家订车",
        ),
    }
)
ENUMS.setdefault("basis", {}).update(
    {"retail": ("retail", "零售"), "wholesale": ("wholesale", "批发")}
)
ENUMS.setdefault("allocated_from", {}).update(
    {
        "own_vin": ("Order's own VIN", "订单指定车"),
        "stock": ("In stock", "在库"),
        "transit": ("In transit", "在途"),
    }
)
ENUMS.setdefault("lost_reason", {}).update(
    {
        "price": ("Price", "价格"),
        "competitor": ("Competitor", "竞品"),
        "financing": ("Financing", "贷款"),
        "no_stock": ("No stock", "无车"),
        "postponed": ("Postponed", "暂缓"),
        "other": ("Other", "其他"),
        "unknown": ("Not given", "未注明"),
    }
)

# Filters, drill-down, links and the consultant's page (issue 17: ui/filters.py, ui/drill.py,
# ui/links.py, ui/consultant_view.py).
STRINGS.update(
    {
        "filter.heading": ("Filters", "筛选"),
        "filter.all": ("All", "全部"),
        "filter.consultant": ("Consultant", "销售顾问"),
        "filter.model": ("Model", "车型"),
        "filter.channel": ("Channel", "渠道"),
        "filter.sale_type": ("Sale type", "销售类型"),
        "filter.buyer_type": ("Buyer type", "客户类型"),
        "filter.advisor": ("Service advisor", "服务顾问"),
        "filter.technician": ("Technician", "维修技师"),
        "filter.ro_type": ("RO type", "工单类型"),
        "filter.department": ("Department", "部门"),
        "filter.caption": ("Filtered: {what}", "已筛选：{what}"),
        "filter.not_applied": ("Not filtered by {names}", "未按{names}筛选"),
        "link.invalid": (
            "Some of the link's settings could not be used and were reset: {names}.",
            "链接中的部分参数无效，已恢复默认：{names}。",
        ),
        "drill.open": ("Records", "明细"),
        "drill.pick_row": ("Records of the row", "查看此行明细"),
        "drill.pick_kpi": ("Figure", "指标"),
        "drill.open_help": (
            "Open the records behind this figure: search, sort and download them.",
            "查看该数字背后的明细记录，可搜索、排序和下载。",
        ),
        "drill.title": ("records", "明细"),
        "drill.part": ("Show", "显示"),
        "drill.part_value": ("Records", "明细"),
        "drill.part_numerator": ("Numerator", "分子"),
        "drill.part_denominator": ("Denominator", "分母"),
        "drill.search": ("Search the records", "搜索明细"),
        "drill.search_hint": ("a name, model, VIN, date…", "姓名、车型、VIN、日期……"),
        "drill.matching": ("{n} matching rows", "匹配 {n} 行"),
        "drill.count": ("**{n}** records", "共 **{n}** 条记录"),
        "drill.sum": ("{column} total {total}", "{column}合计 {total}"),
        "drill.value": ("the figure: {value}", "对应数值：{value}"),
        "drill.unavailable": (
            "The records behind this figure are not available in this version.",
            "本版本暂不提供该数字的明细。",
        ),
        "drill.chart_hint": (
            "Click a bar or point to open its records.",
            "点击柱形或数据点可查看对应明细。",
        ),
    }
)

# Record columns (the drill-down's headers): every contract column and the derived ones.
STRINGS.update(
    {
        f"col.{name}": pair
        for name, pair in {
            "store": ("Store", "门店"),
            "accessories_cost": ("Accessories cost", "精品成本"),
            "accessories_revenue": ("Accessories revenue", "精品收入"),
            "advisor": ("Service advisor", "服务顾问"),
            "amount": ("Amount", "金额"),
            "arrival_date": ("Arrival date", "到店日期"),
            "available_hours": ("Available hours", "出勤工时"),
            "basis": ("Basis", "计算基准"),
            "buyer_type": ("Buyer type", "客户类型"),
            "campaign_id": ("Campaign", "活动编号"),
            "category": ("Category", "类别"),
            "channel": ("Channel", "渠道"),
            "clocked_hours": ("Clocked hours", "打卡工时"),
            "close_date": ("Close date", "结算日期"),
            "closed_date": ("Closed", "结案日期"),
            "comeback": ("Comeback", "返修"),
            "complaint_id": ("Complaint", "投诉编号"),
            "consultant": ("Consultant", "销售顾问"),
            "cost": ("Cost", "成本"),
            "customer_id": ("Customer", "客户编号"),
            "delivery_date": ("Delivery date", "交车日期"),
            "department": ("Department", "部门"),
            "end_date": ("End date", "结束日期"),
            "eta": ("ETA", "预计到店"),
            "event_id": ("Event", "活动编号"),
            "fi_income": ("F&I income", "金融保险收入"),
            "finance": ("Financed", "贷款"),
            "first_visit": ("First visit", "首次到店"),
            "fixed": ("Fixed", "已修复"),
            "floorplan_rate": ("Floor-plan rate", "库存融资利率"),
            "followup_date": ("Follow-up date", "回访日期"),
            "followup_id": ("Follow-up", "回访编号"),
            "insurance": ("Insured", "保险"),
            "invited": ("Invited", "邀约"),
            "kind": ("Kind", "类型"),
            "labor_cost": ("Labour cost", "工时成本"),
            "labor_hours": ("Labour hours", "工时"),
            "labor_revenue": ("Labour revenue", "工时收入"),
            "last_movement_date": ("Last movement", "最近出入库"),
            "lead_level": ("Lead level", "意向级别"),
            "level": ("Lead level", "意向级别"),
            "lost_reason": ("Lost reason", "战败原因"),
            "lost_to": ("Lost to", "流失去向"),
            "major": ("Major", "重大"),
            "metric": ("Metric", "指标"),
            "min_achievement": ("Minimum achievement", "最低达成率"),
            "model": ("Model", "车型"),
            "model_interest": ("Model of interest", "意向车型"),
            "month": ("Month", "月份"),
            "name": ("Name", "名称"),
            "open_date": ("Opened", "开单日期"),
            "opened_date": ("Opened", "受理日期"),
            "order_date": ("Order date", "订单日期"),
            "order_id": ("Order", "订单编号"),
            "ordered_date": ("Ordered", "订货日期"),
            "part_no": ("Part no.", "配件编号"),
            "parts_cost": ("Parts cost", "配件成本"),
            "parts_revenue": ("Parts revenue", "配件收入"),
            "pct_of_cost": ("% of cost", "占成本比例"),
            "per_unit": ("Per unit", "单台"),
            "program_id": ("Programme", "政策编号"),
            "qty": ("Quantity", "数量"),
            "rebate": ("Rebate", "返利"),
            "recommend": ("Recommend score", "推荐意愿"),
            "ro_id": ("Repair order", "工单号"),
            "ro_type": ("RO type", "工单类型"),
            "sale_price": ("Sale price", "成交价"),
            "sale_type": ("Sale type", "销售类型"),
            "satisfied": ("Satisfied", "满意"),
            "score": ("Score", "评分"),
            "sold_date": ("Sold", "售出日期"),
            "spend": ("Spend", "投入"),
            "start_date": ("Start date", "开始日期"),
            "status": ("Status", "状态"),
            "survey_date": ("Survey date", "调查日期"),
            "survey_id": ("Survey", "调查编号"),
            "target": ("Target", "目标"),
            "target_a_leads": ("Target A-leads", "目标A级线索"),
            "target_arrivals": ("Target arrivals", "目标到店"),
            "target_units": ("Target units", "目标台数"),
            "technician": ("Technician", "维修技师"),
            "test_drive": ("Test drive", "试驾"),
            "tier": ("Tier", "档位"),
            "trade_in": ("Trade-in", "置换"),
            "training_passed": ("Training passed", "培训通过"),
            "training_required": ("Training required", "应培训"),
            "unit_cost": ("Unit cost", "单价成本"),
            "vehicle_cost": ("Vehicle cost", "车辆成本"),
            "vin": ("VIN", "车架号"),
            "visit_date": ("Visit date", "到店日期"),
            "visit_id": ("Visit", "到店编号"),
            "wholesale_date": ("Wholesale date", "批发日期"),
            "date": ("Date", "日期"),
            "age_days": ("Age (days)", "库龄(天)"),
            "days_overdue": ("Days overdue", "逾期天数"),
            "days_open": ("Days open", "处理天数"),
            "last_contact": ("Last contact", "最近联系"),
            "cadence_days": ("Cadence (days)", "跟进周期(天)"),
            "front_gross": ("Front gross", "前端毛利"),
            "total_gross": ("Total gross", "综合毛利"),
            "gross": ("Gross", "毛利"),
            "revenue": ("Revenue", "收入"),
            "value": ("Value", "数值"),
            "days_to_close": ("Days to close", "结案天数"),
            "due_date": ("Due", "应跟进日期"),
            "stock_value": ("Stock value", "库存金额"),
            "hours": ("Hours", "工时"),
            "accessories_cost_cny": ("Accessories cost (¥)", "精品成本(元)"),
            "accessories_gross_cny": ("Accessories gross (¥)", "精品毛利(元)"),
            "accessories_revenue_cny": ("Accessories revenue (¥)", "精品收入(元)"),
            "allocated_from": ("Allocated from", "配车来源"),
            "amount_cny": ("Amount (¥)", "金额(元)"),
            "close_days": ("Days to close", "结案天数"),
            "closed": ("Closed", "已结案"),
            "cost_cny": ("Cost (¥)", "成本(元)"),
            "counted_date": ("Counted on", "计入日期"),
            "days_since_contact": ("Days since contact", "距上次联系(天)"),
            "days_since_movement": ("Days since movement", "距上次出入库(天)"),
            "days_to_deliver": ("Days to deliver", "交车用时(天)"),
            "days_waiting": ("Days waiting", "已等待(天)"),
            "detail": ("Detail", "明细"),
            "fi_income_cny": ("F&I income (¥)", "金融保险收入(元)"),
            "first_call_date": ("First call", "首次来电"),
            "first_order_date": ("First order", "首次下单"),
            "first_visit_date": ("First visit", "首次到店"),
            "first_walk_in_date": ("First walk-in", "首次进店"),
            "floorplan_cost_cny": ("Floor-plan cost (¥)", "库存融资成本(元)"),
            "front_gross_cny": ("Front gross (¥)", "前端毛利(元)"),
            "gross_cny": ("Gross (¥)", "毛利(元)"),
            "labor_revenue_cny": ("Labour revenue (¥)", "工时收入(元)"),
            "lost_date": ("Lost on", "战败日期"),
            "month_amount_cny": ("Month's amount (¥)", "当月金额(元)"),
            "nps_points": ("NPS points", "NPS 分值"),
            "outcome": ("Outcome", "结果"),
            "outcome_date": ("Outcome date", "结果日期"),
            "overdue": ("Overdue", "逾期"),
            "parts_gross_cny": ("Parts gross (¥)", "配件毛利(元)"),
            "parts_revenue_cny": ("Parts revenue (¥)", "配件收入(元)"),
            "rebate_cny": ("Rebate (¥)", "返利(元)"),
            "record_id": ("Record", "记录编号"),
            "revenue_cny": ("Revenue (¥)", "收入(元)"),
            "sale_price_cny": ("Sale price (¥)", "成交价(元)"),
            "score_x10": ("Score ×10", "评分×10"),
            "source": ("Source", "来源"),
            "stock_value_cny": ("Stock value (¥)", "库存金额(元)"),
            "unit_cost_cny": ("Unit cost (¥)", "单价成本(元)"),
            "vehicle_cost_cny": ("Vehicle cost (¥)", "车辆成本(元)"),
            "vehicle_gross_cny": ("Vehicle gross (¥)", "整车毛利(元)"),
            "visited": ("Visited", "已到店"),
        }.items()
    }
)


def column_label(column: str, lang: str | None = None) -> str:
    """Return a record column's header in the session language (ui.drill's dialog).

    A column without a translation shows its name spaced out and is recorded, so the
    translation test fails on it.
    """
    if f"col.{column}" in STRINGS:
        return t(f"col.{column}", lang)
    if _catalogue_get(column) is not None:
        return kpi_label(column, lang)
    _missing.add(f"string:col.{column}")
    return column.replace("_", " ")


# The consultant's page (pages/consultant.py, ui/consultant_view.py).
STRINGS.update(
    {
        "page.consultant": ("Consultant", "顾问业绩"),
        "consultant.title": ("Consultant: {name}", "销售顾问：{name}"),
        "consultant.pick": (
            "Choose a consultant under Filters in the sidebar, or open one from the ranking on "
            "the Sales page.",
            "请在侧边栏“筛选”中选择一位销售顾问，或从销售页的顾问排名进入。",
        ),
        "consultant.rank": ("Rank {rank} of {of} in {month}", "{month}排名 第 {rank} / {of} 名"),
        "consultant.last": ("Last place", "末位"),
        "consultant.target": ("Deliveries target achieved {value}", "交车目标达成 {value}"),
        "consultant.no_rank": ("Not ranked in the month.", "当月未进入排名。"),
        "consultant.months": ("Last 12 months", "近 12 个月"),
        "consultant.store_avg": ("Store average per consultant", "门店人均"),
        "consultant.place": ("{rank} / {of}", "{rank} / {of}"),
        "consultant.rank_col": ("Rank", "排名"),
        "consultant.open": ("Page", "个人页"),
        "consultant.open_link": ("Open", "查看"),
    }
)
