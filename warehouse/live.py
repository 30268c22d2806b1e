"""Live entries: walk-ins, calls and orders logged in the app before the DMS export has them.

A live row goes into ``traffic`` or ``orders`` like an imported one, with an id starting with
``LIVE-``, ``provisional = true`` and ``entered_by`` set to the account that logged it. The DMS
export stays the record: importing traffic or orders of a store deletes that store's provisional
rows dated within the dates the file covers (warehouse.importer), so a live walk-in is replaced,
never doubled, once the export arrives.

Values are validated with the contract's rules (warehouse.spec: enums with their Chinese words,
dates in the accepted forms, booleans, non-negative money). Money, and the finance, insurance and
trade-in flags of an order, may stay empty (NULL) until the export brings them. Every write is
one short transaction that bumps the data version, so the TV and the pages show it on their
next refresh.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd

from warehouse.auth import User
from warehouse.db import bump_data_version, ensure_store
from warehouse.spec import BOOL, DATE, ENUM, INT, MONEY, NUMBER, RATE, SCORE, TABLES, TEXT

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
LIVE_DEFAULTS = {
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

_TRUE = {"1", "true", "yes", "y", "是", "√", "t"}
_FALSE = {"0", "false", "no", "n", "否", "×", "f"}
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_MONEY_STRIP = re.compile(r"^(?:RMB|CNY|¥|￥)\s*", re.IGNORECASE)


class LiveEntryError(ValueError):
    """A live entry was refused; ``errors`` lists one message per offending field."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


# ----------------------------------------------------------------------------- validation


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError:
                raise ValueError("not a date that exists") from None
    raise ValueError("not a date (YYYY-MM-DD)")


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not yes/no")


def _parse_number(value: Any, signed: bool) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    else:
        text = _MONEY_STRIP.sub("", str(value).strip()).replace(",", "")
        try:
            number = float(Decimal(text))
        except InvalidOperation:
            raise ValueError("not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not a number")
    if number < 0 and not signed:
        raise ValueError("may not be negative")
    return number


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_value(table: str, column: str, value: Any) -> Any:
    """Return a live cell's stored value, or raise ValueError saying what is wrong with it.

    Empty input gives None; the caller decides whether the column may be empty.
    """
    col = TABLES[table].column(column)
    if _is_empty(value):
        return None
    if col.kind == TEXT:
        return str(value).strip()
    if col.kind == ENUM:
        canonical = (col.choices or {}).get(str(value).strip().lower())
        if canonical is None:
            allowed = ", ".join(sorted(set((col.choices or {}).values())))
            raise ValueError(f"not one of {allowed}")
        return canonical
    if col.kind == DATE:
        return _parse_date(value)
    if col.kind == BOOL:
        return _parse_bool(value)
    if col.kind in (MONEY, NUMBER, RATE, SCORE):
        return _parse_number(value, col.signed or col.kind == NUMBER)
    if col.kind == INT:
        number = _parse_number(value, col.signed)
        if number != int(number):
            raise ValueError("not a whole number")
        return int(number)
    raise ValueError(f"unsupported kind {col.kind}")


