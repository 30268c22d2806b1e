"""Live entries: walk-ins, calls and orders logged in the app before the DMS export has them.

A live row goes into ``traffic`` or ``orders`` like an imported one, with an id starting with
``LIVE-``, ``provisional = true`` and ``entered_by`` set to the account that logged it. The DMS
export stays the record: importing traffic or orders of a store deletes that store's provisional
rows dated within the dates the file covers (warehouse.importer), so a live walk-in is replaced,
never doubled, once the export arrives.

Values are validated by the importer's own parser (warehouse.parsing: enums with their Chinese
words, the accepted date forms, booleans, money), and a typed-in mobile number becomes the same
keyed customer hash an import stores (warehouse.importer.customer_key). Money, and the finance,
insurance and trade-in flags of an order, may stay empty (NULL) until the export brings them.
Every write is one short transaction that bumps the data version, so the TV and the pages show
it on their next refresh.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd

from warehouse.auth import User
from warehouse.db import bump_data_version, ensure_store
from warehouse.importer import customer_key
from warehouse.parsing import REASONS, parse_source
from warehouse.readers import Source
from warehouse.spec import TABLES

LIVE_PREFIX = "LIVE-"
# The live tables, their key and the date that places a row in a day.
LIVE_TABLES: dict[str, tuple[str, str]] = {
    "traffic": ("visit_id", "visit_date"),
    "orders": ("order_id", "order_date"),
}
# Columns of a live order that may stay empty until the DMS export brings them.
LIVE_MAY_BE_EMPTY = {
    "orders": {
        "sale_price",
        "vehicle_cost",
        "rebate",
        "fi_income",
        "accessories_revenue",
        "accessories_cost",
        "finance",
        "insurance",
        "trade_in",
    },
}
# Defaults of a new live row where the contract has none (the common case at the desk).
LIVE_DEFAULTS: dict[str, dict[str, Any]] = {
    "traffic": {"kind": "walk_in", "first_visit": True, "test_drive": False},
    "orders": {"status": "open", "sale_type": "retail", "buyer_type": "private"},
}
# Lead sources the contract names; the entry form offers them besides the store's own.
STANDARD_CHANNELS = (
    "autohome",
    "dongchedi",
    "wechat",
    "referral",
    "walk_by",
    "outdoor_event",
    "showroom_event",
    "repeat_customer",
)
STAFF, MANAGER = "staff", "manager"
_META_LAST = "live_entry_at:"


class LiveEntryError(ValueError):
    """A live entry was refused; ``errors`` lists one message per offending field."""

    def __init__(self, errors: list[str], zh: list[str] | None = None):
        super().__init__("; ".join(errors))
        self.errors = errors
        self.zh = zh  # the same messages in Chinese, when they were written in both

    def texts(self, lang: str = "en") -> list[str]:
        """Return the messages in ``lang`` ('en' or 'zh'; English when not translated)."""
        return self.zh if lang == "zh" and self.zh is not None else self.errors


# ----------------------------------------------------------------------------- validation


def _cell(value: Any) -> str:
    """Return a value as an export cell: ISO dates, true/false, plain numbers, '' for empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Parse one row with the importer's own rules (warehouse.parsing), as a one-row export.

    Return the typed values; raise LiveEntryError listing every rejected cell. An empty cell
    in a column a live entry may leave empty is not a rejection.
    """
    names = TABLES[table].names
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    writer.writerow([_cell(row.get(n)) for n in names])
    parsed = parse_source(Source(name="live entry", data=buf.getvalue().encode("utf-8")), table)
    may_be_empty = LIVE_MAY_BE_EMPTY.get(table, set())
    errors, zh = [], []
    for r in parsed.rejections:
        if r.column in may_be_empty and r.reason == REASONS["empty"]:
            continue
        shown = f"{r.value!r} " if r.value else ""
        errors.append(f"{r.column or 'row'}: {shown}{r.reason}")
        zh.append(f"{r.column or '行'}：{shown}{r.text('zh')}")
    if errors:
        raise LiveEntryError(errors, zh)
    assert parsed.rows is not None, parsed.error  # the row's own header always matches
    return {n: parsed.rows.to_pylist()[0][n] for n in names}


def validate(
    table: str,
    values: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None = None,
    entry_id: str = LIVE_PREFIX + "0",
) -> dict[str, Any]:
    """Return a live row's stored values, or raise LiveEntryError listing every bad field.

    The row is checked exactly as an import checks it (enums with their Chinese words, the
    accepted date forms, booleans, money). A new row (current None) takes the live defaults
    for what is not given; a correction is `current` with `values` applied. Key columns are
    not accepted: the id is the app's.
    """
    if table not in LIVE_TABLES:
        raise LiveEntryError([f"{table} takes no live entries"])
    spec = TABLES[table]
    key = LIVE_TABLES[table][0]
    errors: list[str] = []
    unknown = sorted(set(values) - set(spec.names) - {key})
    if unknown:
        errors.append(f"unknown column(s) {', '.join(unknown)}")
    if key in values:
        errors.append(f"{key} is set by the app")
    if errors:
        raise LiveEntryError(errors)
    base = dict(current) if current is not None else dict(LIVE_DEFAULTS.get(table, {}))
    row = {**base, **values, key: entry_id}
    out = _parse_row(table, row)
    if table == "orders":
        _check_order_dates(out)
    del out[key]
    return out


def _check_order_dates(row: dict[str, Any]) -> None:
    """Refuse a delivered order without a delivery date, or one delivered before ordering."""
    errors, zh = [], []
    if row.get("status") == "delivered" and row.get("delivery_date") is None:
        errors.append("delivery_date: a delivered order needs its delivery date")
        zh.append("delivery_date：已交车的订单必须填写交车日期")
    ordered, delivered = row.get("order_date"), row.get("delivery_date")
    if ordered and delivered and delivered < ordered:
        errors.append("delivery_date: before the order date")
        zh.append("delivery_date：早于订单日期")
    if errors:
        raise LiveEntryError(errors, zh)


# ----------------------------------------------------------------------------- writes


def new_id(day: date) -> str:
    """Return a fresh live id: LIVE-, the day and a random suffix (LIVE-20260915-3f9a1c2b7d4e)."""
    return f"{LIVE_PREFIX}{day:%Y%m%d}-{secrets.token_hex(6)}"


def _require(user: User, role: str) -> None:
    if not user.can(role):
        raise PermissionError(f"{user.username} ({user.role}) may not do this: needs {role}")


def _write(con: duckdb.DuckDBPyConnection, store: str, table: str, work) -> Any:
    """Run work(con) in one transaction with the data version bumped and the entry time noted.

    Only ``table`` of ``store`` changed: the derived state and the cached results of the rest
    stay (warehouse.db.bump_data_version).
    """
    con.execute("BEGIN TRANSACTION")
    try:
        result = work(con)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ($k, $v)",
            {"k": _META_LAST + store, "v": datetime.now(UTC).isoformat()},
        )
        bump_data_version(con, tables={table}, stores=[store])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return result


def add_entry(
    con: duckdb.DuckDBPyConnection, table: str, store: str, values: Mapping[str, Any], user: User
) -> str:
    """Insert one provisional live row into traffic or orders and return its LIVE- id.

    Needs a staff role or above. Raises LiveEntryError when a value breaks the contract.
    """
    _require(user, STAFF)
    if not store:
        raise LiveEntryError(["store: a value is required"])
    row = validate(table, values)
    key, date_col = LIVE_TABLES[table]
    row[key] = new_id(row[date_col])
    row["customer_id"] = customer_key(con, row.get("customer_id"))
    cols = ["store", *row, "provisional", "entered_by"]
    params = {**row, "store": store, "provisional": True, "entered_by": user.username}
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('$' + c for c in cols)})"

    def work(c: duckdb.DuckDBPyConnection) -> str:
        ensure_store(c, store)
        c.execute(sql, params)
        return row[key]

    return _write(con, store, table, work)


def log_visit(con: duckdb.DuckDBPyConnection, store: str, user: User, **values: Any) -> str:
    """Log a walk-in or a call (traffic); kind defaults to walk_in. Return the LIVE- id."""
    return add_entry(con, "traffic", store, values, user)


def log_order(con: duckdb.DuckDBPyConnection, store: str, user: User, **values: Any) -> str:
    """Log a new order (status open, retail, private unless given). Return the LIVE- id.

    Money fields and the finance, insurance and trade-in flags may be left out: they are
    stored empty until the DMS export replaces the row.
    """
    return add_entry(con, "orders", store, values, user)


def _live_row(
    con: duckdb.DuckDBPyConnection, table: str, store: str, entry_id: str
) -> dict[str, Any]:
    key = LIVE_TABLES[table][0]
    cur = con.execute(
        f"SELECT * FROM {table} WHERE store = $s AND {key} = $id AND provisional",
        {"s": store, "id": entry_id},
    )
    row = cur.fetchone()
    if row is None or not entry_id.startswith(LIVE_PREFIX):
        raise LookupError(
            f"No live entry {entry_id} in {table} of {store} (the DMS export may have replaced it)"
        )
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def update_entry(
    con: duckdb.DuckDBPyConnection,
    table: str,
    store: str,
    entry_id: str,
    changes: Mapping[str, Any],
    user: User,
) -> None:
    """Correct fields of a provisional live row. Needs a manager.

    Raises LookupError when the row is not a provisional live entry (any more) and
    LiveEntryError when a value breaks the contract.
    """
    _require(user, MANAGER)
    if table not in LIVE_TABLES:
        raise LiveEntryError([f"{table} takes no live entries"])
    current = _live_row(con, table, store, entry_id)
    row = validate(table, changes, current=current, entry_id=entry_id)
    if "customer_id" in changes:
        row["customer_id"] = customer_key(con, row.get("customer_id"))
    changed = {c: row[c] for c in changes}
    if not changed:
        return
    key = LIVE_TABLES[table][0]
    sets = ", ".join(f"{c} = ${c}" for c in changed)
    sql = f"UPDATE {table} SET {sets} WHERE store = $store AND {key} = $entry_id AND provisional"
    params = {**changed, "store": store, "entry_id": entry_id}
    _write(con, store, table, lambda c: c.execute(sql, params))


def delete_entry(
    con: duckdb.DuckDBPyConnection, table: str, store: str, entry_id: str, user: User
) -> None:
    """Delete a provisional live row (logged by mistake). Needs a manager."""
    _require(user, MANAGER)
    if table not in LIVE_TABLES:
        raise LiveEntryError([f"{table} takes no live entries"])
    _live_row(con, table, store, entry_id)
    key = LIVE_TABLES[table][0]
    sql = f"DELETE FROM {table} WHERE store = $s AND {key} = $id AND provisional"
    _write(con, store, table, lambda c: c.execute(sql, {"s": store, "id": entry_id}))


# ----------------------------------------------------------------------------- reads


def entries(con: duckdb.DuckDBPyConnection, store: str, day: date) -> pd.DataFrame:
    """Return the store's provisional live rows dated `day`, walk-ins and calls first.

    Columns: table_name, entry_id, kind (walk_in / phone / order), consultant, channel, model
    (model_interest for traffic), first_visit, test_drive, lead_level (traffic), sale_type,
    buyer_type, status (orders), entered_by; in the order they were logged.
    """
    sql = """
        SELECT 'traffic' AS table_name, visit_id AS entry_id, kind, consultant, channel,
               model_interest AS model, first_visit, test_drive, lead_level,
               NULL AS sale_type, NULL AS buyer_type, NULL AS status, entered_by, rowid AS _seq
        FROM traffic
        WHERE store = $s AND provisional AND visit_date = $d AND starts_with(visit_id, 'LIVE-')
        UNION ALL
        SELECT 'orders', order_id, 'order', consultant, channel, model, NULL, NULL, NULL,
               sale_type, buyer_type, status, entered_by, rowid
        FROM orders
        WHERE store = $s AND provisional AND order_date = $d AND starts_with(order_id, 'LIVE-')
        ORDER BY table_name DESC, _seq
    """
    frame = con.execute(sql, {"s": store, "d": day}).df().drop(columns="_seq")
    return frame.astype(object).where(frame.notna(), None)


def options(con: duckdb.DuckDBPyConnection, store: str) -> dict[str, list[str]]:
    """Return what the entry form offers: the store's consultants, channels and models.

    Consultants come from its traffic and orders; channels from its data plus the contract's
    standard sources; models from its orders, traffic interest and vehicles. Sorted by name.
    """
    sql = """
        SELECT 'consultant' AS what, consultant AS v FROM traffic WHERE store = $s
        UNION SELECT 'consultant', consultant FROM orders WHERE store = $s
        UNION SELECT 'channel', channel FROM traffic WHERE store = $s
        UNION SELECT 'channel', channel FROM orders WHERE store = $s
        UNION SELECT 'model', model FROM orders WHERE store = $s
        UNION SELECT 'model', model_interest FROM traffic WHERE store = $s
        UNION SELECT 'model', model FROM vehicles WHERE store = $s
    """
    out: dict[str, set[str]] = {"consultant": set(), "channel": set(STANDARD_CHANNELS)}
    out["model"] = set()
    for what, value in con.execute(sql, {"s": store}).fetchall():
        if value is not None and str(value).strip():
            out[what].add(str(value))
    return {
        "consultants": sorted(out["consultant"]),
        "channels": sorted(out["channel"]),
        "models": sorted(out["model"]),
    }


def store_settings(con: duckdb.DuckDBPyConnection, store: str) -> dict[str, Any]:
    """Return the store's display name (name, else the id), timezone and opening hours."""
    row = con.execute(
        "SELECT name, timezone, opening_hours FROM stores WHERE store = $s", {"s": store}
    ).fetchone()
    name, tz, hours = row if row else (None, None, None)
    return {
        "store": store,
        "name": (name or "").strip() or store,
        "timezone": tz or "Asia/Shanghai",
        "opening_hours": hours or "09:00-18:00",
    }


