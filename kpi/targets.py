"""Targets and pacing KPIs (目标): time elapsed, target achievement, month-end pace, status.

Targets live in the `targets` table: one row per (month 'YYYY-MM', consultant, metric), an
empty consultant meaning the whole store. A store's target for a month is its row with an
empty consultant, or else the sum of its consultants' rows. A month only partly inside the
period contributes its target × (its days in the period ÷ its days); all stores pooled is the
sum of each store's target (KPI-CATALOGUE.md, "Targets and pacing").

Actuals come from a registry, METRICS: metric id -> function(con, scope, by) returning a
DataFrame with columns store, consultant, actual. kpi.sales registers its counts here; other
modules (e.g. service_revenue) can call register_metric() to plug in.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import duckdb

from kpi import catalogue, forecast, query, sales, service
from kpi.scope import Scope, add_months, filter_clause, month_end, month_start, store_clause

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset(
    {
        "orders",
        "parts_stock",
        "repair_orders",
        "stores",
        "targets",
        "technicians",
        "traffic",
        "vehicles",
    }
)

if TYPE_CHECKING:
    import pandas as pd

# The pacing KPIs summary() returns: the catalogue's for this module, in its order.
SUMMARY_IDS = catalogue.summary_ids("targets")
# summary() adds the month-end forecast of as_of's month (kpi/forecast.py); target_chance and
# month_deliveries_target are not catalogue ids.
FORECAST_IDS = catalogue.summary_ids("forecast")
# The metric the report's target_achievement, pace and traffic_light are about.
REPORT_METRIC = "deliveries"

MetricFn = Callable[[duckdb.DuckDBPyConnection, Scope, str], "pd.DataFrame"]
METRICS: dict[str, MetricFn] = {}


def register_metric(metric: str, fn: MetricFn) -> None:
    """Register how to compute a metric's actual per store or per (store, consultant).

    fn(con, scope, by) must return columns store, consultant (None when by='store'), actual,
    with the scope's period, store and consultant filter applied.
    """
    METRICS[metric] = fn


def _sales_count(metric: str) -> MetricFn:
    """Return the actual-reader of one of kpi.sales' counts."""

    def actual(con: duckdb.DuckDBPyConnection, scope: Scope, by: str) -> pd.DataFrame:
        df = sales.counts_by(con, scope, by)
        return df[["store", "consultant", metric]].rename(columns={metric: "actual"})

    return actual


for _metric in sales.COUNT_IDS:
    register_metric(_metric, _sales_count(_metric))
register_metric("service_revenue", service.revenue_by_store)


# ----------------------------------------------------------------------------- pure helpers


def time_progress(as_of: date) -> float:
    """Return the share of as_of's month elapsed: as_of's day number ÷ days in that month."""
    return as_of.day / calendar.monthrange(as_of.year, as_of.month)[1]


def status_light(achievement: float | None, expected: float | None) -> str | None:
    """Return 'green', 'amber' or 'red' for achievement against the expected progress.

    green if achievement >= expected, amber if >= 0.8 × expected, else red, equality within
    float noise (kpi.catalogue.traffic_light, the one rule); None (grey) when either is unknown.
    """
    light = catalogue.traffic_light(achievement, expected)
    return None if light == "grey" else light


def month_weights(start: date, end: date) -> dict[str, float]:
    """Return, per 'YYYY-MM' month touching [start, end], its days inside ÷ its days.

    Empty when end is before start.
    """
    out: dict[str, float] = {}
    if end < start:
        return out
    first = month_start(start)
    while first <= end:
        last = month_end(first)
        inside = (min(last, end) - max(first, start)).days + 1
        out[f"{first:%Y-%m}"] = inside / last.day
        first = add_months(first, 1)
    return out


def split_annual(
    annual_target: float, last_year_monthly: dict[int, float] | None = None
) -> dict[int, float]:
    """Split an annual target into months 1-12 by last year's same-month deliveries.

    Each month's share is its share of last year's total; a month missing from the history
    counts 0. Equal twelfths when there is no history (None, empty or a total of 0).
    """
    history = {m: max(0.0, float(v or 0)) for m, v in (last_year_monthly or {}).items()}
    total = sum(history.get(m, 0.0) for m in range(1, 13))
    if total <= 0:
        return {m: annual_target / 12 for m in range(1, 13)}
    return {m: annual_target * history.get(m, 0.0) / total for m in range(1, 13)}


