"""Month-end delivery forecast (月底交车预测) with its 80 % interval, and its backtest.

The forecast of as_of's month, for one store, is built from what was known on as_of only
(KPI-CATALOGUE.md, "Targets and pacing", ``deliveries_forecast``):

    forecast = delivered so far
             + Σ over orders waiting on as_of of P(delivered by month end | waited so far)
             + Σ over the month's remaining days t of expected new orders on t
               × P(an order of day t is delivered by month end)

Lead times come from the store's non-cancelled orders of the 365 days before the month
(a Kaplan–Meier estimate: an order not delivered by then counts as still waiting, so recent
orders do not bias it short). Expected new orders per day are the store's daily average over
those 365 days × its weekday factor × its part-of-month factor (days 1–10, 11–20, 21–end),
scaled by how the last 28 days up to as_of ran against that expectation (shrunk towards 1).

The 80 % interval is empirical: the same forecast at the same number of days before month end
(± 2 days) in each of the 12 months before, each with only the data known on its own day, gives
the ratio of what was then still to come (actual − delivered) to what was forecast to come; the
interval is delivered + forecast remainder × the 10th and 90th percentile of those ratios.
All stores pooled: the sum of the stores' forecasts, and the ratios of the pooled remainders,
so the stores' errors combine as they did in the past rather than as if independent.

Fallbacks: a store with no order before the month has no history: its forecast is `pace`
(deliveries so far ÷ days elapsed × days in month). Fewer than MIN_RATIOS past ratios: a
Poisson interval around the remainder. A complete month (as_of its last day): the actual
deliveries, the interval collapsed onto them.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from datetime import date, timedelta
from typing import NamedTuple

import duckdb

from kpi import query
from kpi.scope import add_months, month_end, month_start
from warehouse.forecast_points import MISSING_SQL, PARAMS, POINTS_SQL, STORED_SQL

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"orders", "stores"})

CALIBRATION_MONTHS = 12  # past months whose forecasts calibrate the interval
CALIBRATION_SPREAD = 2  # ± days around the same distance from month end
MIN_RATIOS = 15  # fewer past ratios: a Poisson interval instead of the empirical one
LOW_Q, HIGH_Q = 0.075, 0.925  # the 80 % interval (see DECISIONS: small-sample widening)
Z80 = 1.2815515655446004  # the normal quantile of 0.90

# The points (one store's forecast at one origin, before calibration) are derived state kept
# with the orders (warehouse/forecast_points.py, its SQL in warehouse/sql/forecast_*.sql):
# _points reads the stored ones and computes only the rest from the rows.

# Deliveries per store and month, for months complete by $bound (calibration and backtest).
ACTUALS_SQL = """
SELECT store, date_trunc('month', delivery_date)::DATE AS month, count(*) AS n
FROM orders
WHERE status = 'delivered' AND delivery_date BETWEEN $first AND $bound
  AND store IN (SELECT unnest($stores::VARCHAR[]))
GROUP BY store, month
"""

# A point's expected deliveries still to come in its month (Point.remainder), from a points
# row (STORED_SQL's columns): the waiting and the new orders' expectation with history, pace's
# remainder (pace − delivered) without. The one rule for _points and POOLED_SQL (the same
# double arithmetic in the same order as Python's, so both give the same floats).
REMAINDER_SQL = """CASE WHEN has_history
        THEN CAST(waiting AS DOUBLE) + CAST(new_orders AS DOUBLE)
        ELSE CAST(delivered AS DOUBLE) / day(origin) * day(last_day(origin)) - delivered END"""


def _with_remainder(points_sql: str) -> str:
    """Return a points query's rows as (store, origin, delivered, has_history, remainder)."""
    return f"""SELECT store, origin, delivered, has_history, {REMAINDER_SQL} AS remainder
FROM ({points_sql})"""


