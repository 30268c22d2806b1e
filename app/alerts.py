"""Sending with a record: the daily digest and the alerts, never twice, nothing lost.

Every message is about a (store, kind, key, day): kind 'digest' (key 'daily') or 'alert' (key
a KPI id, or 'deliveries_forecast' when the month-end forecast falls below the target). Each
channel's result is written to ``notifications_sent`` right after the channel answers: a row
with status 'sent' is never sent again on that channel; a 'failed' row is tried again by the
next run, so a channel that was down gets the message once it is back.

A run computes everything on a read-only connection, then sends, opening a short write for
each record, so the dashboard is never locked out for the length of a slow webhook. One run
at a time per database (a lock file next to it), so two overlapping cron runs cannot both send.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from app import config, digest
from app.channels import Message, Outcome, Retry, deliver
from app.config import NotifySettings, Secrets
from kpi import catalogue
from kpi.scope import Scope

# Created where it is written (record), like notify_settings: see docs/DECISIONS.md.
SENT_DDL = """CREATE TABLE IF NOT EXISTS notifications_sent (
    store VARCHAR NOT NULL, kind VARCHAR NOT NULL, key VARCHAR NOT NULL, day DATE NOT NULL,
    channel VARCHAR NOT NULL, sent_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL, error VARCHAR,
    PRIMARY KEY (store, kind, key, day, channel))"""
FORECAST_KEY = "deliveries_forecast"
PROBLEM_DAYS = 7
DEFAULT_RETRY = Retry()
ONE_TRY = Retry(attempts=1)


class AnotherRun(RuntimeError):
    """Another digest or alerts run holds this database's notification lock."""


@dataclass(frozen=True)
class Item:
    """One thing to tell a store: its record key and its lines in each language."""

    key: str
    lines: Mapping[str, str]  # lang -> text
    page: str


@dataclass
class Report:
    """What a run did: one outcome per (store, channel) sent, and what it skipped."""

    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[tuple[str, Outcome]]:
        return [(s, o) for s, o in self.outcomes if not o.ok]

    def lines(self) -> list[str]:
        """Return one line per outcome and note (safe to print: no secrets)."""
        out = []
        for store, o in self.outcomes:
            state = "sent" if o.ok else f"FAILED ({o.error})"
            out.append(f"{store} {o.channel}: {state} after {o.attempts} attempt(s)")
        return out + self.notes


# ---- the record --------------------------------------------------------------------------------


def sent_keys(con: duckdb.DuckDBPyConnection, store: str, kind: str, day: date) -> set:
    """Return {(key, channel)} already sent for a store, kind and day."""
    try:
        rows = con.execute(
            """SELECT key, channel FROM notifications_sent
               WHERE store = $s AND kind = $k AND day = $d AND status = 'sent'""",
            {"s": store, "k": kind, "d": day},
        ).fetchall()
    except duckdb.CatalogException:  # nothing was ever sent from this database
        return set()
    return {(k, c) for k, c in rows}


def record(
    con: duckdb.DuckDBPyConnection, store: str, kind: str, keys: list[str], day: date,
    outcome: Outcome, at: datetime,
) -> None:  # fmt: skip
    """Write a channel's outcome for each key (a success replaces an earlier failure)."""
    con.execute(SENT_DDL)
    for key in keys:
        con.execute(
            "INSERT OR REPLACE INTO notifications_sent VALUES ($s, $k, $key, $d, $c, $at, $st, "
            "$n, $e)",
            {"s": store, "k": kind, "key": key, "d": day, "c": outcome.channel,
             "at": at.replace(tzinfo=None), "st": "sent" if outcome.ok else "failed",
             "n": outcome.attempts, "e": outcome.error},
        )  # fmt: skip


def problems(con: duckdb.DuckDBPyConnection, today: date, days: int = PROBLEM_DAYS) -> list:
    """Return (store, kind, key, day, channel, sent_at, attempts, error) of deliveries that
    failed in the last ``days`` days and have not gone out since, newest first."""
    try:
        return con.execute(
            """SELECT store, kind, key, day, channel, sent_at, attempts, error
               FROM notifications_sent
               WHERE status = 'failed' AND day > $since
               ORDER BY sent_at DESC, store, channel""",
            {"since": today - timedelta(days=days)},
        ).fetchall()
    except duckdb.CatalogException:
        return []


@contextmanager
def run_lock(db: str | os.PathLike) -> Iterator[None]:
    """Hold the database's notification lock for a run; raise AnotherRun when it is taken."""
    path = Path(f"{db}.notify.lock")
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AnotherRun(f"another notification run is using {db}") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ---- the plan: what each store should be told ----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One store's pending message: settings, secrets, items, what went out already."""

    store: str
    store_name: str
    kind: str
    day: date
    settings: NotifySettings
    secrets: Secrets
    items: tuple[Item, ...]
    already: frozenset
    digest: digest.Digest | None = None