def split_to_quarters(monthly: dict[int, float]) -> dict[int, float]:
    """Return quarters 1-4 as the sum of their months' targets."""
    return {q: sum(monthly.get(m, 0.0) for m in range(3 * q - 2, 3 * q + 1)) for q in range(1, 5)}


def split_month_to_weeks(month: str, target: float) -> dict[str, float]:
    """Split a month's target over its ISO weeks ('YYYY-Www') in proportion to their days.

    A week that straddles two months gets only the share of its days inside this month.
    """
    first = date(int(month[:4]), int(month[5:7]), 1)
    days = calendar.monthrange(first.year, first.month)[1]
    counts: dict[str, int] = {}
    for i in range(days):
        iso = (first + timedelta(days=i)).isocalendar()
        key = f"{iso.year}-W{iso.week:02d}"
        counts[key] = counts.get(key, 0) + 1
    return {k: target * n / days for k, n in counts.items()}


# ----------------------------------------------------------------------------- targets


def _monthly_targets(
    con: duckdb.DuckDBPyConnection, scope: Scope, metric: str, months: list[str], by: str
) -> pd.DataFrame:
    """Return the metric's target per (store, consultant, month) for the given months.

    by='store' without a consultant filter applies the store rule (the empty-consultant row,
    else the sum of the consultants' rows); by='consultant', or a consultant filter, reads the
    consultants' own rows.
    """
    import pandas as pd

    cols = ["store", "consultant", "month", "target"]
    if not months:
        return pd.DataFrame(columns=cols)
    sql, params = _monthly_targets_query(scope, metric, months, by)
    df = con.execute(sql, query.bind(sql, params)).df()
    return df[cols]


def _monthly_targets_query(
    scope: Scope, metric: str, months: list[str], by: str
) -> tuple[str, dict]:
    """Return the SQL and parameters of _monthly_targets (store, consultant, month, target)."""
    params: dict[str, str | None] = {"metric": metric, "first": months[0], "last": months[-1]}
    params.update({"store": scope.store, "consultant": scope.consultant})
    rows = f"""
        SELECT store, month, nullif(consultant, '') AS consultant, target
        FROM targets
        WHERE metric = $metric AND month BETWEEN $first AND $last AND {store_clause()}
    """
    if by == "store" and scope.consultant is None:
        sql = f"""
            WITH r AS ({rows})
            SELECT store, NULL::VARCHAR AS consultant, month,
                CASE WHEN count(*) FILTER (WHERE consultant IS NULL) > 0
                     THEN sum(target) FILTER (WHERE consultant IS NULL)
                     ELSE sum(target) END AS target
            FROM r
            GROUP BY store, month
        """
    else:
        per = "consultant" if by == "consultant" else "NULL::VARCHAR"
        sql = f"""
            WITH r AS ({rows})
            SELECT store, {per} AS consultant, month, sum(target) AS target
            FROM r
            WHERE consultant IS NOT NULL AND {filter_clause("consultant", "consultant")}
            GROUP BY 1, 2, 3
        """
    return sql, params


def _pooled_target(
    con: duckdb.DuckDBPyConnection, scope: Scope, metric: str, end: date | None = None
) -> float:
    """Return targets_for(...)'s targets summed over its rows (by store), without a frame."""
    weights = month_weights(scope.start, scope.end if end is None else end)
    months = list(month_weights(scope.start, scope.end))
    if not months:
        return 0.0
    sql, params = _monthly_targets_query(scope, metric, months, "store")
    rows = con.execute(sql, query.bind(sql, params)).fetchall()
    return float(sum(t * weights.get(m, 0.0) for _, _, m, t in rows if t is not None))


def targets_for(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    metric: str,
    by: str = "store",
    end: date | None = None,
) -> pd.DataFrame:
    """Return the metric's prorated target of [scope.start, end or scope.end] per row.

    Columns: store, consultant, target. Each month contributes target × (its days in the
    window ÷ its days). Rows only for stores (consultants) that have target rows.
    """
    return _targets_to(con, scope, metric, by, [scope.end if end is None else end])[0]


def _targets_to(
    con: duckdb.DuckDBPyConnection, scope: Scope, metric: str, by: str, ends: list[date]
) -> list[pd.DataFrame]:
    """Return targets_for(..., end=e) for each end of ends, the month targets read once."""
    rows = _monthly_targets(con, scope, metric, list(month_weights(scope.start, scope.end)), by)
    return [prorated(rows, scope.start, end) for end in ends]


