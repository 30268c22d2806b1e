"""Format KPI values for the screen: percentages, yuan, counts, "—" for no value.

Rates are fractions in the library and become percentages only here. Cards use compact money
(万/亿 in Chinese, K/M in English); tables and downloads show full amounts.
"""

from __future__ import annotations

import math
from datetime import date

from kpi.scope import month_end
from ui.i18n import current_lang, t

NO_VALUE = "—"

# Unit families, matched on the catalogue's unit text.
_PERCENT = {"rate", "%", "fraction", "percent"}
_MONEY_PREFIX = ("cny", "¥", "yuan")
_INTEGER = {"batches", "calls", "units", "ros", "customers", "leads", "count", "ro", "unit"}


def is_missing(value: object) -> bool:
    """Return True for None, NaN and pandas' NA."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and pd.NA
    except (TypeError, ValueError):
        return False


def _catalogue():
    try:
        from kpi import catalogue
    except ImportError:
        return None
    return catalogue


def unit_of(kpi_id: str) -> str:
    """Return the catalogue's unit text of a KPI ('' when unknown)."""
    try:
        from kpi import catalogue
    except ImportError:
        return ""
    kpi = getattr(catalogue, "CATALOGUE", {}).get(kpi_id)
    return str(getattr(kpi, "unit", "") or "") if kpi is not None else ""


def unit_kind(unit: str) -> str:
    """Return 'percent', 'money', 'count', 'score' or 'number' for a catalogue unit."""
    u = unit.strip().lower()
    if u in _PERCENT:
        return "percent"
    if u.startswith(_MONEY_PREFIX):
        return "money"
    if u in _INTEGER:
        return "count"
    if u in {"index_100", "nps", "score"}:
        return "score"
    return "number"


def money(value: float | None, lang: str | None = None, compact: bool = False) -> str:
    """Format yuan: '¥1,234,567' or, compact, '123.5万' / '¥1.23M'."""
    if is_missing(value):
        return NO_VALUE
    lang = lang or current_lang()
    v = float(value)
    sign = "-" if v < 0 else ""
    a = abs(v)
    if compact and lang == "zh":
        if a >= 1e8:
            return f"{sign}¥{a / 1e8:,.2f}亿"
        if a >= 1e4:
            return f"{sign}¥{a / 1e4:,.1f}万"
    elif compact:
        if a >= 1e6:
            return f"{sign}¥{a / 1e6:,.2f}M"
        if a >= 1e4:
            return f"{sign}¥{a / 1e3:,.1f}K"
    return f"{sign}¥{a:,.0f}"


def percent(value: float | None, digits: int = 1) -> str:
    """Format a fraction as a percentage: 0.2345 -> '23.5%'."""
    if is_missing(value):
        return NO_VALUE
    return f"{float(value) * 100:.{digits}f}%"


def number(value: float | None, digits: int = 1) -> str:
    """Format a number: integers without decimals, others with `digits` decimals."""
    if is_missing(value):
        return NO_VALUE
    v = float(value)
    if math.isinf(v):
        return NO_VALUE
    if v == round(v) and abs(v) < 1e15:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def kpi_value(kpi_id: str, value: object, lang: str | None = None, compact: bool = True) -> str:
    """Format a KPI value by its catalogue unit: the catalogue's format, compact money on cards."""
    if is_missing(value):
        return NO_VALUE
    lang = lang or current_lang()
    kind = unit_kind(unit_of(kpi_id))
    if kind == "money" and compact and abs(float(value)) >= 1e4:
        return money(value, lang, compact=True)
    catalogue = _catalogue()
    if catalogue is not None and kpi_id in getattr(catalogue, "CATALOGUE", {}):
        return catalogue.format_value(kpi_id, value, lang)
    if kind == "percent":
        return percent(value)
    if kind == "money":
        return money(value, lang, compact=compact)
    if kind == "count":
        return number(value, digits=1)
    if kind == "score":
        return f"{float(value):.1f}"
    return number(value, digits=2 if abs(float(value)) < 10 else 1)


def kpi_delta(
    kpi_id: str, current: object, previous: object, lang: str | None = None
) -> str | None:
    """Return the change from `previous` to `current` as text, or None when it has no meaning.

    Rates change in percentage points ('+2.1 pt'); everything else in per cent of the
    previous value ('+12.5%'), which needs a non-zero previous value.
    """
    if is_missing(current) or is_missing(previous):
        return None
    lang = lang or current_lang()
    cur, prev = float(current), float(previous)
    kind = unit_kind(unit_of(kpi_id))
    if kind == "percent":
        pts = (cur - prev) * 100
        return f"{pts:+.1f} pt" if lang == "en" else f"{pts:+.1f}个百分点"
    if kind == "score":
        return f"{cur - prev:+.1f}"
    if prev == 0:
        return None
    return f"{(cur - prev) / abs(prev) * 100:+.1f}%"


