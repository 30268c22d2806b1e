"""The GM's daily digest: what a general manager reads at 8:00 about yesterday.

`compose` gathers the figures as data (a Digest); `render_text`, `render_html` and
`render_markdown` turn one Digest into the e-mail's plain text and HTML and the chat Markdown
(WeCom and DingTalk), in Chinese or English. Every figure is read from kpi/: nothing here
computes a KPI.

Dates: ``today`` is the morning the digest is read; "yesterday" is today − 1 and every figure
is as of yesterday's close (the month so far runs from the 1st of yesterday's month to
yesterday, so on the 1st the digest closes the month before).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import duckdb

from kpi import catalogue
from kpi.scope import Scope

# Every word of the digest: key -> (English, Chinese).
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Daily digest", "每日经营简报"),
    "for_day": ("figures of {day}", "{day} 数据"),
    "yesterday": ("Yesterday", "昨日"),
    "walk_ins": ("walk-ins {n}", "来店 {n} 批"),
    "calls": ("calls {n}", "来电 {n} 批"),
    "test_drives": ("test drives {n}", "试驾 {n} 批"),
    "orders": ("orders {n}", "订单 {n} 台"),
    "deliveries": ("deliveries {n}", "交车 {n} 台"),
    "month": ("Month so far ({month}, to {day})", "本月至今（{month}，截至 {day}）"),
    "month_delivered": (
        "Deliveries {actual} of target {target}: {achieved} achieved, {elapsed} of the month gone",
        "交车 {actual} 台 / 目标 {target} 台：达成 {achieved}，时间进度 {elapsed}",
    ),
    "month_no_target": (
        "Deliveries {actual}; no target set for the month",
        "交车 {actual} 台；本月未设目标",
    ),
    "forecast": ("Month-end forecast: {value} deliveries", "月底预测：交车 {value} 台"),
    "forecast_range": (
        "Month-end forecast: {value} deliveries (range {low}–{high})",
        "月底预测：交车 {value} 台（区间 {low}–{high}）",
    ),
    "pace": (
        "Month-end at the current pace: {value} deliveries",
        "按当前节奏月底交车：{value} 台",
    ),
    "below_target": ("below the target of {target}", "低于目标 {target} 台"),
    "on_target": ("meets the target of {target}", "可达成目标 {target} 台"),
    "critical": ("Past the critical line", "超出预警线的指标"),
    "critical_item": ("{label}: {value} (critical line {line})",
                      "{label}：{value}（预警线 {line}）"),
    "critical_none": ("No KPI past its critical line.", "没有指标超出预警线。"),
    "overdue": ("Overdue follow-ups", "逾期未跟进线索"),
    "overdue_item": (
        "{consultant}: {n} overdue, longest {days} days",
        "{consultant}：{n} 个，最长逾期 {days} 天",
    ),
    "overdue_none": ("No follow-up overdue.", "没有逾期未跟进的线索。"),
    "unassigned": ("(no consultant)", "（未分配顾问）"),
    "aged": ("Aged stock (91 days and more)", "超龄库存（91 天及以上）"),
    "aged_item": (
        "{n} in stock, {value} at cost, oldest {days} days",
        "{n} 台，成本 {value}，最长 {days} 天",
    ),
    "aged_none": ("No unit in stock for 91 days or more.", "没有库龄 91 天及以上的车辆。"),
    "open_ros": ("Open repair orders", "未结工单"),
    "open_ros_item": ("{n} open, oldest {days} days", "{n} 张未结，最长 {days} 天"),
    "open_ros_none": ("No repair order open.", "没有未结工单。"),
    "open": ("Open", "查看"),
    "open_dashboard": ("Open the dashboard", "打开看板"),
    "trimmed": ("(shortened; the rest is on the dashboard)", "（内容过长已截断，详见看板）"),
    "test_title": ("Test message", "测试消息"),
    "test_body": (
        "This channel is set up: the daily digest and alerts of {store} will arrive here.",
        "此渠道已配置成功：{store} 的每日简报和预警将发送到这里。",
    ),
    "alert_title": ("Alert", "预警"),
    "alert_forecast": (
        "Month-end forecast {value} deliveries is below the target of {target}",
        "月底预测交车 {value} 台，低于目标 {target} 台",
    ),
    "alert_kpi": ("{label} is past its critical line: {value} (line {line})",
                  "{label} 超出预警线：{value}（预警线 {line}）"),
}  # fmt: skip

YESTERDAY_IDS = ("walk_in_batches", "phone_batches", "test_drives", "orders", "deliveries")
_YESTERDAY_WORDS = dict(zip(YESTERDAY_IDS, ("walk_ins", "calls", "test_drives", "orders",
                                            "deliveries"), strict=True))  # fmt: skip
# The KPI sections whose scalars are checked against their critical lines (marketing has none).
CHECKED_SECTIONS = ("sales", "targets", "inventory", "service", "customers", "finance")
AGED_DAYS = 91
# The dashboard page each KPI section's figures come from (dashboard.py's url paths).
SECTION_PAGE = {"sales": "sales", "targets": "targets", "inventory": "inventory",
                "service": "service", "customers": "customers", "finance": "finance"}  # fmt: skip
WORKSHOP_IDS = {"tech_productivity", "training_compliance", "parts_months_supply"}


def word(key: str, lang: str, **values: object) -> str:
    """Return a digest word in the language ('zh' or 'en'), formatted with ``values``."""
    en, zh = WORDS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Month:
    """The month so far against target, and where it is heading."""

    month: str  # 'YYYY-MM'
    as_of: date
    deliveries: int
    target: float | None
    achievement: float | None
    time_progress: float | None
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    from_forecast: bool  # False: the forecast is the month-end pace (no kpi.forecast yet)

    @property
    def below_target(self) -> bool:
        """Tell whether the month-end forecast falls short of a (non-zero) target."""
        return bool(self.target) and self.forecast is not None and self.forecast < self.target


@dataclass(frozen=True)
class Critical:
    kpi_id: str
    value: float
    line: float


@dataclass(frozen=True)
class Overdue:
    consultant: str | None
    leads: int
    max_days: int


@dataclass(frozen=True)
class Digest:
    """One store's digest as data: rendered by render_text / render_html / render_markdown."""

    store: str
    store_name: str
    today: date
    yesterday: dict[str, int]
    month: Month
    critical: tuple[Critical, ...]
    overdue: tuple[Overdue, ...]
    aged_units: int
    aged_cost: float
    aged_oldest_days: int | None
    open_ros: int
    open_ros_oldest_days: int | None
    base_url: str

    @property
    def day(self) -> date:
        return self.today - timedelta(days=1)

    def link(self, page: str, lang: str) -> str:
        """Return the dashboard address of a page for this store (opens on the phone too)."""
        query = urlencode({"store": self.store, "lang": lang})
        # the Overview is the app's default page: it lives at the root, /overview is no page
        path = "" if page == "overview" else page
        return f"{self.base_url.rstrip('/')}/{path}?{query}"