def prorated(rows: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Return targets_for's frame from its month targets (_monthly_targets' rows): each
    month's target × its days in [start, end] ÷ its days, summed per (store, consultant)."""
    import pandas as pd

    if rows.empty:
        return pd.DataFrame(
            {
                "store": pd.Series(dtype=object),
                "consultant": pd.Series(dtype=object),
                "target": pd.Series(dtype="float64"),
            }
        )
    weights = month_weights(start, end)
    df = rows.copy()
    df["target"] = df["target"].astype("float64") * df["month"].map(weights).fillna(0.0)
    out = df.groupby(["store", "consultant"], dropna=False, as_index=False)["target"].sum()
    out["consultant"] = out["consultant"].astype(object).where(out["consultant"].notna(), None)
    return out


def _is_calendar_month(scope: Scope) -> bool:
    return scope.start.day == 1 and scope.end == month_end(scope.start)


def _elapsed_end(scope: Scope) -> date:
    """Return the last day counted as elapsed (as_of, at most the period's end)."""
    return min(scope.as_of, scope.end)


def _mtd_scope(scope: Scope) -> Scope:
    """Return the scope from the first day of as_of's month to as_of (for pace)."""
    return replace(scope, start=month_start(scope.as_of), end=scope.as_of)


def _mtd_is_period(scope: Scope) -> bool:
    """Return True when the days the period counts (start to upto) are as_of's month to date.

    A month read on any of its days, or a range from the first of as_of's month: a sales count
    reads only the days counted ($start to $end), so the month to date's count is the period's.
    """
    return scope.start == month_start(scope.as_of) and scope.upto == scope.as_of


def _target_scope(scope: Scope) -> Scope:
    """Return the scope without model, channel, sale and buyer type filters: targets are set
    per store/person (on every sale type)."""
    return replace(scope, model=None, channel=None, sale_type=None, buyer_type=None)


def _pace(mtd_actual: float, as_of: date) -> float:
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return mtd_actual / as_of.day * days


def _expected(scope: Scope, target: float | None, target_to_as_of: float | None) -> float | None:
    """Return the progress a target should show by as_of.

    A calendar month: time_progress (the catalogue's rule). Any other period: the share of
    the period's prorated target that falls on days up to as_of.
    """
    if _is_calendar_month(scope):
        return time_progress(scope.as_of)
    if not target:
        return None
    return (target_to_as_of or 0.0) / target


def _total(df: pd.DataFrame, column: str) -> float:
    return float(df[column].sum()) if not df.empty else 0.0


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | str | None]:
    """Return time_progress, target_achievement, pace, traffic_light and the month's forecast.

    target_achievement = deliveries in the period ÷ the period's prorated deliveries target
    (pooled over stores; a consultant filter uses that consultant's rows); None without a
    target or with a target of 0. Model and channel filters are ignored: targets are not set
    per model or channel.
    """
    scope = _target_scope(scope)
    # The pooled deliveries of the per-store actuals (summary()'s count; no frame, no pandas)
    actual = float(sales._order_counts(con, scope)[""]["deliveries"] or 0)
    if _mtd_is_period(scope):
        mtd = actual
    else:
        mtd = float(sales._order_counts(con, _mtd_scope(scope))[""]["deliveries"] or 0)
    target = _pooled_target(con, scope, REPORT_METRIC)
    elapsed = _pooled_target(con, scope, REPORT_METRIC, end=_elapsed_end(scope))
    achievement = actual / target if target else None
    expected = _expected(scope, target, elapsed)
    return {
        "time_progress": time_progress(scope.as_of),
        "target_achievement": achievement,
        "pace": _pace(mtd, scope.as_of),
        "traffic_light": status_light(achievement, expected),
        **month_forecast(con, scope),
    }


def month_forecast(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | None]:
    """Return the delivery forecast of as_of's month, its 80 % interval and target_chance.

    The store's (or all stores' pooled) deliveries, whatever the consultant, model or channel
    filter; target_chance is the chance of reaching the month's store deliveries target (None
    without one). A period ended before today has as_of on its last day, so a calendar month
    in the past gives its actual deliveries with the interval collapsed onto them.
    """
    month = Scope.for_month(scope.as_of, today=scope.as_of, store=scope.store)
    target = _pooled_target(con, month, REPORT_METRIC) or None
    found = forecast.deliveries_forecast(con, scope.as_of, scope.store, target=target)
    # The month's whole deliveries target the forecast is read against (not a catalogue id).
    return {**found, "month_deliveries_target": target}


