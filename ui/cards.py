"""KPI cards: value, change against the previous period, last year and target, trend, status.

The status colour is the catalogue's threshold status (grey when there is no value); the
arrow's colour follows the KPI's direction, so a fall in aged stock shows green.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import streamlit as st

from kpi import attention as judging
from kpi import catalogue, targets
from ui import page_cards
from ui.formatting import is_missing, kpi_delta, kpi_value, money, number, percent, span_label
from ui.i18n import current_lang, kpi_help, kpi_label, t
from ui.theme import STATUS_BADGE

SEVERITY = judging.SEVERITY


@dataclass(frozen=True)
class CardData:
    """One KPI's figures for a card: now, previous period, last year, target share, trend."""

    kpi_id: str
    value: object
    previous: object = None
    last_year: object = None
    achievement: float | None = None  # actual ÷ target, when the KPI has a target
    trend: tuple[float, ...] = ()
    elapsed: int | None = None  # days known of a running period (Scope.elapsed)
    # What a running period's deltas compare with (the same days of the previous period and
    # of last year), e.g. '2026年11月1日–7日'; empty for a complete period.
    previous_span: str = ""
    last_year_span: str = ""


def direction(kpi_id: str) -> str:
    """Return 'up', 'down' or 'none': which way the KPI improves (catalogue direction)."""
    kpi = _get(kpi_id)
    raw = str(getattr(kpi, "direction", "") or "").strip().lower()
    if raw in {"↑", "up", "higher", "+", "1", "high"}:
        return "up"
    if raw in {"↓", "down", "lower", "-", "-1", "low"}:
        return "down"
    return "none"


_PAGE = object()


def status(kpi_id: str, value: object, overrides: dict | None = None, elapsed=_PAGE) -> str:
    """Return the catalogue's status: 'green', 'amber', 'red', 'grey' (no value) or 'neutral'.

    ``elapsed``: the days known of a running period, whose rates are not judged in its first
    week (kpi.catalogue.judged); by default the page's period (the sidebar's), so every card,
    table tint and heatmap of a page judges alike.
    """
    if is_missing(value):
        return "grey"
    if elapsed is _PAGE:
        ctx = st.session_state.get("_ctx")
        elapsed = ctx.scope.elapsed if ctx is not None else None
    return catalogue.status(kpi_id, value, overrides or {}, elapsed)


def _get(kpi_id: str):
    try:
        from kpi import catalogue
    except ImportError:
        return None
    return getattr(catalogue, "CATALOGUE", {}).get(kpi_id)


def _delta_colour(kpi_id: str) -> str:
    return {"up": "normal", "down": "inverse"}.get(direction(kpi_id), "off")


def badge(state: str) -> str:
    """Return markdown for a status badge (empty for KPIs without thresholds)."""
    if state == "neutral":
        return ""
    return f":{STATUS_BADGE[state]}-badge[{t(f'status.{state}')}]"


def card(data: CardData, overrides: dict | None = None) -> str:
    """Draw one KPI card and return its status."""
    state = status(data.kpi_id, data.value, overrides, data.elapsed)
    trend = [float(v) for v in data.trend if not is_missing(v)]
    with st.container(border=True, height="stretch"):
        st.metric(
            kpi_label(data.kpi_id),
            kpi_value(data.kpi_id, data.value),
            delta=kpi_delta(data.kpi_id, data.value, data.previous),
            delta_color=_delta_colour(data.kpi_id),
            delta_description=(
                t("card.vs_span", period=data.previous_span)
                if data.previous_span
                else t("common.vs_prev_short")
            ),
            help=kpi_help(data.kpi_id),
            chart_data=trend if len(trend) > 1 else None,
        )
        ly = kpi_delta(data.kpi_id, data.value, data.last_year)
        if not ly:
            ly_text = t("card.no_ly")
        elif data.last_year_span:
            ly_text = t("card.ly_span", delta=ly, period=data.last_year_span)
        else:
            ly_text = t("card.ly", delta=ly)
        parts = [badge(state), ly_text]
        if not is_missing(data.achievement):
            parts.append(t("card.target", value=percent(data.achievement, 0)))
        st.markdown(" · ".join(p for p in parts if p))
        _filters_and_records(data.kpi_id)
    return state


