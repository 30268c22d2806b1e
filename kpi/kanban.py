"""The showroom TV's numbers (销售看板): leaderboard, today on the floor, month progress, models.

Pure functions over the store database, each for one store and "today" (the date in the
store's timezone). They reuse kpi.sales, kpi.targets and kpi.inventory rather than re-deriving
any formula; this module only picks, joins and ranks.

- leaderboard: per consultant, deliveries and orders of the running month, the deliveries
  target, achievement and the traffic light against time progress; ranked by deliveries with
  total gross breaking ties; plus the team (store) total.
- today_floor: walk-ins, first visits, calls, test drives and orders dated today against the
  average of the same weekday over the 8 weeks before.
- month_progress: store deliveries, orders, walk-ins and test drives against target and time
  progress, with the month-end projection (pace).
- models: orders and deliveries per model in the running month against units in stock today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from kpi import catalogue, inventory, query, sales, targets
from kpi.scope import Scope

# The tables this module reads, through the kpi functions it calls (its own queries name
# none beyond them): ui.data caches its results on their versions (tests/kpi/test_reads.py
# checks the list).
READS: frozenset[str] = inventory.READS | sales.READS | targets.READS

PANELS = ("leaderboard", "today", "month", "models")
# The counts of the "today on the floor" panel, in display order.
FLOOR_METRICS = ("walk_in_batches", "first_visit_batches", "phone_batches", "test_drives", "orders")
# The store metrics of the "month progress" panel, in display order.
MONTH_METRICS = ("deliveries", "orders", "walk_in_batches", "test_drives")
WEEKS_BACK = 8
# The leaderboard's target and traffic light are about units sold (the catalogue's volume).
RANK_METRIC = "deliveries"


@dataclass(frozen=True)
class Board:
    """The leaderboard: one ranked row per consultant, and the team total of the store."""

    rows: pd.DataFrame
    total: dict[str, Any]
    time_progress: float


def month_scope(store: str, today: date) -> Scope:
    """Return the calendar month of `today` for one store, as of today."""
    return Scope.for_month(today, today=today, store=store)


def _lights(values: pd.Series) -> pd.Series:
    """Return traffic lights as an object column holding None (grey) for no value."""
    return pd.Series(
        [query.plain(v) for v in values.astype(object)], index=values.index, dtype=object
    )


def _store_row(frame: pd.DataFrame, store: str) -> dict[str, Any]:
    """Return the row of targets.achievement(by='store') for the store (zeros when absent)."""
    hit = frame[frame["store"] == store]
    if hit.empty:
        return {}
    return {k: query.plain(v) for k, v in hit.iloc[0].to_dict().items()}


def leaderboard(con: duckdb.DuckDBPyConnection, store: str, today: date) -> Board:
    """Return the consultants of the store ranked by deliveries of the running month.

    rows columns: rank, consultant, deliveries, orders, total_gross (CNY), target (deliveries
    target, NaN without one), achievement (deliveries ÷ target, NaN without a target),
    traffic_light ('green' / 'amber' / 'red', None without a target). Rank: more deliveries
    first; equal deliveries, more total gross first; equal both, the same rank (1, 2, 2, 4),
    listed by name. A consultant with a target but no activity yet is listed with zeros.

    total: the store's deliveries, orders, target (the store row, else the sum of
    its consultants'), achievement and traffic_light; deliveries and orders without a
    consultant count in the total only.
    """
    scope = month_scope(store, today)
    by = sales.by_consultant(con, scope)
    by = by[by["store"] == store][["consultant", "deliveries", "orders", "total_gross"]]
    ach = targets.achievement(con, scope, RANK_METRIC, by="consultant")
    ach = ach[(ach["store"] == store) & ach["consultant"].notna()]
    ach = ach[["consultant", "target", "achievement", "traffic_light"]]
    # achievement() lists every consultant with activity or a target, so the join is complete.
    rows = by.merge(ach, on="consultant", how="outer")
    for col in ("deliveries", "orders"):
        rows[col] = rows[col].fillna(0).astype("int64")
    rows["total_gross"] = rows["total_gross"].astype("float64").fillna(0.0)
    for col in ("target", "achievement"):
        rows[col] = rows[col].astype("float64")
    rows["traffic_light"] = _lights(rows["traffic_light"])
    rows = rows.sort_values(
        ["deliveries", "total_gross", "consultant"], ascending=[False, False, True]
    ).reset_index(drop=True)
    keys = list(zip(rows["deliveries"], rows["total_gross"], strict=True))
    rows.insert(0, "rank", [1 + sum(k > key for k in keys) for key in keys])
    rows["rank"] = rows["rank"].astype("int64")

    store_d = _store_row(targets.achievement(con, scope, "deliveries", by="store"), store)
    store_o = _store_row(targets.achievement(con, scope, "orders", by="store"), store)
    total = {
        "deliveries": int(store_d.get("actual") or 0),
        "orders": int(store_o.get("actual") or 0),
        "target": store_d.get("target"),
        "achievement": store_d.get("achievement"),
        "traffic_light": store_d.get("traffic_light"),
    }
    if not catalogue.judged("traffic_light", scope.elapsed):
        # The month's first week: too few days to tell a slow start from a problem, so the
        # board shows progress without lights (grey), like the Overview (kpi.attention).
        rows["traffic_light"] = None
        total["traffic_light"] = None
    cols = ["rank", "consultant", "deliveries", "orders", "total_gross", "target"]
    cols += ["achievement", "traffic_light"]
    return Board(rows=rows[cols], total=total, time_progress=targets.time_progress(today))


def same_weekdays(today: date, weeks: int = WEEKS_BACK) -> list[date]:
    """Return the same weekday in each of the `weeks` weeks before today, latest first."""
    return [today - timedelta(days=7 * k) for k in range(1, weeks + 1)]


def _first_record(con: duckdb.DuckDBPyConnection, store: str) -> date | None:
    """Return the store's earliest traffic or order date (None without any)."""
    row = con.execute(
        """SELECT least((SELECT min(visit_date) FROM traffic WHERE store = $s),
                        (SELECT min(order_date) FROM orders WHERE store = $s))""",
        {"s": store},
    ).fetchone()
    return row[0] if row else None


