"""The showroom TV: URL options, static CSS, cached panel data and the four panel renderers.

The TV URL (docs/TV.md) is `/kanban?tv=1&store=sh-pudong`, with optional `panel=leaderboard`
(one panel, no rotation), `panels=leaderboard,today` (the rotation), `rotate=20` (seconds per
panel), `refresh=30` (seconds between data reads), `stale=120` (minutes before the stale-data
banner, 0 = off) and `lang=en`.

Data never goes into HTML: panels are Streamlit elements (metrics, tables, badges, text) styled
by the constant CSS below through the keyed containers' `st-key-*` classes. Sizes are in vw/vh
units so the same page fills a 1920x1080 and a 3840x2160 screen alike.
"""

from __future__ import annotations

import math
import os
import time as clock
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from kpi import kanban
from kpi.scope import today_in
from ui import data
from ui.formatting import NO_VALUE, is_missing, number, percent
from ui.i18n import kpi_label, t
from warehouse import db, live

PANELS = kanban.PANELS
DEFAULTS = {"rotate": 20, "refresh": 30, "stale": 120}
LIMITS = {"rotate": (3, 3600), "refresh": (1, 3600), "stale": (0, 7 * 24 * 60)}
MAX_ROWS = 12  # rows that fit a 1080-line screen at the leaderboard's type size
READ_TIMEOUT_S = 2.0  # a busy database must not freeze the TV: show the last numbers instead