# ---- composing ---------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def thresholds(con: duckdb.DuckDBPyConnection, store: str) -> dict:
    """Return the store's threshold overrides (stores.thresholds JSON; {} when none or bad)."""
    import json

    row = con.execute("SELECT thresholds FROM stores WHERE store = $s", {"s": store}).fetchone()
    try:
        value = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def critical_kpis(
    values: dict[str, Any], overrides: dict, elapsed: int | None = None
) -> tuple[Critical, ...]:
    """Return the catalogue's scalar KPIs whose value is past the critical line, in order.

    ``elapsed``: the days known of a running month (Scope.elapsed): its rates are judged from
    its second week only, as on the Overview (kpi.catalogue.judged).
    """
    out = []
    for kpi_id, kpi in catalogue.CATALOGUE.items():
        value = _number(values.get(kpi_id))
        if kpi.kind != "scalar" or value is None:
            continue
        if catalogue.status(kpi_id, value, overrides, elapsed) == "red":
            _, line = catalogue.thresholds_for(kpi_id, overrides)
            out.append(Critical(kpi_id, value, float(line)))  # type: ignore[arg-type]
    return tuple(out)


def month_figures(con: duckdb.DuckDBPyConnection, scope: Scope, kpis: dict[str, Any]) -> Month:
    """Return the month so far from the running month's KPIs (kpi.report.compute_kpis)."""
    from kpi import targets

    found = targets.targets_for(con, scope, targets.REPORT_METRIC)["target"]
    shares = [float(v) for v in found.tolist() if _number(v)]
    target = sum(shares) if shares else None
    forecast = _number(kpis.get("deliveries_forecast"))
    from_forecast = forecast is not None
    return Month(
        month=f"{scope.start:%Y-%m}",
        as_of=scope.as_of,
        deliveries=int(kpis.get("deliveries") or 0),
        target=target,
        achievement=_number(kpis.get("target_achievement")),
        time_progress=_number(kpis.get("time_progress")),
        forecast=forecast if from_forecast else _number(kpis.get("pace")),
        forecast_low=_number(kpis.get("deliveries_forecast_low")),
        forecast_high=_number(kpis.get("deliveries_forecast_high")),
        from_forecast=from_forecast,
    )


