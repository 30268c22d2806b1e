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
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from kpi.scope import add_months, month_end, month_start

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"orders", "stores"})

HISTORY_DAYS = 365  # lead times and order rates: the store's last 12 months before the month
LEVEL_DAYS = 28  # the recent window whose orders scale the expected order rate
LEVEL_PRIOR = 20.0  # shrinkage of that scale towards 1, in expected orders
CALIBRATION_MONTHS = 12  # past months whose forecasts calibrate the interval
CALIBRATION_SPREAD = 2  # ± days around the same distance from month end
MIN_RATIOS = 15  # fewer past ratios: a Poisson interval instead of the empirical one
LOW_Q, HIGH_Q = 0.075, 0.925  # the 80 % interval (see DECISIONS: small-sample widening)
Z80 = 1.2815515655446004  # the normal quantile of 0.90

# One row per (store, origin): deliveries of the origin's month up to the origin, and the
# expected deliveries still to come from waiting orders and from orders not yet placed.
# Every read of orders is bounded by the origin (or the day before its month, `ref`).
POINTS_SQL = """
WITH origins AS (
    SELECT DISTINCT store, origin,
        date_trunc('month', origin)::DATE AS first_day,
        last_day(origin) AS last_day,
        (date_trunc('month', origin) - INTERVAL 1 DAY)::DATE AS ref
    FROM (SELECT unnest($stores::VARCHAR[]) AS store, unnest($origins::DATE[]) AS origin)
),
refs AS (
    SELECT DISTINCT store, ref FROM origins
),
known AS (
    -- non-cancelled orders placed by the latest origin: nothing later is ever read
    SELECT store, order_date, delivery_date, status = 'delivered' AS delivered
    FROM orders
    WHERE status <> 'cancelled' AND order_date <= $bound
      AND store IN (SELECT DISTINCT store FROM refs)
),
hist AS (
    -- each order of the 365 days up to ref: days to its delivery, or days waited by ref
    SELECT r.store, r.ref,
        k.delivered AND k.delivery_date <= r.ref AS done,
        greatest(CASE WHEN k.delivered AND k.delivery_date <= r.ref THEN k.delivery_date
                      ELSE r.ref END - k.order_date, 0) AS days
    FROM refs r JOIN known k ON k.store = r.store
    WHERE k.order_date BETWEEN r.ref - ($history - 1) AND r.ref
),
exits AS (
    SELECT store, ref, days, count(*) AS n, count(*) FILTER (WHERE done) AS e
    FROM hist GROUP BY store, ref, days
),
lags AS (
    SELECT r.store, r.ref, t.k FROM (SELECT DISTINCT store, ref FROM hist) r,
        range(0, $history) t(k)
),
hazard AS (
    SELECT l.store, l.ref, l.k, coalesce(x.e, 0) AS e,
        sum(coalesce(x.n, 0)) OVER (PARTITION BY l.store, l.ref ORDER BY l.k DESC) AS at_risk
    FROM lags l LEFT JOIN exits x ON x.store = l.store AND x.ref = l.ref AND x.days = l.k
),
survival AS MATERIALIZED (
    -- s = P(lead time > k days), Kaplan–Meier over the orders of the window
    SELECT store, ref, k,
        exp(sum(ln(greatest(1 - CASE WHEN at_risk > 0 THEN e / at_risk ELSE 0 END, 1e-12)))
            OVER (PARTITION BY store, ref ORDER BY k)) AS s
    FROM hazard
),
since AS (
    SELECT r.store, r.ref, greatest(min(k.order_date), r.ref - ($history - 1)) AS since
    FROM refs r JOIN known k ON k.store = r.store AND k.order_date <= r.ref
    GROUP BY r.store, r.ref
),
daily AS (
    SELECT store, order_date AS day, count(*) AS n FROM known GROUP BY store, order_date
),
hist_days AS (
    SELECT s.store, s.ref, h.day::DATE AS day
    FROM since s, LATERAL (SELECT unnest(generate_series(s.since, s.ref, INTERVAL 1 DAY)) AS day) h
),
hist_counts AS (
    SELECT h.store, h.ref, h.day, isodow(h.day) AS dow,
        least((day(h.day) - 1) // 10, 2) AS part, coalesce(d.n, 0) AS n
    FROM hist_days h LEFT JOIN daily d ON d.store = h.store AND d.day = h.day
),
base AS (
    SELECT store, ref, avg(n) AS rate FROM hist_counts GROUP BY store, ref
),
dow_shape AS (
    SELECT c.store, c.ref, c.dow, coalesce(avg(c.n) / nullif(b.rate, 0), 1) AS f
    FROM hist_counts c JOIN base b USING (store, ref) GROUP BY c.store, c.ref, c.dow, b.rate
),
part_shape AS (
    SELECT c.store, c.ref, c.part, coalesce(avg(c.n) / nullif(b.rate, 0), 1) AS f
    FROM hist_counts c JOIN base b USING (store, ref) GROUP BY c.store, c.ref, c.part, b.rate
),
expected_day AS (
    -- expected orders on a day from the ref's history: rate × weekday × part of month
    SELECT b.store, b.ref, w.dow, p.part, b.rate * w.f * p.f AS n
    FROM base b JOIN dow_shape w USING (store, ref) JOIN part_shape p USING (store, ref)
),
window_days AS (
    -- from LEVEL_DAYS before the month to its end, each day's orders placed and expected
    -- (none before the store's first order); running sums give any origin's last LEVEL_DAYS
    SELECT s.store, s.ref, w.day, w.day >= s.since AS seen
    FROM since s, LATERAL (SELECT unnest(generate_series(s.ref - ($level - 1),
        last_day(s.ref + 1), INTERVAL 1 DAY))::DATE AS day) w
),
window_sums AS (
    SELECT w.store, w.ref, w.day,
        sum(CASE WHEN w.seen THEN coalesce(d.n, 0) ELSE 0 END) OVER run AS placed,
        sum(CASE WHEN w.seen THEN e.n ELSE 0 END) OVER run AS expected
    FROM window_days w
    JOIN expected_day e ON e.store = w.store AND e.ref = w.ref
        AND e.dow = isodow(w.day) AND e.part = least((day(w.day) - 1) // 10, 2)
    LEFT JOIN daily d ON d.store = w.store AND d.day = w.day
    WINDOW run AS (PARTITION BY w.store, w.ref ORDER BY w.day)
),
recent AS (
    -- the last LEVEL_DAYS days up to the origin: orders placed against orders expected
    SELECT o.store, o.origin, a.placed - b.placed AS placed, a.expected - b.expected AS expected
    FROM origins o
    JOIN window_sums a ON a.store = o.store AND a.ref = o.ref AND a.day = o.origin
    JOIN window_sums b ON b.store = o.store AND b.ref = o.ref AND b.day = o.origin - $level
),
month_days AS (
    -- each day of the month: its expected orders × P(delivered within the days left)
    SELECT w.store, w.ref, w.day, e.n * (1 - v.s) AS n
    FROM window_days w
    JOIN expected_day e ON e.store = w.store AND e.ref = w.ref
        AND e.dow = isodow(w.day) AND e.part = least((day(w.day) - 1) // 10, 2)
    JOIN survival v ON v.store = w.store AND v.ref = w.ref
        AND v.k = least(last_day(w.ref + 1) - w.day, $history - 1)
    WHERE w.day > w.ref
),
to_come AS (
    -- summed over the days after each day
    SELECT store, ref, day, coalesce(sum(n) OVER (PARTITION BY store, ref ORDER BY day DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS n
    FROM month_days
),
new_orders AS (
    SELECT o.store, o.origin, c.n * (r.placed + $prior) / (r.expected + $prior) AS n
    FROM origins o
    JOIN recent r ON r.store = o.store AND r.origin = o.origin
    JOIN to_come c ON c.store = o.store AND c.ref = o.ref AND c.day = o.origin
),
waits AS (
    -- each order's waiting days: from its order date to the day before its delivery
    SELECT store, order_date,
        CASE WHEN delivered THEN delivery_date - 1 ELSE $bound END AS wait_end
    FROM known
    WHERE order_date >= $first - ($history - 1)
),
wait_months AS (
    SELECT w.store, w.order_date, w.wait_end, m.month
    FROM waits w, LATERAL (SELECT unnest(generate_series(date_trunc('month', w.order_date),
        date_trunc('month', w.wait_end), INTERVAL 1 MONTH))::DATE AS month) m
    WHERE w.wait_end >= w.order_date
),
backlog AS MATERIALIZED (
    -- orders waiting on the origin: waited `age` days, delivered by month end = within `span`
    SELECT o.store, o.origin, o.ref,
        least(o.origin - w.order_date, $history - 1) AS age,
        least(o.last_day - w.order_date, $history - 1) AS span
    FROM origins o
    JOIN wait_months w ON w.store = o.store AND w.month = o.first_day
        AND o.origin BETWEEN w.order_date AND w.wait_end
        AND w.order_date >= o.origin - ($history - 1)
),
aged AS MATERIALIZED (
    -- one survival lookup per waiting order, then the other: joined in one step, DuckDB 2.0
    -- pushed the sum below the join and paired every two lags of a store (7 s for 10 stores)
    SELECT w.store, w.origin, w.ref, w.span, a.s AS s_age
    FROM backlog w
    JOIN survival a ON a.store = w.store AND a.ref = w.ref AND a.k = w.age
),
waiting AS (
    SELECT w.store, w.origin, sum(1 - b.s / nullif(w.s_age, 0)) AS n
    FROM aged w
    JOIN survival b ON b.store = w.store AND b.ref = w.ref AND b.k = w.span
    GROUP BY w.store, w.origin
),
delivered AS (
    SELECT o.store, o.origin, count(k.store) AS n
    FROM origins o
    LEFT JOIN (SELECT store, order_date, delivery_date,
                      date_trunc('month', delivery_date)::DATE AS month
               FROM known WHERE delivered) k
        ON k.store = o.store AND k.month = o.first_day
        AND k.delivery_date <= o.origin AND k.order_date <= o.origin
    GROUP BY o.store, o.origin
)
SELECT o.store, o.origin, d.n AS delivered,
    h.store IS NOT NULL AS has_history,
    coalesce(w.n, 0) AS waiting, coalesce(n.n, 0) AS new_orders
FROM origins o
JOIN delivered d ON d.store = o.store AND d.origin = o.origin
LEFT JOIN (SELECT DISTINCT store, ref FROM hist) h ON h.store = o.store AND h.ref = o.ref
LEFT JOIN waiting w ON w.store = o.store AND w.origin = o.origin
LEFT JOIN new_orders n ON n.store = o.store AND n.origin = o.origin
"""