def newest_record_at(
    con: duckdb.DuckDBPyConnection, store: str, tz: str = "Asia/Shanghai"
) -> datetime | None:
    """Return when the store's data last moved (UTC), or None when it has none.

    The newest of: its last import (imports.imported_at, not undone), its last live entry, and
    the start of the newest traffic or order date in the store's timezone (rows carry a date
    but no time, so a row dated today counts from midnight).
    """
    zone = _zone(tz)
    candidates: list[datetime] = []
    # imports.store lists every store a file carried, comma-separated.
    imp = con.execute(
        "SELECT max(imported_at) FROM imports "
        "WHERE NOT undone AND ',' || store || ',' LIKE '%,' || $s || ',%'",
        {"s": store},
    ).fetchall()[0][0]
    if imp is not None:
        # imports.imported_at is a naive timestamp written in UTC by the importer.
        candidates.append(imp.replace(tzinfo=UTC) if imp.tzinfo is None else imp)
    live = con.execute(
        "SELECT value FROM meta WHERE key = $k", {"k": _META_LAST + store}
    ).fetchone()
    if live:
        candidates.append(datetime.fromisoformat(live[0]))
    newest_day = con.execute(
        """SELECT greatest((SELECT max(visit_date) FROM traffic WHERE store = $s),
                           (SELECT max(order_date) FROM orders WHERE store = $s))""",
        {"s": store},
    ).fetchall()[0][0]
    if newest_day is not None:
        candidates.append(datetime.combine(newest_day, time(0), zone).astimezone(UTC))
    return max(candidates) if candidates else None


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def parse_opening_hours(text: str | None) -> tuple[time, time] | None:
    """Return (open, close) from 'HH:MM-HH:MM', or None when the text is not in that form."""
    m = re.match(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$", text or "")
    if not m:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        return None
    return time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))


def is_open(now_local: datetime, opening_hours: str | None) -> bool:
    """Return True when the local time is inside the opening hours (an unreadable text: always).

    Hours past midnight ('18:00-02:00') wrap around.
    """
    hours = parse_opening_hours(opening_hours)
    if hours is None:
        return True
    start, end = hours
    t = now_local.time()
    if start <= end:
        return start <= t <= end
    return t >= start or t <= end


def is_stale(
    newest: datetime | None,
    now: datetime,
    threshold_minutes: float,
    opening_hours: str | None,
    tz: str = "Asia/Shanghai",
) -> bool:
    """Return True when the data is older than the threshold during opening hours.

    now and newest are aware datetimes; a threshold of 0 or less turns the warning off; a store
    without any data is stale whenever it is open.
    """
    if threshold_minutes <= 0:
        return False
    if not is_open(now.astimezone(_zone(tz)), opening_hours):
        return False
    if newest is None:
        return True
    return (now - newest).total_seconds() > threshold_minutes * 60