def month_kpis(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return the scalar KPIs of the checked sections for a (running) month scope."""
    from kpi.report import compute_kpis

    return compute_kpis(con, scope, CHECKED_SECTIONS)


def compose(con: duckdb.DuckDBPyConnection, store: str, today: date, base_url: str) -> Digest:
    """Return a store's digest for the morning of ``today`` (figures as of yesterday)."""
    from kpi import customers, inventory, sales, service

    day = today - timedelta(days=1)
    one_day = Scope.for_range(day, day, today=day, store=store)
    counts = sales.counts_by(con, one_day, "store")
    yesterday = {k: int(counts[k].sum()) if not counts.empty else 0 for k in YESTERDAY_IDS}
    month = Scope.for_month(day, today=day, store=store)
    kpis = month_kpis(con, month)
    overrides = thresholds(con, store)

    overdue = customers.overdue_list(con, month)
    per_consultant = []
    if not overdue.empty:
        grouped = overdue.groupby(overdue["consultant"].fillna(""), sort=False)
        for name, rows in grouped:
            per_consultant.append(Overdue(name or None, len(rows), int(rows["days_overdue"].max())))
        per_consultant.sort(key=lambda o: (-o.leads, -o.max_days, o.consultant or ""))
    aged = inventory.aged_units(con, month, AGED_DAYS)
    ros = service.open_ro_list(con, month)
    name = con.execute("SELECT name FROM stores WHERE store = $s", {"s": store}).fetchone()
    return Digest(
        store=store,
        store_name=(name[0] if name and name[0] else store),
        today=today,
        yesterday=yesterday,
        month=month_figures(con, month, kpis),
        critical=critical_kpis(kpis, overrides, month.elapsed),
        overdue=tuple(per_consultant),
        aged_units=len(aged),
        aged_cost=float(aged["cost"].fillna(0).sum()) if len(aged) else 0.0,
        aged_oldest_days=int(aged["age_days"].max()) if len(aged) else None,
        open_ros=len(ros),
        open_ros_oldest_days=int(ros["age_days"].max()) if len(ros) else None,
        base_url=base_url,
    )


# ---- rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A rendered block: heading, lines and the page they link to."""

    heading: str
    lines: tuple[str, ...]
    page: str


def _count(x: float | None, lang: str) -> str:
    return catalogue.format_unit("count", None if x is None else round(x), lang)


def _page_of(kpi_id: str) -> str:
    if kpi_id in WORKSHOP_IDS:
        return "workshop"
    return SECTION_PAGE.get(catalogue.get(kpi_id).section, "overview")


def _day(d: date, lang: str) -> str:
    return f"{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {d:%b}"


def title(d: Digest, lang: str) -> str:
    """Return the message title: store, 'Daily digest', the day the figures are of."""
    day = f"{d.day:%Y-%m-%d}"
    return f"{d.store_name} · {word('title', lang)} · {word('for_day', lang, day=day)}"


def sections(d: Digest, lang: str) -> list[Section]:
    """Return the digest's blocks in reading order, each with its lines in ``lang``."""
    y = d.yesterday
    counts = " · ".join(
        word(_YESTERDAY_WORDS[k], lang, n=_count(y[k], lang)) for k in YESTERDAY_IDS
    )
    out = [Section(word("yesterday", lang), (counts,), "sales")]
    m = d.month
    pct = lambda v: catalogue.format_unit("rate", v, lang)  # noqa: E731
    if m.target:
        first = word("month_delivered", lang, actual=_count(m.deliveries, lang),
                     target=_count(m.target, lang), achieved=pct(m.achievement),
                     elapsed=pct(m.time_progress))  # fmt: skip
    else:
        first = word("month_no_target", lang, actual=_count(m.deliveries, lang))
    if m.from_forecast and m.forecast_low is not None and m.forecast_high is not None:
        fc = word("forecast_range", lang, value=_count(m.forecast, lang),
                  low=_count(m.forecast_low, lang), high=_count(m.forecast_high, lang))  # fmt: skip
    elif m.from_forecast:
        fc = word("forecast", lang, value=_count(m.forecast, lang))
    else:
        fc = word("pace", lang, value=_count(m.forecast, lang))
    if m.target and m.forecast is not None:
        verdict = "below_target" if m.below_target else "on_target"
        fc += ("，" if lang == "zh" else ", ") + word(verdict, lang, target=_count(m.target, lang))
    month_label = f"{m.month[:4]}年{int(m.month[5:])}月" if lang == "zh" else m.month
    out.append(
        Section(
            word("month", lang, month=month_label, day=_day(m.as_of, lang)), (first, fc), "targets"
        )  # fmt: skip
    )
    crit = tuple(
        word(
            "critical_item",
            lang,
            label=catalogue.get(c.kpi_id).label(lang),
            value=catalogue.format_value(c.kpi_id, c.value, lang),
            line=catalogue.format_value(c.kpi_id, c.line, lang),
        )  # fmt: skip
        for c in d.critical
    )
    out.append(Section(word("critical", lang), crit or (word("critical_none", lang),), "overview"))
    overdue = tuple(
        word(
            "overdue_item",
            lang,
            consultant=o.consultant or word("unassigned", lang),
            n=_count(o.leads, lang),
            days=o.max_days,
        )  # fmt: skip
        for o in d.overdue
    )
    out.append(Section(word("overdue", lang), overdue or (word("overdue_none", lang),),
                       "customers"))  # fmt: skip
    aged = (
        word("aged_item", lang, n=_count(d.aged_units, lang),
             value=catalogue.format_unit("cny", d.aged_cost, lang), days=d.aged_oldest_days)
        if d.aged_units else word("aged_none", lang)
    )  # fmt: skip
    out.append(Section(word("aged", lang), (aged,), "inventory"))
    ros = (
        word("open_ros_item", lang, n=_count(d.open_ros, lang), days=d.open_ros_oldest_days)
        if d.open_ros else word("open_ros_none", lang)
    )  # fmt: skip
    out.append(Section(word("open_ros", lang), (ros,), "service"))
    return out


def critical_pages(d: Digest) -> dict[str, str]:
    """Return the page each critical KPI links to (for the chat and HTML renderings)."""
    return {c.kpi_id: _page_of(c.kpi_id) for c in d.critical}


def render_text(d: Digest, lang: str) -> str:
    """Return the digest as plain text (the e-mail's text part), links on their own lines."""
    lines = [title(d, lang), ""]
    for s in sections(d, lang):
        lines.append(f"{s.heading}  {d.link(s.page, lang)}")
        lines += [f"  - {line}" for line in s.lines]
        lines.append("")
    lines.append(f"{word('open_dashboard', lang)}: {d.link('overview', lang)}")
    return "\n".join(lines) + "\n"


def render_html(d: Digest, lang: str) -> str:
    """Return the digest as an HTML document (the e-mail's HTML part); data is escaped."""
    e = html.escape
    parts = [
        "<!doctype html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{e(title(d, lang))}</title></head>",
        "<body style=\"font-family: 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei',"
        ' sans-serif; max-width: 640px; margin: auto; line-height: 1.5">',
        f"<h2>{e(title(d, lang))}</h2>",
    ]
    pages = critical_pages(d)
    for s in sections(d, lang):
        link = e(d.link(s.page, lang), quote=True)
        parts.append(
            f'<h3>{e(s.heading)} <small><a href="{link}">{e(word("open", lang))}</a></small></h3>'
        )
        items = []
        for i, line in enumerate(s.lines):
            if s.page == "overview" and i < len(d.critical):
                href = e(d.link(pages[d.critical[i].kpi_id], lang), quote=True)
                items.append(f'<li><a href="{href}">{e(line)}</a></li>')
            else:
                items.append(f"<li>{e(line)}</li>")
        parts.append("<ul>" + "".join(items) + "</ul>")
    overview = e(d.link("overview", lang), quote=True)
    parts.append(f'<p><a href="{overview}">{e(word("open_dashboard", lang))}</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_MD_ACTIVE = re.compile(r"[\\`*_\[\]<>|]")


def md_safe(text: str) -> str:
    """Return data text with the characters chat Markdown would act on removed."""
    return _MD_ACTIVE.sub("", str(text))


def render_markdown(d: Digest, lang: str) -> str:
    """Return the chat Markdown (WeCom and DingTalk both render this subset)."""
    lines = [f"### {md_safe(title(d, lang))}"]
    pages = critical_pages(d)
    for s in sections(d, lang):
        lines.append("")
        lines.append(f"**{md_safe(s.heading)}** [{word('open', lang)}]({d.link(s.page, lang)})")
        for i, line in enumerate(s.lines):
            if s.page == "overview" and i < len(d.critical):
                href = d.link(pages[d.critical[i].kpi_id], lang)
                lines.append(f"- [{md_safe(line)}]({href})")
            else:
                lines.append(f"- {md_safe(line)}")
    lines.append("")
    lines.append(f"[{word('open_dashboard', lang)}]({d.link('overview', lang)})")
    return "\n".join(lines)