def validate(table: str, values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Return a live row's stored values, or raise LiveEntryError listing every bad field.

    With partial=True only the given columns are checked (a correction); otherwise every
    contract column gets a value: the given one, the live default, the contract default or
    NULL. Key columns are not accepted: the id is made here.
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
    defaults = {} if partial else LIVE_DEFAULTS.get(table, {})
    out: dict[str, Any] = {}
    may_be_empty = LIVE_MAY_BE_EMPTY.get(table, set())
    for col in spec.columns:
        if col.name == key or (partial and col.name not in values):
            continue
        raw = values.get(col.name, defaults.get(col.name, col.default))
        try:
            parsed = parse_value(table, col.name, raw)
        except ValueError as exc:
            errors.append(f"{col.name}: {raw!r} is {exc}")
            continue
        if parsed is None and col.needs_value and col.name not in may_be_empty:
            errors.append(f"{col.name}: a value is required")
            continue
        out[col.name] = parsed
    if table == "orders" and not errors:
        _check_order_dates(out, partial)
    if errors:
        raise LiveEntryError(errors)
    return out


def _check_order_dates(row: dict[str, Any], partial: bool) -> None:
    """Refuse a delivered order without a delivery date, or one delivered before ordering."""
    errors = []
    if not partial and row.get("status") == "delivered" and row.get("delivery_date") is None:
        errors.append("delivery_date: a delivered order needs its delivery date")
    ordered, delivered = row.get("order_date"), row.get("delivery_date")
    if ordered and delivered and delivered < ordered:
        errors.append("delivery_date: before the order date")
    if errors:
        raise LiveEntryError(errors)


# ----------------------------------------------------------------------------- writes


def new_id(day: date) -> str:
    """Return a fresh live id: LIVE-, the day and a random suffix (LIVE-20260915-3f9a1c2b7d4e)."""
    return f"{LIVE_PREFIX}{day:%Y%m%d}-{secrets.token_hex(6)}"


def _require(user: User, role: str) -> None:
    if not user.can(role):
        raise PermissionError(f"{user.username} ({user.role}) may not do this: needs {role}")


def _write(con: duckdb.DuckDBPyConnection, store: str, work) -> Any:
    """Run work(con) in one transaction with the data version bumped and the entry time noted."""
    con.execute("BEGIN TRANSACTION")
    try:
        result = work(con)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ($k, $v)",
            {"k": _META_LAST + store, "v": datetime.now(UTC).isoformat()},
        )
        bump_data_version(con)
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
    cols = ["store", *row, "provisional", "entered_by"]
    params = {**row, "store": store, "provisional": True, "entered_by": user.username}
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('$' + c for c in cols)})"

    def work(c: duckdb.DuckDBPyConnection) -> str:
        ensure_store(c, store)
        c.execute(sql, params)
        return row[key]

    return _write(con, store, work)


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
    changed = validate(table, changes, partial=True)
    if not changed:
        return
    current = _live_row(con, table, store, entry_id)
    if table == "orders":
        _check_order_dates({**current, **changed}, partial=False)
    key = LIVE_TABLES[table][0]
    sets = ", ".join(f"{c} = ${c}" for c in changed)
    sql = f"UPDATE {table} SET {sets} WHERE store = $store AND {key} = $entry_id AND provisional"
    params = {**changed, "store": store, "entry_id": entry_id}
    _write(con, store, lambda c: c.execute(sql, params))


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
    _write(con, store, lambda c: c.execute(sql, {"s": store, "id": entry_id}))


# ----------------------------------------------------------------------------- reads


def entries(con: duckdb.DuckDBPyConnection, store: str, day: date) -> pd.DataFrame:
    """Return the store's provisional live rows dated `day`, traffic first, in entry order.

    Columns: table_name, entry_id, entry_date, kind (walk_in/phone/order), consultant,
    channel, model, customer_id, first_visit, test_drive, lead_level, status, entered_by.
    """
    sql = """
        SELECT 'traffic' AS table_name, visit_id AS entry_id, visit_date AS entry_date, kind,
               consultant, channel, model_interest AS model, customer_id, first_visit,
               test_drive, lead_level, NULL AS status, entered_by
        FROM traffic
        WHERE store = $s AND provisional AND visit_date = $d AND starts_with(visit_id, 'LIVE-')
        UNION ALL
        SELECT 'orders', order_id, order_date, 'order', consultant, channel, model, customer_id,
               NULL, NULL, NULL, status, entered_by
        FROM orders
        WHERE store = $s AND provisional AND order_date = $d AND starts_with(order_id, 'LIVE-')
        ORDER BY table_name DESC, entry_id
    """
    return con.execute(sql, {"s": store, "d": day}).df()


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
    imp = con.execute(
        "SELECT max(imported_at) FROM imports WHERE store = $s AND NOT undone", {"s": store}
    ).fetchone()[0]
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
    ).fetchone()[0]
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