def _filters_and_records(kpi_id: str) -> None:
    """Say which of the page's filters the KPI ignores; offer its records (issue 17)."""
    from ui import drill, filters

    ctx = st.session_state.get("_ctx")
    ignored = filters.not_applied(kpi_id, getattr(ctx, "filters", None) or {})
    if ignored:
        sep = "、" if current_lang() == "zh" else ", "
        st.caption(t("filter.not_applied", names=sep.join(t(f"filter.{n}") for n in ignored)))
    drill.card_control(kpi_id)


def grid(cards: Sequence[CardData], overrides: dict | None = None, per_row: int = 4) -> dict:
    """Draw cards in rows of `per_row`; return {kpi_id: status}."""
    states: dict[str, str] = {}
    for i in range(0, len(cards), per_row):
        cols = st.columns(per_row)
        for col, data in zip(cols, cards[i : i + per_row], strict=False):
            with col:
                states[data.kpi_id] = card(data, overrides)
    return states


def attention(cards: Sequence[CardData], states: dict[str, str]) -> list[tuple[str, CardData]]:
    """Return (status, card) for cards past a warning line, most severe first."""
    flagged = [(states[c.kpi_id], c) for c in cards if states.get(c.kpi_id) in SEVERITY]
    return sorted(flagged, key=lambda sc: SEVERITY[sc[0]])


# ------------------------------------------------------------------ assembling a section's cards

# Metrics with targets whose actual kpi.targets can compute, besides deliveries.
TARGET_METRICS = ("orders", "walk_in_batches", "test_drives")


def target_achievement(metric: str, scope) -> float | None:
    """Return actual ÷ target of a metric for the scope (pooled over stores), None without one."""
    from ui import data

    if metric == "deliveries":
        return data.summary(targets, scope).get("target_achievement")
    if metric not in TARGET_METRICS:
        return None
    # Every metric's pooled share from one cached call (one pass for the actuals).
    shares = data.cached(targets.pooled_achievements, scope, metrics=TARGET_METRICS)
    return (shares or {}).get(metric)


def section_cards(
    module: ModuleType, ids: Sequence[str], scope, trend: bool = True
) -> list[CardData]:
    """Return cards for a section's KPIs: this period, the previous one, last year, trend."""
    from ui import data

    cur, prev, ly = data.summaries(module, scope, ids)
    monthly = _trend_frame(module, ids, scope) if trend else None
    spans = ("", "")
    if scope.running:
        before, year_ago = scope.shifted(-1), scope.shifted(-12)
        # the previous period's year goes without saying; last year's is named
        spans = (span_label(before.start, before.end, year=before.end.year != scope.end.year),
                 span_label(year_ago.start, year_ago.end))  # fmt: skip
    out = []
    for kpi_id in ids:
        if kpi_id not in cur:
            continue
        series: tuple = ()
        if trend and monthly is not None and kpi_id in monthly.columns:
            series = tuple(monthly[kpi_id].tolist())
            if scope.running and _additive(kpi_id):
                # a running month's sum so far would plunge the line: show complete months
                series = series[:-1]
        out.append(
            CardData(
                kpi_id,
                cur.get(kpi_id),
                prev.get(kpi_id),
                ly.get(kpi_id),
                target_achievement(kpi_id, scope),
                series,
                scope.elapsed,
                *spans,
            )
        )
    return out


def kpi_cards(ids: Sequence[str], scope) -> list[CardData]:
    """Return cards for KPIs of several modules in the order of ids (one summary per module)."""
    found = {
        card.kpi_id: card
        for module, mids in page_cards.by_module(ids).items()
        for card in section_cards(module, mids, scope)
    }
    return [found[i] for i in ids if i in found]


# Units whose monthly values add up over the days (counts, money sums): a month so far is
# not comparable with whole months on a trend line, unlike a rate or an average.
_ADDITIVE_UNITS = {"count", "batches", "calls", "units", "customers", "leads", "ros", "cny"}