def pooled_achievements(
    con: duckdb.DuckDBPyConnection, scope: Scope, metrics: tuple[str, ...] = sales.COUNT_IDS
) -> dict[str, float | None]:
    """Return actual ÷ target per sales count, every store in scope pooled.

    The pooled figure of achievement(by='store') for each metric: Σ actual ÷ Σ of the stores'
    non-zero targets, None when no store has one. The actuals of every metric come from one
    pass (summary()'s counts of the target scope: model and channel ignored), as the KPI
    cards need only the pooled share, not the per-store rows.
    """
    unknown = set(metrics) - set(sales.COUNT_IDS)
    if unknown:
        raise ValueError(f"not a sales count: {sorted(unknown)}; known: {sales.COUNT_IDS}")
    scope = _target_scope(scope)
    counts = sales._traffic_counts(con, scope)[""] | sales._order_counts(con, scope)[""]
    out: dict[str, float | None] = {}
    for metric in metrics:
        found = targets_for(con, scope, metric)["target"].tolist()
        shares = [float(v) for v in found if v == v and v]  # NaN and 0 are no target
        target = sum(shares) if shares else None
        out[metric] = float(counts[metric] or 0) / target if target else None
    return out


def achievement(
    con: duckdb.DuckDBPyConnection, scope: Scope, metric: str, by: str = "store"
) -> pd.DataFrame:
    """Return actual vs target per store or per (store, consultant) for a registered metric.

    Columns: store, consultant, metric, actual, target, achievement, time_progress,
    traffic_light, pace. Stores (consultants) with an actual or a target row appear; by='store'
    also lists every store of the stores table in scope. target and achievement are NaN
    without a target (or with a target of 0), traffic_light then None. Sorted by achievement,
    then actual, descending.
    """
    if by not in ("store", "consultant"):
        raise ValueError(f"by must be 'store' or 'consultant', not {by!r}")
    if metric not in METRICS:
        raise ValueError(f"no actual registered for metric {metric!r}; known: {sorted(METRICS)}")
    import pandas as pd

    scope = _target_scope(scope)
    fn = METRICS[metric]
    keys = ["store", "consultant"]
    actual = fn(con, scope, by)[keys + ["actual"]]
    if metric in sales.COUNT_IDS and _mtd_is_period(scope):
        mtd = actual.copy()  # the same days counted (_mtd_is_period)
    else:
        mtd = fn(con, _mtd_scope(scope), by)[keys + ["actual"]]
    mtd = mtd.rename(columns={"actual": "mtd"})
    target, elapsed = _targets_to(con, scope, metric, by, [scope.end, _elapsed_end(scope)])
    elapsed = elapsed.rename(columns={"target": "elapsed"})

    frames = [actual, mtd, target, elapsed]
    if by == "store":
        stores = con.execute(
            f"SELECT store FROM stores WHERE {store_clause()}", {"store": scope.store}
        ).df()
        frames.append(stores.assign(consultant=None))
    # Merge on text keys; "" stands in for a missing consultant so it matches itself.
    for f in frames:
        f["store"] = f["store"].astype(object)
        f["consultant"] = f["consultant"].astype(object).where(f["consultant"].notna(), "")
    df = frames[0]
    for f in frames[1:]:
        df = df.merge(f, on=keys, how="outer")
    df = df.drop_duplicates(keys)
    df["consultant"] = df["consultant"].where(df["consultant"] != "", None)
    df["actual"] = df["actual"].astype("float64").fillna(0.0)
    df["mtd"] = df["mtd"].astype("float64").fillna(0.0)
    df["target"] = df["target"].astype("float64")
    df["target"] = df["target"].where(df["target"] != 0)
    df["elapsed"] = df["elapsed"].astype("float64").fillna(0.0)
    df["achievement"] = df["actual"] / df["target"]
    df["metric"] = metric
    df["time_progress"] = time_progress(scope.as_of)
    lights = [
        status_light(a, _expected(scope, t, e))
        for a, t, e in zip(df["achievement"], df["target"].fillna(0.0), df["elapsed"], strict=True)
    ]
    # object dtype keeps None (grey) as None rather than NaN
    df["traffic_light"] = pd.Series(lights, index=df.index, dtype=object)
    df["pace"] = [_pace(m, scope.as_of) for m in df["mtd"]]
    cols = keys + ["metric", "actual", "target", "achievement", "time_progress"]
    cols += ["traffic_light", "pace"]
    df = df.sort_values(
        ["achievement", "actual", "store", "consultant"],
        ascending=[False, False, True, True],
        na_position="last",
    )
    return df[cols].reset_index(drop=True)