def store_zone(con: duckdb.DuckDBPyConnection, store: str) -> ZoneInfo:
    row = con.execute("SELECT timezone FROM stores WHERE store = $s", {"s": store}).fetchone()
    try:
        return ZoneInfo(row[0] if row and row[0] else "Asia/Shanghai")
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def alert_items(con: duckdb.DuckDBPyConnection, store: str, today: date) -> tuple[Item, ...]:
    """Return the store's alerts for the running month as of today: each scalar KPI past its
    critical line (with the store's overrides) and the forecast below the target."""
    scope = Scope.for_month(today, today=today, store=store)
    kpis = digest.month_kpis(con, scope)
    month = digest.month_figures(con, scope, kpis)
    items = []
    if month.below_target:
        lines = {lang: digest.word("alert_forecast", lang,
                                   value=digest._count(month.forecast, lang),
                                   target=digest._count(month.target, lang))
                 for lang in ("zh", "en")}  # fmt: skip
        items.append(Item(FORECAST_KEY, lines, "targets"))
    for c in digest.critical_kpis(kpis, digest.thresholds(con, store), scope.elapsed):
        lines = {lang: digest.word("alert_kpi", lang, label=catalogue.get(c.kpi_id).label(lang),
                                   value=catalogue.format_value(c.kpi_id, c.value, lang),
                                   line=catalogue.format_value(c.kpi_id, c.line, lang))
                 for lang in ("zh", "en")}  # fmt: skip
        items.append(Item(c.kpi_id, lines, digest._page_of(c.kpi_id)))
    return tuple(items)


def _local_now(now: datetime | None, zone: ZoneInfo) -> datetime:
    if now is None:
        return datetime.now(zone)
    return now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)


def plan_alerts(
    con: duckdb.DuckDBPyConnection, stores: list[str], now: datetime | None,
    file: Mapping | None = None,
) -> tuple[list[Plan], list[str]]:  # fmt: skip
    """Return the alert plans of the stores (none in quiet hours) and notes on what was skipped."""
    plans, notes = [], []
    for store in stores:
        settings = config.settings_for(con, store, file)
        if not settings.channels():
            continue
        local = _local_now(now, store_zone(con, store))
        if config.in_quiet_hours(settings.quiet_hours, local.time()):
            notes.append(f"{store}: quiet hours ({settings.quiet_hours}), nothing sent")
            continue
        day = local.date()
        items = alert_items(con, store, day)
        if items:
            plans.append(Plan(store, _name(con, store), "alert", day, settings,
                              config.secrets_for(store), items,
                              frozenset(sent_keys(con, store, "alert", day))))  # fmt: skip
    return plans, notes


def plan_digests(
    con: duckdb.DuckDBPyConnection, stores: list[str], today: date | None,
    file: Mapping | None = None,
) -> list[Plan]:  # fmt: skip
    """Return each store's digest plan for the morning of ``today`` (default: its today)."""
    plans = []
    for store in stores:
        settings = config.settings_for(con, store, file)
        day = today or datetime.now(store_zone(con, store)).date()
        d = digest.compose(con, store, day, settings.base_url)
        plans.append(Plan(store, d.store_name, "digest", day, settings, config.secrets_for(store),
                          (Item("daily", {}, "overview"),),
                          frozenset(sent_keys(con, store, "digest", day)), d))  # fmt: skip
    return plans


def _name(con: duckdb.DuckDBPyConnection, store: str) -> str:
    row = con.execute("SELECT name FROM stores WHERE store = $s", {"s": store}).fetchone()
    return row[0] if row and row[0] else store


# ---- messages ------------------------------------------------------------------------------------


def digest_message(d: digest.Digest, lang: str) -> Message:
    """Return the digest in every form the channels need."""
    return Message(
        title=digest.title(d, lang),
        markdown=digest.render_markdown(d, lang),
        text=digest.render_text(d, lang),
        html=digest.render_html(d, lang),
        link=d.link("overview", lang),
        more=digest.word("trimmed", lang),
    )


def alert_message(plan: Plan, items: list[Item], lang: str) -> Message:
    """Return one message listing the store's new alerts, each linked to its page."""
    import html as h
    from urllib.parse import urlencode

    base = plan.settings.base_url.rstrip("/")

    def link(page: str) -> str:
        return f"{base}/{page}?{urlencode({'store': plan.store, 'lang': lang})}"

    title = f"{plan.store_name} · {digest.word('alert_title', lang)} · {plan.day:%Y-%m-%d}"
    md = [f"### {digest.md_safe(title)}", ""]
    md += [f"- [{digest.md_safe(i.lines[lang])}]({link(i.page)})" for i in items]
    md += ["", f"[{digest.word('open_dashboard', lang)}]({link('overview')})"]
    text = [title, ""] + [f"- {i.lines[lang]}  {link(i.page)}" for i in items]
    body = "".join(
        f'<li><a href="{h.escape(link(i.page), quote=True)}">{h.escape(i.lines[lang])}</a></li>'
        for i in items
    )
    page = (f'<!doctype html><html><head><meta charset="utf-8"></head><body>'
            f"<h2>{h.escape(title)}</h2><ul>{body}</ul></body></html>")  # fmt: skip
    return Message(title, "\n".join(md), "\n".join(text) + "\n", page, link("overview"),
                   digest.word("trimmed", lang))  # fmt: skip