# The points of $stores × $origins (the stored ones unless $stored is false, then the
# computed ones bound as c_* lists) summed per origin, with the month's deliveries of each
# store (its actual, ACTUALS_SQL, for origins before the month $bound ends). The remainders
# are kept as lists in store order: the sums are then Python's, term by term as _result and
# _ratios add Points, so a pooled forecast equals theirs to the last bit.
POOLED_SQL = f"""
WITH points AS (
    SELECT * FROM ({STORED_SQL}) WHERE $stored
    UNION ALL
    SELECT unnest($c_store::VARCHAR[]), unnest($c_origin::DATE[]),
        unnest($c_delivered::BIGINT[]), unnest($c_history::BOOLEAN[]),
        unnest($c_waiting::DOUBLE[]), unnest($c_new::DOUBLE[])
),
actuals AS ({ACTUALS_SQL}),
rest AS (
    SELECT p.store, p.origin, p.delivered, coalesce(p.has_history, false) AS has_history,
        coalesce(a.n, 0) - p.delivered AS to_come, p.remainder
    FROM ({_with_remainder("SELECT * FROM points")}) p
    LEFT JOIN actuals a ON a.store = p.store AND a.month = date_trunc('month', p.origin)
)
SELECT origin, count(*) AS n, sum(delivered) AS delivered, bool_or(has_history) AS history,
    list(remainder ORDER BY store) AS remainders,
    list(remainder ORDER BY store) FILTER (WHERE has_history) AS history_remainders,
    sum(to_come) FILTER (WHERE has_history) AS history_to_come
FROM rest
GROUP BY origin
"""


class Pooled(NamedTuple):
    """The points of several stores at one origin, pooled: what _result and _ratios use."""

    n: int  # points found
    delivered: int
    remainder: float  # Σ of the points' remainders, in store order
    has_history: bool  # any point with history
    history_remainder: float  # Σ over the points with history only
    history_to_come: int  # Σ over them of the month's actual deliveries − delivered so far
    history_n: int


class Point(NamedTuple):
    """One store's forecast at one origin, before calibration (a tuple: a pooled forecast
    builds tens of thousands, one per store and calibration day)."""

    delivered: int
    remainder: float  # expected deliveries still to come this month
    has_history: bool


