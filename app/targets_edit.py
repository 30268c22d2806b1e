"""Edit targets in the app: propose an annual split, lay it out for editing, save it.

A manager enters an annual target for a metric; it is split into months by last year's
seasonality (each month's share of the same month's deliveries last year, twelfths without
history; KPI-CATALOGUE.md, "Targets and pacing"), rounded to whole units so the months add up
to the annual figure, and spread evenly over the store's consultants. The page shows it as one
row per month with a column for the store-wide target and one per consultant; saving turns the
table back into `targets` rows (month, consultant, metric) and upserts them in one transaction.

Only a manager may save: :func:`save_targets` checks the role itself, whatever the page shows.
"""

from __future__ import annotations

import calendar
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from kpi.catalogue import CATALOGUE
from kpi.sales import monthly_deliveries
from kpi.targets import split_annual, split_month_to_weeks, split_to_quarters
from warehouse.auth import User
from warehouse.db import bump_data_version, connect, data_version, ensure_store

log = logging.getLogger(__name__)

# The metrics the Targets page offers; any scalar catalogue id is accepted by save_targets.
TARGET_METRICS = ("deliveries", "orders", "walk_in_batches", "test_drives", "service_revenue")
EDITOR_ROLE = "manager"
# The editor's column holding the store-wide target (a consultant column is the person's name).
STORE_COLUMN = "__store__"
MONTH_COLUMN = "month"
# Consultants who received a walk-in or delivered a car in this many days form the team.
TEAM_DAYS = 90

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class TargetsError(ValueError):
    """Rows were refused; ``errors`` lists one message per offending row."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class SaveResult:
    """What a save changed, and the data version after it."""

    inserted: int
    updated: int
    deleted: int
    unchanged: int
    data_version: int


# ----------------------------------------------------------------------------- validation


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _month_text(value: Any) -> str:
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    text = str(value).strip()
    if not _MONTH.match(text):
        raise ValueError(f"month must be YYYY-MM, got {value!r}")
    return text


def clean_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows validated: month 'YYYY-MM', consultant or None, metric, target or None.

    An empty consultant is the whole store (stored NULL, never ''); an empty target means
    "delete this target". Raises TargetsError naming every bad row: an unknown metric, a
    month that is not YYYY-MM, a negative or non-numeric target, a key given twice.
    """
    out: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[tuple] = set()
    for i, row in enumerate(rows, start=1):
        try:
            month = _month_text(row.get("month"))
            metric = str(row.get("metric") or "").strip()
            kpi = CATALOGUE.get(metric)
            if kpi is None or kpi.kind != "scalar":
                raise ValueError(f"unknown metric {metric!r}")
            consultant = row.get("consultant")
            consultant = None if _missing(consultant) else str(consultant).strip()
            raw = row.get("target")
            target = None if _missing(raw) else float(raw)
            if target is not None and not (math.isfinite(target) and target >= 0):
                raise ValueError(f"target must be a number ≥ 0, got {raw!r}")
        except (TypeError, ValueError) as exc:
            errors.append(f"row {i}: {exc}")
            continue
        key = (month, consultant, metric)
        if key in seen:
            errors.append(f"row {i}: {month} {consultant or 'store'} {metric} given twice")
            continue
        seen.add(key)
        out.append({"month": month, "consultant": consultant, "metric": metric, "target": target})
    if errors:
        raise TargetsError(errors)
    return out


# ----------------------------------------------------------------------------- saving


def _require_manager(user: User | None) -> None:
    if user is None or not user.can(EDITOR_ROLE):
        who = "nobody signed in" if user is None else f"{user.username} ({user.role})"
        raise PermissionError(f"Only a manager may change targets; {who}.")


_KEY = (
    "store = $store AND month = $month AND metric = $metric "
    "AND consultant IS NOT DISTINCT FROM $consultant::VARCHAR"
)