def today_floor(con: duckdb.DuckDBPyConnection, store: str, today: date) -> pd.DataFrame:
    """Return today's floor counts against the same weekday's average over the last 8 weeks.

    Columns: metric (FLOOR_METRICS order), today, avg_8w, weeks. avg_8w = Σ the metric on the
    same weekday 7, 14, ..., 56 days before today ÷ weeks, where weeks counts those days on or
    after the store's first traffic or order (a new store is not averaged over days it had no
    data); avg_8w is NaN when weeks is 0. Counts as kpi.sales.daily defines them (orders:
    non-cancelled, by order date).
    """
    days = same_weekdays(today)
    scope = Scope(start=days[-1], end=today, as_of=today, store=store)
    daily = sales.daily(con, scope).set_index("date")
    first = _first_record(con, store)
    counted = [d for d in days if first is not None and d >= first]
    rows = []
    for metric in FLOOR_METRICS:
        now = int(daily.at[today, metric]) if today in daily.index else 0
        past = sum(int(daily.at[d, metric]) for d in counted if d in daily.index)
        avg = past / len(counted) if counted else float("nan")
        rows.append({"metric": metric, "today": now, "avg_8w": avg, "weeks": len(counted)})
    out = pd.DataFrame(rows, columns=["metric", "today", "avg_8w", "weeks"])
    out["avg_8w"] = out["avg_8w"].astype("float64")
    return out


def month_progress(con: duckdb.DuckDBPyConnection, store: str, today: date) -> pd.DataFrame:
    """Return the store's month-to-date actuals against target, time progress and pace.

    Columns: metric (MONTH_METRICS order), actual, target (NaN without one), achievement,
    time_progress, traffic_light (None without a target, and in the month's first week),
    pace (the month-end projection: actual ÷ days elapsed × days in month), all from
    kpi.targets.achievement; forecast, forecast_low, forecast_high and target_chance for
    deliveries (kpi.forecast; NaN for the other metrics).
    """
    scope = month_scope(store, today)
    predicted = targets.month_forecast(con, scope)
    rows = []
    for metric in MONTH_METRICS:
        r = _store_row(targets.achievement(con, scope, metric, by="store"), store)
        ahead = predicted if metric == "deliveries" else {}
        rows.append(
            {
                "metric": metric,
                "actual": int(r.get("actual") or 0),
                "target": r.get("target"),
                "achievement": r.get("achievement"),
                "time_progress": targets.time_progress(today),
                "traffic_light": r.get("traffic_light"),
                "pace": r.get("pace") if r else 0.0,
                "forecast": ahead.get("deliveries_forecast"),
                "forecast_low": ahead.get("deliveries_forecast_low"),
                "forecast_high": ahead.get("deliveries_forecast_high"),
                "target_chance": ahead.get("target_chance"),
            }
        )
    out = pd.DataFrame(rows)
    for col in ("target", "achievement", "pace", "forecast", "forecast_low", "forecast_high",
                "target_chance"):  # fmt: skip
        out[col] = out[col].astype("float64")
    out["traffic_light"] = _lights(out["traffic_light"])
    if not catalogue.judged("traffic_light", scope.elapsed):
        out["traffic_light"] = None
    return out


def models(con: duckdb.DuckDBPyConnection, store: str, today: date) -> pd.DataFrame:
    """Return per model: orders and deliveries of the running month and units in stock today.

    Columns: model, orders, deliveries, stock_units. A model appears when it has any of the
    three; an unknown model is None. Sorted by deliveries, orders, stock, descending.
    """
    scope = month_scope(store, today)
    sold = sales.by_model(con, scope)[["model", "orders", "deliveries"]]
    stock = inventory.by_model(con, scope)[["model", "stock_units"]]
    for f in (sold, stock):
        f["model"] = f["model"].astype(object).where(f["model"].notna() & (f["model"] != ""), "")
    out = sold.merge(stock, on="model", how="outer")
    for col in ("orders", "deliveries", "stock_units"):
        out[col] = out[col].fillna(0).astype("int64")
    out = out[out[["orders", "deliveries", "stock_units"]].sum(axis=1) > 0]
    out = out.sort_values(
        ["deliveries", "orders", "stock_units", "model"], ascending=[False, False, False, True]
    )
    out["model"] = out["model"].where(out["model"] != "", None)
    return out[["model", "orders", "deliveries", "stock_units"]].reset_index(drop=True)