def _days_in_month(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def _pace(delivered: float, as_of: date) -> float:
    return delivered / as_of.day * _days_in_month(as_of)


def _points(
    con: duckdb.DuckDBPyConnection, origins: list[tuple[str, date]], bound: date
) -> dict[tuple[str, date], Point]:
    """Return the uncalibrated forecast of every (store, origin), reading nothing after bound.

    Origins are on or before bound. The points stored with the orders are read; the others
    (a day after a store's latest order or delivery) are computed from the rows, as are all
    inside query.raw_rows(). A store without history gets pace's remainder (pace − delivered).
    """
    if not origins:
        return {}
    rows: list[tuple] = []
    if query.summaries_allowed_any():
        wanted = set(origins)
        days = {"stores": sorted({s for s, _ in wanted}), "origins": sorted({d for _, d in wanted})}
        stored = con.execute(_with_remainder(STORED_SQL), days).fetchall()
        rows = [r for r in stored if (r[0], r[1]) in wanted]
        found = {(r[0], r[1]) for r in rows}
        origins = [o for o in origins if o not in found]
    if origins:
        params = {"bound": bound, "first": min(d for _, d in origins), **PARAMS}
        rows += _fetch(con, _with_remainder(POINTS_SQL), origins, params)
    return {
        (store, origin): Point(int(delivered), float(rest), bool(has_history))
        for store, origin, delivered, has_history, rest in rows
    }


def _fetch(
    con: duckdb.DuckDBPyConnection, sql: str, origins: list[tuple[str, date]], params: dict
) -> list[tuple]:
    """Run a points query for the (store, origin) pairs ($stores, $origins: parallel lists)."""
    pairs = {"stores": [s for s, _ in origins], "origins": [d for _, d in origins]}
    return con.execute(sql, {**pairs, **params}).fetchall()


def _actuals(
    con: duckdb.DuckDBPyConnection, stores: list[str], first: date, bound: date
) -> dict[tuple[str, date], int]:
    """Return deliveries per (store, first day of month) from first to bound."""
    if bound < first or not stores:
        return {}
    rows = con.execute(ACTUALS_SQL, {"stores": stores, "first": first, "bound": bound})
    return {(s, m): int(n) for s, m, n in rows.fetchall()}


def _calibration_days(as_of: date) -> list[date]:
    """Return the past origins that calibrate as_of's interval.

    The same number of days before month end (± CALIBRATION_SPREAD) in each of the
    CALIBRATION_MONTHS months before as_of's month, kept inside their month.
    """
    rest = (month_end(as_of) - as_of).days
    if rest == 0:
        return []
    out = []
    for back in range(1, CALIBRATION_MONTHS + 1):
        last = month_end(add_months(month_start(as_of), -back))
        first = month_start(last)
        days = {
            max(first, min(last, last - timedelta(days=rest + delta)))
            for delta in range(-CALIBRATION_SPREAD, CALIBRATION_SPREAD + 1)
        }
        out.extend(sorted(d for d in days if d < last))
    return out


def quantile(values: list[float], q: float) -> float:
    """Return the q-quantile of values by linear interpolation (numpy's default)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _ratios(
    stores: list[str],
    days: list[date],
    points: dict[tuple[str, date], Point],
    actuals: dict[tuple[str, date], int],
) -> list[float]:
    """Return, per past origin, actual remainder ÷ forecast remainder of the stores pooled."""
    out = []
    for d in days:
        month = month_start(d)
        found = ((points.get((s, d)), s) for s in stores)
        got = [(p, actuals.get((s, month), 0)) for p, s in found if p is not None and p.has_history]
        forecast = sum(p.remainder for p, _ in got)
        if got and forecast > 0:
            out.append(sum(a - p.delivered for p, a in got) / forecast)
    return out


def _pool(points: list[Point]) -> Pooled:
    """Return the points of one origin pooled (their sums in their order)."""
    return Pooled(
        len(points),
        sum(p.delivered for p in points),
        sum(p.remainder for p in points),
        any(p.has_history for p in points),
        0.0,
        0,
        0,
    )


def _result(
    as_of: date, now: Pooled, ratios: list[float], target: float | None
) -> dict[str, float | None]:
    """Return the forecast, its interval and the chance of reaching target, stores pooled."""
    delivered = now.delivered
    rest = now.remainder
    forecast = delivered + rest
    if as_of == month_end(as_of):
        low = high = float(delivered)
        chance = None if not target else float(delivered >= target)
        return _out(float(delivered), low, high, chance)
    if not now.n or not now.has_history:
        # No history: pace, and no honest interval
        return _out(float(forecast), None, None, None)
    if len(ratios) >= MIN_RATIOS:
        low = delivered + rest * quantile(ratios, LOW_Q)
        high = delivered + rest * quantile(ratios, HIGH_Q)
        chance = None
        if target:
            reach = target - 1e-6  # float noise of a ratio of 1
            chance = sum(delivered + rest * r >= reach for r in ratios) / len(ratios)
    else:
        spread = Z80 * math.sqrt(rest)
        low, high = delivered + max(0.0, rest - spread), delivered + rest + spread
        chance = None
    # never a range that leaves out its own forecast (float noise, or a one-sided past)
    return _out(float(forecast), float(min(low, forecast)), float(max(high, forecast)), chance)


def _out(forecast, low, high, chance) -> dict[str, float | None]:
    return {
        "deliveries_forecast": forecast,
        "deliveries_forecast_low": low,
        "deliveries_forecast_high": high,
        "target_chance": chance,
    }


def _stores(con: duckdb.DuckDBPyConnection, store: str | None, as_of: date) -> list[str]:
    """Return the stores in scope that have an order placed by as_of."""
    rows = con.execute(
        "SELECT DISTINCT store FROM orders WHERE order_date <= $as_of "
        "AND ($store::VARCHAR IS NULL OR store = $store) ORDER BY store",
        {"as_of": as_of, "store": store},
    ).fetchall()
    return [r[0] for r in rows]


def deliveries_forecast(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    store: str | None = None,
    target: float | None = None,
) -> dict[str, float | None]:
    """Return the month-end delivery forecast of as_of's month and its 80 % interval.

    Keys: ``deliveries_forecast``, ``deliveries_forecast_low``, ``deliveries_forecast_high``
    (catalogue ids, units) and ``target_chance`` (the share of the store's past forecasts at
    this point of the month whose outcome, applied to today's forecast, reaches ``target``;
    None without a target or a calibrated interval). ``store`` None pools every store: the
    sum of the stores' forecasts. Reads nothing dated after as_of. With no history the
    forecast is pace and the interval None; as_of on a month's last day gives the actual
    deliveries with the interval collapsed onto them.
    """
    stores = _stores(con, store, as_of)
    days = _calibration_days(as_of)
    pooled = _pooled(con, stores, [as_of, *days], as_of)
    empty = Pooled(0, 0, 0, False, 0, 0, 0)
    ratios = [_ratio(pooled[d]) for d in days if d in pooled]
    now = pooled.get(as_of, empty)
    return _result(as_of, now, [r for r in ratios if r is not None], target)


def _ratio(p: Pooled) -> float | None:
    """Return _ratios' ratio of one pooled past origin: None without a forecast remainder."""
    if p.history_n and p.history_remainder > 0:
        return p.history_to_come / p.history_remainder
    return None


def _pooled(
    con: duckdb.DuckDBPyConnection, stores: list[str], origins: list[date], bound: date
) -> dict[date, Pooled]:
    """Return the points of every store at every origin pooled per origin (POOLED_SQL).

    The same points as _points(stores × origins, bound), summed in store order as _result and
    _ratios sum them, without a Python object per point: the stored points are summed where
    they are, the few others computed (all of them inside query.raw_rows()) and bound.
    """
    if not stores:
        return {}
    stored = query.summaries_allowed_any()
    days = sorted(set(origins))
    lists: dict[str, list] = {"stores": stores, "origins": days}
    if stored:
        missing = con.execute(MISSING_SQL, lists).fetchall()
    else:
        missing = [(s, d) for s in stores for d in days]
    computed: list[tuple] = []
    if missing:
        params = {"bound": bound, "first": min(d for _, d in missing), **PARAMS}
        computed = _fetch(con, POINTS_SQL, missing, params)
    columns = ("c_store", "c_origin", "c_delivered", "c_history", "c_waiting", "c_new")
    bound_rows = {c: [r[i] for r in computed] for i, c in enumerate(columns)}
    bound_rows["c_waiting"] = [float(v) for v in bound_rows["c_waiting"]]
    bound_rows["c_new"] = [float(v) for v in bound_rows["c_new"]]
    past = [d for d in days if month_start(d) < month_start(bound)]
    first = month_start(min(past)) if past else bound
    actual = {"first": first, "bound": month_start(bound) - timedelta(days=1)}
    rows = con.execute(POOLED_SQL, {**lists, **bound_rows, **actual, "stored": stored})
    out = {}
    for origin, n, delivered, history, rests, history_rests, to_come in rows.fetchall():
        kept = history_rests or []
        out[origin] = Pooled(
            n, delivered, sum(rests), bool(history), sum(kept), to_come or 0, len(kept)
        )
    return out


# ----------------------------------------------------------------------------- backtest

BACKTEST_DAYS = (5, 10, 15, 20, 25)


def backtest(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    store: str | None = None,
    months: int = 12,
    pooled: bool = False,
) -> list[dict]:
    """Return one row per case: the forecast and pace at days 5–25 of past complete months.

    The months are the ``months`` complete months before as_of's month (as_of on a month's
    last day counts that month). Each case's forecast is deliveries_forecast's at that day
    (only the data known then); the actual is the month's deliveries. Cases are per store,
    or the stores pooled when ``pooled``. Row keys: store, month, day, actual, forecast, low,
    high, pace.
    """
    last = month_start(as_of) if as_of != month_end(as_of) else add_months(month_start(as_of), 1)
    targets = [add_months(last, -n) for n in range(months, 0, -1)]
    stores = _stores(con, store, month_end(targets[-1])) if targets else []
    origins_by_day = {
        m.replace(day=d): _calibration_days(m.replace(day=d))
        for m in targets
        for d in BACKTEST_DAYS
    }
    every = sorted({d for k, v in origins_by_day.items() for d in (k, *v)})
    points = _points(con, [(s, d) for s in stores for d in every], month_end(targets[-1]))
    first = month_start(every[0]) if every else as_of
    actuals = _actuals(con, stores, first, month_end(targets[-1]))
    groups = [stores] if pooled else [[s] for s in stores]
    rows = []
    for group in groups:
        for origin, days in origins_by_day.items():
            found = [points[(s, origin)] for s in group if (s, origin) in points]
            if not found:
                continue
            ratios = _ratios(group, days, points, actuals)
            now = _pool(found)
            res = _result(origin, now, ratios, None)
            delivered = now.delivered
            rows.append(
                {
                    "store": None if pooled else group[0],
                    "month": month_start(origin),
                    "day": origin.day,
                    "actual": sum(actuals.get((s, month_start(origin)), 0) for s in group),
                    "forecast": res["deliveries_forecast"],
                    "low": res["deliveries_forecast_low"],
                    "high": res["deliveries_forecast_high"],
                    "pace": _pace(delivered, origin),
                }
            )
    return rows


def backtest_summary(rows: list[dict]) -> list[dict]:
    """Return per day (then 'all'): cases, forecast and pace MdAPE, their ratio, coverage.

    Cases whose month had no delivery are left out (no percentage error).
    """
    by_day: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["actual"] > 0:
            by_day[str(r["day"])].append(r)
            by_day["all"].append(r)
    out = []
    for key in [*(str(d) for d in BACKTEST_DAYS), "all"]:
        cases = by_day.get(key, [])
        if not cases:
            continue
        fc = _median([abs(r["forecast"] - r["actual"]) / r["actual"] for r in cases])
        pace = _median([abs(r["pace"] - r["actual"]) / r["actual"] for r in cases])
        ranged = [r for r in cases if r["low"] is not None]
        inside = [r for r in ranged if r["low"] - 1e-9 <= r["actual"] <= r["high"] + 1e-9]
        out.append(
            {
                "day": key,
                "cases": len(cases),
                "forecast_mdape": fc,
                "pace_mdape": pace,
                "ratio": fc / pace if pace else None,
                "coverage": len(inside) / len(ranged) if ranged else None,
            }
        )
    return out


def _median(values: list[float]) -> float:
    return quantile(values, 0.5)


def backtest_table(rows: list[dict]) -> str:
    """Return backtest_summary(rows) as a plain-text table, one line per day, then 'all'."""
    head = f"{'day':>4} {'cases':>6} {'forecast MdAPE':>15} {'pace MdAPE':>11} {'ratio':>6} "
    head += f"{'in 80 % range':>14}"
    lines = [head]
    for r in backtest_summary(rows):
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        cover = "—" if r["coverage"] is None else f"{r['coverage']:.0%}"
        lines.append(
            f"{r['day']:>4} {r['cases']:>6} {r['forecast_mdape']:>15.1%} "
            f"{r['pace_mdape']:>11.1%} {ratio:>6} {cover:>14}"
        )
    if len(lines) == 1:
        lines.append("no complete month with deliveries to test")
    return "\n".join(lines)
