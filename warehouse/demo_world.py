"""Describe the demo group's three stores, its calendar and the sampling helpers they share.

Dates inside the demo generator are integer day numbers (days since 1970-01-01, int64) so
that numpy can do all the arithmetic; :data:`NO_DATE` marks an empty date.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

NO_DATE = np.int64(-(2**40))
# A NULL cell for np.where(): what numpy makes of a bare None, which its type stubs refuse.
NULL = np.array(None, dtype=object)
EPOCH = date(1970, 1, 1)

# Chinese New Year's day (正月初一), which drives the Spring Festival dip in showroom traffic.
CNY = {
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
    2036: date(2036, 1, 28),
}

# Month factors: autumn (金九银十) and year-end (December) are the strong months.
SEASON = np.array([1.0, 1.0, 0.94, 1.0, 0.96, 1.0, 0.94, 0.9, 0.95, 1.15, 1.18, 1.0, 1.22])
# Monday .. Sunday: families come at the weekend.
DOW = np.array([0.82, 0.78, 0.8, 0.84, 0.95, 1.75, 1.62])


def day_no(d: date) -> int:
    """Return the day number of a date."""
    return (d - EPOCH).days


def to_date(n: int) -> date:
    """Return the date of a day number."""
    return EPOCH + timedelta(days=int(n))


def day_text(days: np.ndarray, fmt: str) -> np.ndarray:
    """Return strftime(fmt) of every day number as an object array, formatting each day once."""
    uniq, inv = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
    text = np.array([to_date(d).strftime(fmt) for d in uniq], dtype=object)
    return text[inv.ravel()] if len(uniq) else np.array([], dtype=object)


def add_months(d: date, months: int) -> date:
    """Shift a date by calendar months, clamping the day to the month's length."""
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


@dataclass(frozen=True)
class Model:
    """A vehicle model of the demo brand."""

    name: str
    code: str
    msrp: float
    popularity: float
    discount: float  # typical transaction discount off MSRP
    age_factor: float  # slow sellers sit longer in stock
    fleet: bool = False


MODELS = (
    Model("Lavida", "LV", 129_900, 0.27, 0.14, 0.9, fleet=True),
    Model("Tharu", "TR", 159_900, 0.16, 0.13, 1.0),
    Model("Passat", "PS", 209_900, 0.16, 0.12, 1.0, fleet=True),
    Model("Tiguan L", "TG", 239_900, 0.16, 0.11, 1.0),
    Model("ID.4 X", "DX", 199_900, 0.10, 0.16, 1.2, fleet=True),
    Model("Teramont", "TM", 299_900, 0.09, 0.10, 1.35),
    Model("Viloran", "VL", 329_900, 0.06, 0.09, 1.8),
)

CHANNELS = ("autohome", "dongchedi", "wechat", "referral", "walk_by", "repeat_customer")
CHANNEL_WEIGHTS = np.array([0.30, 0.20, 0.13, 0.13, 0.17, 0.07])
# Probability that a first-visit prospect from each channel signs an order.
BUY_P = {
    "autohome": 0.22,
    "dongchedi": 0.20,
    "wechat": 0.22,
    "referral": 0.34,
    "walk_by": 0.12,
    "repeat_customer": 0.40,
    "outdoor_event": 0.20,
    "showroom_event": 0.30,
}
LEVELS = np.array(["O", "H", "A", "B", "C", "F", ""], dtype=object)
CADENCE = {"O": 7, "H": 2, "A": 7, "B": 14, "C": 30}


@dataclass(frozen=True)
class Style:
    """How one store's DMS writes its exports (see demo_csv)."""

    encoding: str = "utf-8"
    newline: str = "\n"
    headers: str = "mix"  # canonical | zh | en | mix (zh, en, zh, ...) | mix_en (en, zh, ...)
    dates: str = "iso"  # iso | slash | slash_short | dot | zh
    money: str = "plain"  # plain | comma | yen | fullyen | rmb
    bools: str = "10"  # 10 | truefalse | yn | zh | tick
    enums: str = "canonical"  # canonical | zh
    rates: str = "fraction"  # fraction | percent
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> attr -> value
    omit: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> optional columns

    def for_table(self, table: str) -> dict[str, str]:
        """Return the style attributes for one table, with its overrides applied."""
        base = {
            "encoding": self.encoding,
            "newline": self.newline,
            "headers": self.headers,
            "dates": self.dates,
            "money": self.money,
            "bools": self.bools,
            "enums": self.enums,
            "rates": self.rates,
        }
        base.update(self.overrides.get(table, {}))
        return base