# The TV shows only the board: Streamlit's header, toolbar, menu, sidebar and footer go.
CHROME_OFF_CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stMainMenu"], #MainMenu, [data-testid="stStatusWidget"], footer,
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarNav"], [data-testid="stBottom"] { display: none !important; }
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0B1220 !important; overflow: hidden !important;
}
[data-testid="stMainBlockContainer"], .block-container {
  padding: 1.2vh 2vw 0 2vw !important; max-width: 100% !important;
}
/* A refresh must not dim the board while the fragment reruns. */
[data-stale="true"], .stale-element { opacity: 1 !important; transition: none !important; }
</style>
"""

# The board itself: dark, very large type, sized to the screen. Used in and out of TV mode.
BOARD_CSS = """
<style>
.st-key-tv-preview { zoom: 0.6; }
.st-key-tv-board { background: #0B1220; color: #F3F4F6; padding: 1vh 1.2vw; border-radius: 8px;
  min-height: 96vh;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", sans-serif; }
.st-key-tv-board p, .st-key-tv-board [data-testid="stText"], .st-key-tv-board th,
.st-key-tv-board td { color: #F3F4F6; }
.st-key-tv-header { border-bottom: 2px solid #1F2A44; padding-bottom: 0.8vh; }
.st-key-tv-store, .st-key-tv-title, .st-key-tv-clock { flex: 1 1 0 !important; min-width: 0; }
.st-key-tv-header [data-testid="stText"], .st-key-tv-header [data-testid="stText"] span {
  font-size: 2.4vw; font-weight: 700; line-height: 1.15; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; display: block; color: #F3F4F6 !important; }
.st-key-tv-title [data-testid="stText"], .st-key-tv-title [data-testid="stText"] span {
  color: #93C5FD !important; text-align: center; }
.st-key-tv-clock [data-testid="stText"], .st-key-tv-clock [data-testid="stText"] span {
  font-size: 3vw; text-align: right; font-variant-numeric: tabular-nums; }
.st-key-tv-clock [data-testid="stElementContainer"],
.st-key-tv-title [data-testid="stElementContainer"] { width: 100% !important; }
.st-key-tv-footer [data-testid="stText"] span { font-size: 1.2vw; color: #9CA3AF !important; }
.st-key-tv-note [data-testid="stText"] span { font-size: 1.3vw; color: #FBBF24 !important; }
.st-key-tv-stale [data-testid="stAlert"] p { font-size: 1.9vw; color: #111827 !important; }
.st-key-tv-stale [data-testid="stAlertContainer"], .st-key-tv-stale [data-testid="stAlert"] > div {
  background: #FBBF24 !important; }
.st-key-tv-board [data-testid="stTable"] table { width: 100%; border-collapse: collapse; }
.st-key-tv-board [data-testid="stTable"] th {
  font-size: min(1.6vw, 2.6vh); color: #9CA3AF !important; background: #111A2E !important;
  padding: 0.6vh 1vw !important; border-color: #1F2A44 !important; }
.st-key-tv-board [data-testid="stTable"] th p { color: #9CA3AF !important; }
.st-key-tv-board [data-testid="stTable"] td {
  font-size: min(2.5vw, 3.9vh); line-height: 1.12; padding: 0.35vh 1vw !important;
  border-color: #1F2A44 !important; background: transparent !important;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.st-key-tv-board [data-testid="stTable"] td:nth-child(n+3),
.st-key-tv-board [data-testid="stTable"] th:nth-child(n+3) { text-align: right !important; }
.st-key-tv-board [data-testid="stTable"] td:first-child { width: 7vw; }
.st-key-tv-board [data-testid="stTable"] td:nth-child(2) {
  max-width: 26vw; overflow: hidden; text-overflow: ellipsis; }
.st-key-tv-panel-leaderboard [data-testid="stTable"] tr:last-child td {
  font-weight: 700; border-top: 4px solid #93C5FD !important; background: #111A2E !important; }
.st-key-tv-board .stMarkdownColoredText { filter: brightness(1.9) saturate(1.3); }
.st-key-tv-board [data-testid="stMetric"] { background: #111A2E; border-radius: 14px;
  padding: 2vh 1.4vw; }
.st-key-tv-board [data-testid="stMetricLabel"] p { font-size: 2vw !important;
  color: #CBD5E1 !important; white-space: nowrap; }
.st-key-tv-board [data-testid="stMetricLabel"] { height: auto !important; }
.st-key-tv-board [data-testid="stMetricValue"] p { font-size: 9vw !important; font-weight: 700;
  line-height: 1.05; font-variant-numeric: tabular-nums; overflow: visible !important;
  text-overflow: clip !important; }
.st-key-tv-board [data-testid="stMetricValue"] { height: auto !important; }
.st-key-tv-board [data-testid="stMetricDelta"] { background: transparent !important;
  filter: brightness(1.8); padding: 0 !important; }
.st-key-tv-board [data-testid="stMetricDelta"] p { font-size: 2.2vw !important;
  color: inherit !important; }
.st-key-tv-board [data-testid="stMetricDelta"] svg { width: 2.2vw; height: 2.2vw; }
.st-key-tv-board [data-testid="stCaptionContainer"] p { font-size: 1.8vw !important;
  color: #CBD5E1 !important; }
.st-key-tv-month [data-testid="stMetricValue"] p { font-size: 7vw !important; }
.st-key-tv-month [data-testid="stMarkdownContainer"] p { font-size: 2.2vw; line-height: 1.35; }
.st-key-tv-board [data-testid="stProgressBarTrack"] { background: #1F2A44 !important;
  height: 2.2vh !important; }
.st-key-tv-board [data-testid="stProgressBarTrack"] > div { height: 100% !important;
  background: #64748B !important; }
[class*="st-key-tv-bar-green"] [data-testid="stProgressBarTrack"] > div {
  background: #22C55E !important; }
[class*="st-key-tv-bar-amber"] [data-testid="stProgressBarTrack"] > div {
  background: #F59E0B !important; }
[class*="st-key-tv-bar-red"] [data-testid="stProgressBarTrack"] > div {
  background: #EF4444 !important; }
.st-key-tv-month .stMarkdownColoredText { font-weight: 700; }
</style>
"""


@dataclass(frozen=True)
class TvOptions:
    """What the TV URL asks for: mode, store, panels and the three intervals."""

    tv: bool
    store: str | None
    panels: tuple[str, ...]
    rotate_s: int
    refresh_s: int
    stale_min: int
    ignored: tuple[str, ...] = ()  # query parameters that were not valid (defaults used)

    @property
    def tick_s(self) -> int:
        """Return how often the board reruns: the refresh, or finer so panels turn on time."""
        if len(self.panels) < 2:
            return self.refresh_s
        return math.gcd(self.rotate_s, self.refresh_s)


def _int(params: Mapping[str, str], name: str) -> int | None:
    """Return a whole number of the query within LIMITS, or None (invalid: use the default).

    'inf', 'nan', '1e400', words and numbers out of range are all invalid.
    """
    if name not in params:
        return DEFAULTS[name]
    low, high = LIMITS[name]
    try:
        value = float(str(params.get(name)).strip())
    except ValueError:
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return int(value)


def options_from(params: Mapping[str, str]) -> TvOptions:
    """Return the TV options of a query string; unknown panels and bad numbers fall back to
    the defaults and are named in ``ignored`` (the board says so)."""
    from ui.auth import canonical_store

    ignored: list[str] = []
    one = str(params.get("panel", "")).strip()
    wanted = [one] if one else [p for p in str(params.get("panels", "")).split(",") if p.strip()]
    panels = tuple(p.strip() for p in wanted if p.strip() in PANELS)
    if len(panels) < len(wanted):
        ignored.append("panel" if one else "panels")
    numbers = {}
    for name in ("rotate", "refresh", "stale"):
        value = _int(params, name)
        if value is None:
            ignored.append(name)
        numbers[name] = DEFAULTS[name] if value is None else value
    return TvOptions(
        tv=str(params.get("tv", "")).strip().lower() in ("1", "true", "yes"),
        store=canonical_store(params.get("store")),
        panels=panels or PANELS,
        rotate_s=numbers["rotate"],
        refresh_s=numbers["refresh"],
        stale_min=numbers["stale"],
        ignored=tuple(ignored),
    )


def is_tv(params: Mapping[str, str]) -> bool:
    """Return True when the URL asks for TV mode (?tv=1): no menu, sidebar or Streamlit chrome."""
    return options_from(params).tv


def navigation(items: list) -> StreamlitPage:
    """Return st.navigation over the app's pages with the menu hidden (TV mode).

    The same pages and URL paths as ui.nav.navigation, so /kanban?tv=1 opens the board; with
    position="hidden" no page list shows anywhere. (Registering the board alone would make it
    the default page, served at / only, and /kanban would first say "page not found".)
    """
    from ui.nav import ROOT

    pages = [
        st.Page(str(ROOT / i.file), title=i.url_path, url_path=i.url_path, default=i.default)
        for i in items
    ]
    return st.navigation(pages, position="hidden")


def panel_at(panels: tuple[str, ...], rotate_s: int, now_s: float) -> str:
    """Return the panel showing at a wall-clock second (every TV on the same URL in step)."""
    return panels[int(now_s // rotate_s) % len(panels)]


# ----------------------------------------------------------------------------- time and data


def zone(tz: str) -> ZoneInfo:
    """Return the store's timezone (Asia/Shanghai when the setting is not a known zone)."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def store_now(tz: str) -> datetime:
    """Return now in the store's timezone; $KPI_TODAY (tests, demos) fixes the date part."""
    now = datetime.now(zone(tz))
    forced = os.environ.get("KPI_TODAY")
    if forced:
        day = date.fromisoformat(forced.strip())
        now = now.replace(year=day.year, month=day.month, day=day.day)
    return now


def store_today(tz: str) -> date:
    """Return today's date in the store's timezone (or $KPI_TODAY)."""
    forced = os.environ.get("KPI_TODAY")
    return date.fromisoformat(forced.strip()) if forced else today_in(tz)


@dataclass(frozen=True)
class Snapshot:
    """Everything one refresh shows, read in one short connection."""

    settings: dict
    today: date
    board: kanban.Board
    floor: pd.DataFrame
    month: pd.DataFrame
    models: pd.DataFrame
    newest: datetime | None


@st.cache_data(show_spinner=False, max_entries=32)
def _settings(path: str, version: int, store: str) -> dict:
    with data.reading(path, timeout_s=READ_TIMEOUT_S) as con:
        settings = live.store_settings(con, store)
        settings["exists"] = store in db.list_stores(con)
        return settings


@st.cache_data(show_spinner=False, max_entries=32)
def _snapshot(path: str, version: int, store: str, today: date) -> Snapshot:
    with data.reading(path, timeout_s=READ_TIMEOUT_S) as con:
        settings = live.store_settings(con, store)
        return Snapshot(
            settings=settings,
            today=today,
            board=kanban.leaderboard(con, store, today),
            floor=kanban.today_floor(con, store, today),
            month=kanban.month_progress(con, store, today),
            models=kanban.models(con, store, today),
            newest=live.newest_record_at(con, store, settings["timezone"]),
        )


def settings(path: str, version: int, store: str) -> dict:
    """Return the store's name, timezone, opening hours and whether it exists (cached)."""
    return _settings(path, version, store)


def snapshot(path: str, version: int, store: str) -> Snapshot:
    """Return the four panels' numbers for the store's today (cached by data version)."""
    tz = _settings(path, version, store)["timezone"]
    return _snapshot(path, version, store, store_today(tz))


# Every read failure keeps the last board with "reconnecting": busy, and also a damaged,
# read-only or newer database, a full disk (warehouse.errors) or a file being replaced.
READ_ERRORS = (db.DatabaseError, duckdb.Error, OSError)


def probe() -> tuple[str, int] | None:
    """Return the database path and its data version, or None when there is no database.

    Unlike ui.data.probe this raises while the database is busy (READ_ERRORS), so the TV can
    say it is reconnecting instead of quietly showing old numbers as new.
    """
    path = str(db.db_path())
    if not os.path.exists(path):
        return None
    with data.reading(path, timeout_s=READ_TIMEOUT_S) as con:
        return path, db.data_version(con)


# ----------------------------------------------------------------------------- rendering


def _count(value: object) -> str:
    return NO_VALUE if is_missing(value) else number(value, digits=1)


def header(store_name: str, title: str, now: datetime) -> None:
    """Draw the top line: store name, panel title and the clock (store time)."""
    with st.container(key="tv-header", horizontal=True, vertical_alignment="center"):
        with st.container(key="tv-store"):
            st.text(store_name)
        with st.container(key="tv-title"):
            st.text(title)
        with st.container(key="tv-clock"):
            st.text(f"{now:%H:%M}")


def leaderboard(board: kanban.Board) -> None:
    """Draw consultants ranked by deliveries with target, achievement and status; team total."""
    rows = board.rows.head(MAX_ROWS)
    columns = [t("tv.rank"), t("tv.consultant"), t("tv.deliveries"), t("tv.orders"),
               t("tv.target"), t("tv.achievement"), t("tv.status")]  # fmt: skip
    lines = [
        [str(r["rank"]), _text(r["consultant"]), _count(r["deliveries"]), _count(r["orders"]),
         _count(r["target"]), percent(r["achievement"], 0), _status_text(r["traffic_light"])]
        for r in rows.to_dict("records")
    ]  # fmt: skip
    total = board.total
    lines.append([
        "", t("tv.team"), _count(total["deliveries"]), _count(total["orders"]),
        _count(total["target"]), percent(total["achievement"], 0),
        _status_text(total["traffic_light"]),
    ])  # fmt: skip
    # every cell is text (the team row too): one frame, no column of another dtype
    table = pd.DataFrame(lines, columns=columns, dtype=object)
    st.table(table, hide_index=True)
    more = len(board.rows) - len(rows)
    st.caption(
        t("tv.time_progress", value=percent(board.time_progress, 0))
        + (f" · {t('tv.more', n=more)}" if more > 0 else "")
    )


def _text(value: object) -> str:
    """Return data for a st.table cell, which renders Markdown: escaped, so it shows as text."""
    from ui.auth import md

    return md(value)


def _state(state: object) -> str:
    """Return 'green', 'amber', 'red', or 'grey' for no value."""
    return state if isinstance(state, str) and state in ("green", "amber", "red") else "grey"


def _status_text(state: object) -> str:
    """Return the status as coloured Markdown text (the table renders cell Markdown)."""
    key = _state(state)
    colour = {"green": "green", "amber": "orange", "red": "red", "grey": "gray"}[key]
    label = NO_VALUE if key == "grey" else t(f"status.{key}")
    return f":{colour}[● {label}]"


def today_floor(floor: pd.DataFrame) -> None:
    """Draw today's five floor counts, each against its 8-week same-weekday average."""
    rows = list(floor.itertuples(index=False))
    for line in (rows[:3], rows[3:]):
        cols = st.columns(len(line), gap="medium")
        for col, row in zip(cols, line, strict=True):
            with col:
                avg = None if is_missing(row.avg_8w) else float(row.avg_8w)
                diff = None if avg is None else round(row.today - avg, 1)
                st.metric(
                    kpi_label(row.metric),
                    _count(row.today),
                    delta=None if diff is None else ("±0" if diff == 0 else f"{diff:+.1f}"),
                    delta_color="off" if diff == 0 else "normal",
                    delta_arrow="off" if diff == 0 else "auto",
                    delta_description=t(
                        "tv.avg_8w", value=NO_VALUE if avg is None else number(avg, 1)
                    ),
                )


def month_progress(month: pd.DataFrame) -> None:
    """Draw store actuals against target and time progress, with the month-end projection."""
    rows = list(month.itertuples(index=False))
    with st.container(key="tv-month"):
        for line in (rows[:2], rows[2:]):
            cols = st.columns(len(line), gap="large")
            for col, row in zip(cols, line, strict=True):
                with col:
                    _month_card(row)


def _month_lines(row) -> list[str]:
    """Return the month card's lines: status, target, achievement, time, and the outlook.

    Deliveries show the month-end forecast with its 80 % range (and the chance of reaching
    the target when known) beside the straight line; the other metrics their straight line.
    """
    ach = None if is_missing(row.achievement) else float(row.achievement)
    lines = [
        _status_text(row.traffic_light),
        t("tv.target_of", value=_count(row.target)),
        t("tv.achieved", value=percent(ach, 0)),
        t("tv.time_progress", value=percent(row.time_progress, 0)),
    ]
    if is_missing(getattr(row, "forecast", None)):
        return [*lines, t("tv.pace", value=number(row.pace, 0))]
    low, high = (NO_VALUE if is_missing(v) else number(v, 0)
                 for v in (row.forecast_low, row.forecast_high))  # fmt: skip
    outlook = t("tv.forecast", value=number(row.forecast, 0), low=low, high=high)
    if not is_missing(row.target_chance):  # one line: the card stays as tall as the others
        outlook += " · " + t("tv.chance", value=percent(row.target_chance, 0))
    return [*lines, outlook, t("tv.pace_line", value=number(row.pace, 0))]


def _month_card(row) -> None:
    ach = None if is_missing(row.achievement) else float(row.achievement)
    left, right = st.columns([1, 1], vertical_alignment="center")
    with left:
        st.metric(kpi_label(row.metric), _count(row.actual))
    with right:
        st.markdown("  \n".join(_month_lines(row)))
    with st.container(key=f"tv-bar-{_state(row.traffic_light)}-{row.metric}"):
        st.progress(min(max(ach or 0.0, 0.0), 1.0))


def models(frame: pd.DataFrame) -> None:
    """Draw orders and deliveries per model this month against units in stock."""
    rows = frame.head(MAX_ROWS)
    table = pd.DataFrame(
        {
            t("tv.rank"): [str(i + 1) for i in range(len(rows))],
            t("tv.model"): [NO_VALUE if is_missing(m) else _text(m) for m in rows["model"]],
            t("tv.orders"): [_count(v) for v in rows["orders"]],
            t("tv.deliveries"): [_count(v) for v in rows["deliveries"]],
            t("tv.stock"): [_count(v) for v in rows["stock_units"]],
        }
    )
    with st.container(key="tv-models"):
        if table.empty:
            st.caption(t("common.none_listed"))
        else:
            st.table(table, hide_index=True)


RENDER = {
    "leaderboard": lambda s: leaderboard(s.board),
    "today": lambda s: today_floor(s.floor),
    "month": lambda s: month_progress(s.month),
    "models": lambda s: models(s.models),
}


def footer(panels: tuple[str, ...], shown: str, updated: datetime | None, note: str) -> None:
    """Draw the panel dots, the last-updated time and, when reading failed, a short note."""
    dots = " ".join("●" if p == shown else "○" for p in panels) if len(panels) > 1 else ""
    stamp = t("tv.updated", time=f"{updated:%H:%M:%S}") if updated else ""
    with st.container(key="tv-footer"):
        st.text("   ".join(x for x in (dots, stamp) if x))
    if note:
        with st.container(key="tv-note"):
            st.text(note)


def now_seconds() -> float:
    """Return the wall clock in seconds (the rotation follows it)."""
    return clock.time()