# Counts taken on as_of (stock, WIP, open leads) compare with month ends as they are.
_ON_AS_OF = {"stock_units", "in_transit_units", "aged_units_90", "capital_tied_up", "open_ros",
             "open_leads", "overdue_followups", "backlog_orders", "backlog_unmatched"}  # fmt: skip


def _additive(kpi_id: str) -> bool:
    if kpi_id not in catalogue.CATALOGUE or kpi_id in _ON_AS_OF:
        return False
    return catalogue.get(kpi_id).unit in _ADDITIVE_UNITS


def _trend_frame(module: str, ids: Sequence[str], scope):
    """Return the module's 13-month trend for cards of ``ids`` (None without monthly()).

    monthly() computes the 13 months in one pass. A module listing COHORT_IDS (sales) can skip
    their costly pass (``cohorts=False``) when no card shows one of them, unless this session
    already read the full trend of the scope (then its cached copy serves every card).
    """
    from ui import data

    if not hasattr(module, "monthly"):
        return None
    full = st.session_state.setdefault("_full_trends", set())  # (module, scope) read in full
    name = module.__name__
    if data.skips_cohorts(module, ids) and (name, scope) not in full:
        return data.frame(module.monthly, scope, months=13, cohorts=False)
    full.add((name, scope))
    return data.frame(module.monthly, scope, months=13)


def attention_lines(
    values: dict,
    pacing: dict,
    scope,
    overrides: dict | None = None,
    programmes: Sequence[dict] = (),
    backlog: dict | None = None,
) -> list[str]:
    """Return markdown lines (badge + text) for the target pace and KPIs past a warning line,
    then backlog orders without a car and the rebate gaps within reach.

    Judged like for like while the period runs (kpi.attention). ``programmes``:
    kpi.programs.programs_detail's rows; ``backlog``: kpi.backlog.summary's values.
    """
    lines = []
    light = judging.target_light(pacing, scope)
    if light in SEVERITY:
        text = t(
            "overview.target_item",
            label=kpi_label("deliveries"),
            achieved=percent(pacing.get("target_achievement"), 0),
            elapsed=percent(pacing.get("time_progress"), 0),
        )
        lines.append(f"{badge(light)} {text}")
    for state, kpi_id, value in judging.items(values, scope, overrides):
        text = t("overview.attention_item", label=kpi_label(kpi_id), value=kpi_value(kpi_id, value))
        lines.append(f"{badge(state)} {text}")
    for state, _, n in judging.backlog_items(backlog or {}):
        text = t("attention.backlog_one") if n == 1 else t("attention.backlog", n=n)
        lines.append(f"{badge(state)} {text}")
    from ui import data

    items = judging.programme_items(programmes, scope)  # largest gain first
    names = data.store_names({it["store"] for it in items}) if scope.store is None else {}
    lines += [rebate_line(item, names) for item in items[:MAX_REBATE_LINES]]
    if len(items) > MAX_REBATE_LINES:
        lines.append(t("attention.rebate_more", n=len(items) - MAX_REBATE_LINES))
    return lines


# The rebate gaps the attention list names, largest gain first: a group of 700 stores has over
# a thousand within reach (the Manufacturer page lists them all).
MAX_REBATE_LINES = 10


def rebate_line(item: dict, names: dict[str, str]) -> str:
    """Return an attention line for one rebate gap: '... 6 more retail units to tier 2: +¥18万'.

    ``names``: the stores' display names when all stores are pooled (say whose programme it
    is), else empty.
    """
    from ui import auth
    from ui.i18n import enum_label

    name = item["name"]
    if names:
        name = f"{names.get(item['store'], item['store'])} · {name}"
    text = t(
        "attention.rebate",
        name=auth.md(name),
        units=number(item["units"], 0),
        basis=enum_label("basis", item["basis"]),
        tier=number(item["tier"], 0),
        gain=money(item["gain"], compact=True),
        days=number(item["days_left"], 0),
    )
    return f":blue-badge[{t('attention.rebate_badge')}] {text}"


def section(
    title: str, module: ModuleType, ids: Sequence[str], scope, overrides: dict | None = None
):
    """Draw a subheader and the cards of a section's KPIs under it; return {kpi_id: status}."""
    st.subheader(title)
    return grid(section_cards(module, ids, scope), overrides)