@dataclass(frozen=True)
class StoreProfile:
    """Size, staff and export habits of one demo store."""

    store: str
    code: str
    name: str
    region: str
    walk_ins: float  # mean walk-in batches a month
    consultants: tuple[str, ...]
    advisors: tuple[str, ...]
    technicians: tuple[str, ...]
    ros: float  # repair orders a month
    labor_rate: float  # CNY per flat-rate hour
    mobile_share: float  # share of customers keyed by mobile number instead of a CRM id
    fleet_deals: float  # fleet deals a month
    sub_dealers: int
    outdoor_events: int  # a month
    invited: int  # typical invitations for a showroom event
    parts: int  # part numbers in stock
    csi: float  # mean satisfaction score (0-10)
    comeback_column: str  # flagged | sparse | none
    floorplan: str  # column | none | partial
    style: Style
    # (consultant leaving, consultant joining, window month index of the change) or None
    turnover: tuple[str, str, int] | None = None
    expense_scale: float = 1.0


PROFILES = (
    StoreProfile(
        store="sh-pudong",
        code="PD",
        name="上海浦东旗舰店",
        region="上海",
        walk_ins=1050,
        ros=1150,
        labor_rate=280.0,
        mobile_share=0.3,
        consultants=tuple("王磊 李娜 张伟 刘洋 陈静 杨帆 赵敏 黄勇 周婷 吴昊 徐丽 孙浩".split()),
        advisors=tuple("钱志强 曹颖 彭博 曾丽华 吕健".split()),
        technicians=tuple(
            "袁刚 邓辉 许斌 傅强 沈磊 曾勇 彭飞 吕鹏 苏杰 卢波 蒋涛 蔡军 "
            "贾亮 丁伟 魏东 薛峰 叶松 阎明 余海 杜刚 夏斌 钟伟 汤磊 尹杰".split()
        ),
        fleet_deals=1.4,
        sub_dealers=2,
        outdoor_events=2,
        invited=120,
        parts=420,
        csi=9.15,
        comeback_column="flagged",
        floorplan="column",
        style=Style(
            encoding="utf-8-sig",
            headers="zh",
            dates="iso",
            money="plain",
            bools="zh",
            enums="zh",
            overrides={
                "orders": {"headers": "canonical", "enums": "canonical", "bools": "10"},
                "repair_orders": {
                    "headers": "mix",
                    "dates": "slash",
                    "money": "yen",
                    "bools": "yn",
                },
                "vehicles": {"headers": "en", "encoding": "utf-8", "rates": "percent"},
                "campaigns": {"encoding": "utf-8", "money": "comma"},
                "expenses": {"encoding": "utf-8", "money": "yen"},
            },
        ),
        turnover=("孙浩", "马超", 10),
    ),
    StoreProfile(
        store="hz-xihu",
        code="XH",
        name="杭州西湖店",
        region="浙江",
        walk_ins=450,
        ros=560,
        labor_rate=250.0,
        mobile_share=0.6,
        consultants=tuple("郑凯 朱琳 胡斌 郭佳 何涛 高雪 林峰 罗欣".split()),
        advisors=tuple("苏明 蒋琪 蔡伟".split()),
        technicians=tuple("方军 石磊 崔勇 程浩 邱峰 秦亮 江涛 史刚 顾斌 侯杰".split()),
        fleet_deals=0.6,
        sub_dealers=1,
        outdoor_events=1,
        invited=60,
        parts=260,
        csi=8.95,
        comeback_column="sparse",
        floorplan="none",
        style=Style(
            encoding="utf-8",
            headers="mix",
            dates="slash_short",
            money="comma",
            bools="truefalse",
            enums="canonical",
            overrides={
                "traffic": {"headers": "zh", "enums": "zh", "bools": "zh"},
                "repair_orders": {"headers": "mix_en", "enums": "zh", "money": "yen"},
                "followups": {"dates": "zh", "enums": "zh"},
                "complaints": {"dates": "zh", "enums": "zh"},
                "orders": {"headers": "zh", "money": "yen", "dates": "iso"},
                "surveys": {"encoding": "utf-8-sig"},
            },
        ),
        turnover=("罗欣", "夏雨", 15),
    ),
    StoreProfile(
        store="nb-yinzhou",
        code="YZ",
        name="宁波鄞州店",
        region="浙江",
        walk_ins=180,
        ros=260,
        labor_rate=235.0,
        mobile_share=0.75,
        consultants=tuple("梁晨 宋雨 谢军 韩梅 唐亮 冯娟".split()),
        advisors=tuple("潘东 田芳".split()),
        technicians=tuple("任强 姜波 范伟 汪洋 陆军 金明".split()),
        fleet_deals=0.25,
        sub_dealers=0,
        outdoor_events=1,
        invited=30,
        parts=160,
        csi=8.7,
        comeback_column="none",
        floorplan="partial",
        style=Style(
            encoding="gbk",
            newline="\r\n",
            headers="zh",
            dates="dot",
            money="fullyen",
            bools="tick",
            enums="zh",
            overrides={
                "orders": {"dates": "zh", "bools": "zh"},
                "traffic": {"dates": "slash"},
                "repair_orders": {"dates": "zh", "money": "rmb"},
                "campaigns": {"headers": "canonical", "enums": "canonical", "dates": "iso"},
                "targets": {"headers": "canonical"},
            },
        ),
        expense_scale=1.1,
    ),
)