# Deliveries per store and month, for months complete by $bound (calibration and backtest).
ACTUALS_SQL = """
SELECT store, date_trunc('month', delivery_date)::DATE AS month, count(*) AS n
FROM orders
WHERE status = 'delivered' AND delivery_date BETWEEN $first AND $bound
  AND store IN (SELECT unnest($stores::VARCHAR[]))
GROUP BY store, month
"""


@dataclass(frozen=True)
class Point:
    """One store's forecast at one origin, before calibration."""

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

    A store without history gets pace's remainder (pace − delivered).
    """
    if not origins:
        return {}
    params = {
        "stores": [s for s, _ in origins],
        "origins": [d for _, d in origins],
        "bound": bound,
        "first": min(d for _, d in origins),
        "history": HISTORY_DAYS,
        "level": LEVEL_DAYS,
        "prior": LEVEL_PRIOR,
    }
    out: dict[tuple[str, date], Point] = {}
    for store, origin, delivered, has_history, waiting, new in con.execute(
        POINTS_SQL, params
    ).fetchall():
        if has_history:
            rest = float(waiting) + float(new)
        else:
            rest = _pace(delivered, origin) - delivered
        out[(store, origin)] = Point(int(delivered), rest, bool(has_history))
    return out


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
        got = [
            (points[(s, d)], actuals.get((s, month_start(d)), 0))
            for s in stores
            if (s, d) in points and points[(s, d)].has_history
        ]
        forecast = sum(p.remainder for p, _ in got)
        if got and forecast > 0:
            out.append(sum(a - p.delivered for p, a in got) / forecast)
    return out


def _result(
    as_of: date, now: list[Point], ratios: list[float], target: float | None
) -> dict[str, float | None]:
    """Return the forecast, its interval and the chance of reaching target, stores pooled."""
    delivered = sum(p.delivered for p in now)
    rest = sum(p.remainder for p in now)
    forecast = delivered + rest
    if as_of == month_end(as_of):
        low = high = float(delivered)
        chance = None if not target else float(delivered >= target)
        return _out(float(delivered), low, high, chance)
    if not now or not any(p.has_history for p in now):
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
    origins = [(s, d) for s in stores for d in [as_of, *days]]
    points = _points(con, origins, as_of)
    first = month_start(days[-1]) if days else as_of
    actuals = _actuals(con, stores, first, month_start(as_of) - timedelta(days=1))
    now = [points[(s, as_of)] for s in stores if (s, as_of) in points]
    return _result(as_of, now, _ratios(stores, days, points, actuals), target)


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
            now = [points[(s, origin)] for s in group if (s, origin) in points]
            if not now:
                continue
            ratios = _ratios(group, days, points, actuals)
            res = _result(origin, now, ratios, None)
            delivered = sum(p.delivered for p in now)
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