def probe_message(store: str, store_name: str, settings: NotifySettings) -> Message:
    """Return the short message the Settings page's test button sends."""
    lang = settings.lang
    title = f"{store_name} · {digest.word('test_title', lang)}"
    body = digest.word("test_body", lang, store=store_name)
    link = f"{settings.base_url.rstrip('/')}/?store={store}&lang={lang}"  # the Overview
    import html as h

    return Message(
        title,
        f"### {digest.md_safe(title)}\n\n{digest.md_safe(body)}\n\n[{title}]({link})",
        f"{title}\n\n{body}\n{link}\n",
        f"<p><b>{h.escape(title)}</b></p><p>{h.escape(body)}</p>",
        link,
    )


def send_probe(store: str, store_name: str, settings: NotifySettings,
              retry: Retry = ONE_TRY) -> list[Outcome]:  # fmt: skip
    """Send the test message on every channel switched on; return the outcomes (not recorded)."""
    secrets = config.secrets_for(store)
    message = probe_message(store, store_name, settings)
    return [deliver(c, settings, secrets, message, retry) for c in settings.channels()]


# ---- running -------------------------------------------------------------------------------------


def send_plans(
    db: str | os.PathLike,
    plans: list[Plan],
    lang: str | None,
    retry: Retry,
    connect: Callable,
    report: Report,
) -> None:
    """Send every plan on each of its channels that has not had it; record each outcome."""
    for plan in plans:
        language = lang or plan.settings.lang
        for channel in plan.settings.channels():
            pending = [i for i in plan.items if (i.key, channel) not in plan.already]
            if not pending:
                report.notes.append(f"{plan.store} {channel}: already sent today")
                continue
            if plan.digest is not None:
                message = digest_message(plan.digest, language)
            else:
                message = alert_message(plan, pending, language)
            outcome = deliver(channel, plan.settings, plan.secrets, message, retry)
            with connect(db) as con:
                record(con, plan.store, plan.kind, [i.key for i in pending], plan.day, outcome,
                       datetime.now())  # fmt: skip
            report.outcomes.append((plan.store, outcome))


def _stores(con: duckdb.DuckDBPyConnection, store: str | None) -> list[str]:
    from warehouse.db import list_stores

    known = list_stores(con)
    if store is None:
        return known
    if store not in known:
        raise KeyError(f"no store {store!r} in the database (known: {', '.join(known)})")
    return [store]


def run_alerts(
    db: str | os.PathLike, now: datetime | None = None, store: str | None = None,
    file: Mapping | None = None, retry: Retry = DEFAULT_RETRY,
) -> Report:  # fmt: skip
    """Evaluate and send the alerts of every store (or one); return what happened."""
    from warehouse.db import connect

    report = Report()
    with run_lock(db):
        with connect(db, read_only=True) as con:
            plans, report.notes = plan_alerts(con, _stores(con, store), now, file)
        send_plans(db, plans, None, retry, connect, report)
    return report


def run_digest(
    db: str | os.PathLike, today: date | None = None, store: str | None = None,
    lang: str | None = None, file: Mapping | None = None, retry: Retry = DEFAULT_RETRY,
) -> Report:  # fmt: skip
    """Compose and send the digest of every store (or one); return what happened."""
    from warehouse.db import connect

    report = Report()
    with run_lock(db):
        with connect(db, read_only=True) as con:
            plans = plan_digests(con, _stores(con, store), today, file)
        for plan in plans:
            if not plan.settings.channels():
                report.notes.append(f"{plan.store}: no channel switched on")
        send_plans(db, plans, lang, retry, connect, report)
    return report


def preview_digest(
    db: str | os.PathLike, today: date | None = None, store: str | None = None,
    lang: str | None = None, file: Mapping | None = None,
) -> tuple[str, str]:  # fmt: skip
    """Return (HTML, chat Markdown) of the digests that would be sent, without sending."""
    from warehouse.db import connect

    with connect(db, read_only=True) as con:
        plans = plan_digests(con, _stores(con, store), today, file)
    htmls, mds = [], []
    for plan in plans:
        language = lang or plan.settings.lang
        htmls.append(digest.render_html(plan.digest, language))
        mds.append(digest.render_markdown(plan.digest, language))
    return "\n".join(htmls), "\n\n---\n\n".join(mds) + "\n"