@dataclass
class Calendar:
    """The demo window: its months and days, plus a simulation horizon after the end."""

    start: int  # first day of the window (day number)
    end: int  # last day with data (--end)
    horizon: int  # last simulated day (future sales feed stock and in-transit vehicles)
    months: list[date]  # first day of every window month, oldest first

    @classmethod
    def build(cls, end: date, months: int, horizon_days: int = 240) -> Calendar:
        """Build the window of ``months`` calendar months ending with ``end``'s month."""
        first = add_months(end.replace(day=1), -(months - 1))
        month_list = [add_months(first, i) for i in range(months)]
        return cls(day_no(first), day_no(end), day_no(end) + horizon_days, month_list)

    @property
    def days(self) -> np.ndarray:
        """Return every simulated day number, window start to horizon."""
        return np.arange(self.start, self.horizon + 1, dtype=np.int64)

    def month_index(self, days: np.ndarray) -> np.ndarray:
        """Return, for each day number, its month index (0 = the window's first month)."""
        dt = (np.asarray(days, dtype=np.int64)).astype("datetime64[D]")
        months = dt.astype("datetime64[M]").astype(np.int64)
        first = np.datetime64(self.months[0], "M").astype(np.int64)
        return months - first

    def month_bounds(self, index: int) -> tuple[int, int]:
        """Return the first and last day numbers of a month index (may pass the window)."""
        first = add_months(self.months[0], index)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return day_no(first), day_no(last)

    @property
    def n_months(self) -> int:
        return len(self.months)


def day_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (year, month, day of month, weekday Monday=0) arrays for day numbers."""
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    years = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dt - dt.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (np.asarray(days, dtype=np.int64) + 3) % 7
    return years, months, dom, weekday


def traffic_factors(days: np.ndarray) -> np.ndarray:
    """Return each day's relative showroom traffic: season, weekday, holidays, slow growth."""
    years, months, dom, weekday = day_parts(days)
    f = SEASON[months] * DOW[weekday]
    for y in np.unique(years):
        c = CNY.get(int(y))
        if c is None:
            continue
        c0 = day_no(c)
        # The Spring Festival month is slow (buyers wait until after the holiday); the holiday
        # week itself is nearly closed, the ten days before it quiet.
        f = np.where((years == y) & (months == c.month), f * 0.7, f)
        f = np.where((days >= c0 - 12) & (days < c0 - 2), f * 0.8, f)
        f = np.where((days >= c0 - 2) & (days <= c0 + 5), f * 0.15, f)
    # National Day golden week brings auto-show crowds.
    f = np.where((months == 10) & (dom <= 7), f * 1.3, f)
    f = f * (1.0 + 0.03 * (days - days[0]) / 365.0)
    return f


def pick(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """Draw n indices with the given (unnormalised) weights."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def pick_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Draw one column index per row of a weight matrix (rows need not be normalised)."""
    cw = np.cumsum(weights, axis=1)
    total = cw[:, -1:]
    u = rng.random((weights.shape[0], 1)) * total
    return np.minimum((u >= cw).sum(axis=1), weights.shape[1] - 1)


def mobiles(n: int, offset: int, salt: int) -> np.ndarray:
    """Return n plausible Chinese mobile numbers (11 digits), distinct for distinct offsets.

    Number i of a call is the ``offset + i``-th of a store's sequence, so blocks drawn with
    non-overlapping offsets never collide.
    """
    prefixes = np.array(
        "138 139 136 137 150 151 158 159 186 188 135 177 189 199 131 133".split(), dtype=object
    )
    # An affine map mod 10^8 with a multiplier coprime to 10 is a bijection: distinct numbers.
    i = np.arange(offset, offset + n, dtype=np.int64)
    k = (i * 7_368_787 + salt * 104_729 + 12_345_677) % 100_000_000
    pre = prefixes[(i * 7 + salt) % len(prefixes)]
    tails = np.char.zfill(k.astype(str), 8).astype(object)
    return pre + tails


def round_to(x: np.ndarray, step: float) -> np.ndarray:
    """Round to a multiple of step (e.g. 100 yuan), then to cents."""
    return np.round(np.round(np.asarray(x) / step) * step, 2)