def _apply(con: duckdb.DuckDBPyConnection, store: str, rows: list[dict[str, Any]]) -> SaveResult:
    """Upsert or delete the rows in one transaction; bump the data version when anything moved."""
    counts = {"inserted": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_store(con, store)
        for row in rows:
            key = {k: row[k] for k in ("month", "metric", "consultant")} | {"store": store}
            found = con.execute(f"SELECT target FROM targets WHERE {_KEY}", key).fetchall()
            if row["target"] is None:
                if found:
                    con.execute(f"DELETE FROM targets WHERE {_KEY}", key)
                    counts["deleted"] += 1
                else:
                    counts["unchanged"] += 1
                continue
            if len(found) == 1 and math.isclose(float(found[0][0]), row["target"], abs_tol=1e-9):
                counts["unchanged"] += 1
                continue
            # Delete then insert also repairs a key stored twice by hand.
            con.execute(f"DELETE FROM targets WHERE {_KEY}", key)
            con.execute(
                "INSERT INTO targets (store, month, consultant, metric, target) "
                "VALUES ($store, $month, $consultant, $metric, $target)",
                key | {"target": row["target"]},
            )
            counts["updated" if found else "inserted"] += 1
        version = data_version(con)
        if counts["inserted"] or counts["updated"] or counts["deleted"]:
            version = bump_data_version(con, tables={"targets"}, stores=[store])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return SaveResult(**counts, data_version=version)


def save_targets(
    db: str | os.PathLike | duckdb.DuckDBPyConnection | None,
    store: str,
    rows: Iterable[Mapping[str, Any]],
    user: User | None,
) -> SaveResult:
    """Upsert (month, consultant, metric) target rows of a store in one transaction.

    `db` is a database path (None: the default database) or an open read-write connection.
    A row whose target is empty deletes that target. Only a signed-in manager may save:
    anyone else gets PermissionError before the database is opened. Raises TargetsError for
    invalid rows (nothing is written then). The change is logged with the user's name.
    """
    _require_manager(user)
    if not store or not str(store).strip():
        raise TargetsError(["store: a value is required"])
    cleaned = clean_rows(rows)
    if isinstance(db, duckdb.DuckDBPyConnection):
        result = _apply(db, store, cleaned)
    else:
        with connect(db) as con:
            result = _apply(con, store, cleaned)
    log.info(
        "targets of store %s saved by %s: %d inserted, %d updated, %d deleted, %d unchanged",
        store, user.username, result.inserted, result.updated, result.deleted, result.unchanged,
    )  # fmt: skip
    return result


# ----------------------------------------------------------------------------- the editor


@dataclass(frozen=True)
class EditorData:
    """What the Targets page needs to edit a store's year of one metric."""

    saved: pd.DataFrame  # saved_frame, plus an empty column for each team member without one
    team: list[str]
    history: dict[int, float]  # last year's deliveries per month 1-12


def load_editor(
    db: str | os.PathLike | duckdb.DuckDBPyConnection | None,
    store: str,
    year: int,
    metric: str,
    as_of: date,
) -> EditorData:
    """Read a store's saved targets, its current team and last year's deliveries.

    `db` is a database path (opened read-only for this read) or an open connection.
    """

    def read(con: duckdb.DuckDBPyConnection) -> EditorData:
        saved = saved_frame(con, store, year, metric)
        people = team(con, store, as_of)
        for name in people:
            if name not in saved.columns:
                saved[name] = math.nan
        return EditorData(saved, people, last_year_deliveries(con, store, year))

    if isinstance(db, duckdb.DuckDBPyConnection):
        return read(db)
    with connect(db, read_only=True) as con:
        return read(con)


def year_months(year: int) -> list[str]:
    """Return the twelve 'YYYY-MM' months of a year."""
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def apportion(total: float, weights: Sequence[float], offset: int = 0) -> list[int]:
    """Split round(total) into whole parts proportional to weights (largest remainder).

    Equal weights when they sum to 0. Ties in the remainders go to the part at `offset` first,
    then the following ones, so equal shares rotate their extra unit month by month.
    """
    whole = int(round(total))
    n = len(weights)
    if n == 0:
        return []
    w = [max(0.0, float(x)) for x in weights]
    if sum(w) <= 0:
        w = [1.0] * n
    exact = [whole * x / sum(w) for x in w]
    parts = [math.floor(e) for e in exact]
    order = sorted(range(n), key=lambda i: (-(exact[i] - parts[i]), (i - offset) % n))
    for i in order[: whole - sum(parts)]:
        parts[i] += 1
    return parts


def last_year_deliveries(con: duckdb.DuckDBPyConnection, store: str | None, year: int) -> dict:
    """Return deliveries per month 1-12 of the year before `year` (the seasonality history)."""
    return monthly_deliveries(con, year - 1, store)


def team(con: duckdb.DuckDBPyConnection, store: str, as_of: date) -> list[str]:
    """Return the consultants who received a walk-in or delivered in the 90 days to as_of."""
    sql = """
    SELECT consultant FROM traffic
    WHERE store = $store AND kind = 'walk_in' AND visit_date > $since AND visit_date <= $as_of
      AND consultant IS NOT NULL
    UNION
    SELECT consultant FROM orders
    WHERE store = $store AND status = 'delivered' AND delivery_date > $since
      AND delivery_date <= $as_of AND consultant IS NOT NULL
    ORDER BY 1
    """
    params = {"store": store, "since": as_of - timedelta(days=TEAM_DAYS), "as_of": as_of}
    return [r[0] for r in con.execute(sql, params).fetchall()]


def saved_frame(con: duckdb.DuckDBPyConnection, store: str, year: int, metric: str) -> pd.DataFrame:
    """Return a store's saved targets of a year and metric laid out for the editor.

    One row per month (all twelve); column STORE_COLUMN holds the store-wide target, then one
    column per consultant with a target that year, by name. Empty cells are NaN.
    """
    rows = con.execute(
        "SELECT month, consultant, target FROM targets "
        "WHERE store = $store AND metric = $metric AND month BETWEEN $first AND $last",
        {"store": store, "metric": metric, "first": f"{year}-01", "last": f"{year}-12"},
    ).fetchall()
    people = sorted({c for _, c, _ in rows if c})
    frame = pd.DataFrame(
        {MONTH_COLUMN: year_months(year)}
        | {col: [math.nan] * 12 for col in [STORE_COLUMN, *people]}
    )
    index = {m: i for i, m in enumerate(year_months(year))}
    for month, consultant, target in rows:
        col = consultant if consultant else STORE_COLUMN
        frame.loc[index[month], col] = float(target)
    return frame


def proposal(
    year: int,
    annual_target: float,
    history: Mapping[int, float] | None,
    consultants: Sequence[str] = (),
    others: Sequence[str] = (),
) -> pd.DataFrame:
    """Return the editor's table for an annual target split by last year's seasonality.

    The store column takes each month's share of last year's same-month deliveries (equal
    shares without history) in whole units adding up to the annual target; each month is then
    shared evenly between the consultants, also in whole units (the extra units rotate).
    `others` (people with saved targets who left the team) get empty columns, so saving the
    proposal removes their targets for that year.
    """
    shares = split_annual(1.0, dict(history or {}))
    months = apportion(annual_target, [shares[m] for m in range(1, 13)])
    frame = pd.DataFrame({MONTH_COLUMN: year_months(year), STORE_COLUMN: months}, dtype=object)
    frame[STORE_COLUMN] = frame[STORE_COLUMN].astype("float64")
    for name in consultants:
        frame[name] = 0.0
    if consultants:
        for i, total in enumerate(months):
            parts = apportion(total, [1.0] * len(consultants), offset=i)
            for name, part in zip(consultants, parts, strict=True):
                frame.loc[i, name] = float(part)
    for name in others:
        if name not in frame.columns and name not in (MONTH_COLUMN, STORE_COLUMN):
            frame[name] = math.nan
    return frame


def store_monthly(frame: pd.DataFrame) -> pd.Series:
    """Return each month's store target under the catalogue's rule, indexed by month.

    The store-wide cell when it has a value, else the sum of the consultants' cells (NaN when
    the month has no target at all).
    """
    people = [c for c in frame.columns if c not in (MONTH_COLUMN, STORE_COLUMN)]
    own = pd.to_numeric(frame[STORE_COLUMN], errors="coerce")
    if people:
        summed = frame[people].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
        own = own.where(own.notna(), summed)
    return pd.Series(own.to_numpy(dtype="float64"), index=frame[MONTH_COLUMN].tolist())


def quarters(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the store target per quarter (columns quarter 'Q1'..'Q4', target)."""
    monthly = store_monthly(frame)
    by_number = {int(m[5:7]): (0.0 if pd.isna(v) else float(v)) for m, v in monthly.items()}
    q = split_to_quarters(by_number)
    return pd.DataFrame({"quarter": [f"Q{i}" for i in q], "target": list(q.values())})


def weeks(month: str, target: float | None) -> pd.DataFrame:
    """Return a month's target split over its ISO weeks by their days in the month.

    Columns: week ('YYYY-Www'), days (of the month in that week), target.
    """
    if target is None or pd.isna(target):
        return pd.DataFrame({"week": [], "days": [], "target": []})
    split = split_month_to_weeks(month, float(target))
    # Splitting the month's number of days gives each week's days in the month.
    days = split_month_to_weeks(month, calendar.monthrange(int(month[:4]), int(month[5:7]))[1])
    return pd.DataFrame(
        {
            "week": list(split),
            "days": [round(days[k]) for k in split],
            "target": list(split.values()),
        }
    )


def mismatched_months(frame: pd.DataFrame) -> list[str]:
    """Return the months whose consultants' targets do not add up to the store-wide target.

    Only months with both a store-wide target and at least one consultant target are checked.
    """
    people = [c for c in frame.columns if c not in (MONTH_COLUMN, STORE_COLUMN)]
    if not people:
        return []
    own = pd.to_numeric(frame[STORE_COLUMN], errors="coerce")
    summed = frame[people].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
    off = own.notna() & summed.notna() & ((own - summed).abs() > 1e-6)
    return frame.loc[off, MONTH_COLUMN].tolist()


def rows_from_frame(frame: pd.DataFrame, metric: str) -> list[dict[str, Any]]:
    """Return the editor's table as target rows: one per month and column, empty = delete."""
    rows = []
    for _, r in frame.iterrows():
        for col in frame.columns:
            if col == MONTH_COLUMN:
                continue
            value = r[col]
            rows.append(
                {
                    "month": r[MONTH_COLUMN],
                    "consultant": None if col == STORE_COLUMN else col,
                    "metric": metric,
                    "target": None if _missing(value) else float(value),
                }
            )
    return rows