def month_label(month: str, lang: str | None = None) -> str:
    """Format 'YYYY-MM' as 'Nov 2026' or '2026年11月'."""
    lang = lang or current_lang()
    y, m = (int(x) for x in month.split("-"))
    if lang == "zh":
        return f"{y}年{m}月"
    return date(y, m, 1).strftime("%b %Y")


def day_label(d: date, lang: str | None = None) -> str:
    """Format a date for captions: '25 Nov 2026' or '2026年11月25日'."""
    lang = lang or current_lang()
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {d:%b %Y}"


def span_label(start: date, end: date, lang: str | None = None, year: bool = True) -> str:
    """Format an inclusive date range compactly: '1–7 Dec 2026' or '2026年12月1日–7日'.

    ``year=False`` leaves the year out of a range inside one year ('1–7 Dec', '12月1日–7日').
    """
    lang = lang or current_lang()
    if start.year != end.year:
        if lang == "zh":
            return f"{day_label(start, lang)}–{day_label(end, lang)}"
        return f"{day_label(start, lang)} – {day_label(end, lang)}"
    if lang == "zh":
        head = f"{start.year}年" if year else ""
        if start == end:
            return f"{head}{start.month}月{start.day}日"
        tail = f"{end.day}日" if start.month == end.month else f"{end.month}月{end.day}日"
        return f"{head}{start.month}月{start.day}日–{tail}"
    tail = f" {end:%Y}" if year else ""
    if start == end:
        return f"{start.day} {start:%b}{tail}"
    if start.month == end.month:
        return f"{start.day}–{end.day} {end:%b}{tail}"
    return f"{start.day} {start:%b} – {end.day} {end:%b}{tail}"


def period_text(scope, lang: str | None = None) -> str:
    """Say what a scope shows: a month, a range, or a running period up to as_of.

    A running period names its days so far and says it is running ('1–7 Dec 2026 · running',
    '2026年12月1日–7日 · 进行中'); a complete calendar month is its month.
    """
    lang = lang or current_lang()
    if scope.running:
        known = span_label(scope.start, max(scope.start, scope.as_of), lang)
        return f"{known} · {t('period.running', lang)}"
    if scope.start.day == 1 and scope.end == month_end(scope.start):
        return month_label(f"{scope.start:%Y-%m}", lang)
    return span_label(scope.start, scope.end, lang)


def month_ticks(months: list[str], lang: str | None = None, sep: str = " ") -> list[str]:
    """Label 'YYYY-MM' months for an axis: the year only on the first month and on January.

    Charts pass sep='<br>' so the year goes under the month and the ticks stay narrow.
    """
    lang = lang or current_lang()
    out = []
    for i, m in enumerate(months):
        y, mo = (int(x) for x in m.split("-"))
        name = f"{mo}月" if lang == "zh" else date(y, mo, 1).strftime("%b")
        year = f"{y}年" if lang == "zh" else str(y)
        if i and mo != 1:
            out.append(name)
        elif lang == "zh":  # 2025年11月, or the year above the month on a chart
            out.append(f"{year}{'' if sep == ' ' else sep}{name}")
        else:
            out.append(f"{name}{sep}{year}")
    return out


def month_axis(values, lang: str | None = None) -> list[str]:
    """Return chart month_ticks for a column of 'YYYY-MM' values that may repeat (long data)."""
    values = list(values)
    unique = sorted(set(values))
    labels = dict(zip(unique, month_ticks(unique, lang, sep="<br>"), strict=True))
    return [labels[v] for v in values]


def month_ranges(months: list[str], lang: str | None = None) -> str:
    """Join sorted 'YYYY-MM' months as ranges: '2026年1月–2026年3月, 2026年5月'."""
    from kpi.scope import add_months, parse_month

    runs: list[list[str]] = []
    for m in months:
        if runs and f"{add_months(parse_month(runs[-1][-1]), 1):%Y-%m}" == m:
            runs[-1].append(m)
        else:
            runs.append([m])
    sep = "、" if (lang or current_lang()) == "zh" else ", "
    return sep.join(
        month_label(r[0], lang)
        if len(r) == 1
        else f"{month_label(r[0], lang)}–{month_label(r[-1], lang)}"
        for r in runs
    )
