"""Vehicle inventory KPIs (整车库存): stock, transit, supply, aging, capital and floorplan cost.

Every number comes from one aggregate query (:func:`_aggregate`), either pooled over the scope
or grouped by model. Vehicles are read through the view ``v_vehicles`` (sold_date filled from a
delivered order carrying the VIN); sales are deliveries: ``orders`` with status delivered and
delivery_date in a window, every sale type.

Filters: the store and the model (``vehicles.model`` and ``orders.model``) apply; consultant
and channel do not (stock belongs to no consultant or lead source).

pandas is imported by the functions that return a DataFrame only: summary(), tables() and
report() give plain values, so the report command never loads it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

import duckdb

from kpi import query
from kpi.catalogue import summary_ids
from kpi.scope import (
    Scope,
    add_months,
    filter_clause,
    group_key,
    groups,
    month_end,
    month_start,
    store_clause,
)

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"orders", "stores", "vehicles"})

if TYPE_CHECKING:
    import pandas as pd

# The scalar KPIs summary() returns: the catalogue's for this module, in its order.
SUMMARY_IDS = summary_ids("inventory")
BY_MODEL_COLUMNS = (
    "model",
    "stock_units",
    "in_transit_units",
    "avg_monthly_sales_3m",
    "inventory_months",
    "inventory_coefficient",
    "days_supply",
    "avg_days_in_stock",
    "aged_units_90",
    "capital_tied_up",
)
# (label, lowest age, highest age or None) in days; age = as_of - arrival_date.
AGING_BUCKETS = (
    ("0-30", 0, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-180", 91, 180),
    (">180", 181, None),
)
DEFAULT_FLOORPLAN_RATE = 0.05
TARGET_MONTHS = 1.2
SALES_WINDOW_DAYS = 90

_IN_STOCK = "(v.arrival_date <= $as_of AND (v.sold_date IS NULL OR v.sold_date > $as_of))"
_IN_TRANSIT = (
    "((v.ordered_date IS NULL OR v.ordered_date <= $as_of)"
    " AND (v.arrival_date IS NULL OR v.arrival_date > $as_of)"
    " AND (v.sold_date IS NULL OR v.sold_date > $as_of))"
)
_DELIVERED = "o.status = 'delivered'"
# In stock on as_of for more than 90 days (aged_units_90; kpi.drill lists the same units).
AGED_90 = f"{_IN_STOCK} AND $as_of - v.arrival_date > 90"
# The key of a grouped breakdown's pooled row while SQL joins it (a store id never is this).
TOTAL_KEY = "\x01"
TOTAL_SQL = "chr(1)"
_VEHICLE_FILTER = f"{store_clause('v')} AND {filter_clause('v.model', 'model')}"


def complete_months_window(as_of: date, n: int = 3) -> tuple[date, date]:
    """Return the first and last day of the n complete calendar months before as_of's month.

    When as_of is its month's last day, that month counts as complete and is the last of them
    (KPI-CATALOGUE.md, date arithmetic).
    """
    last = as_of if as_of == month_end(as_of) else month_start(as_of) - timedelta(days=1)
    first = add_months(month_start(last), -(n - 1))
    return first, last


def _windows(scope: Scope) -> dict[str, Any]:
    """Return the scope's parameters plus the date windows the inventory formulas use."""
    as_of = scope.as_of
    s3_start, s3_end = complete_months_window(as_of, 3)
    d90_start = as_of - timedelta(days=SALES_WINDOW_DAYS)
    return {
        **scope.params,
        "s3_start": s3_start,
        "s3_end": s3_end,
        "mtd_start": month_start(as_of),
        # The month's deliveries projected to its end (pace): days in month ÷ days elapsed.
        "mtd_scale": month_end(as_of).day / as_of.day,
        "d90_start": d90_start,
        # A vehicle sold by v_lo is in none of the period's stock, transit or floorplan days;
        # a delivery outside [o_lo, as_of] in none of its sales windows.
        "v_lo": min(scope.start, as_of),
        "o_lo": min(s3_start, month_start(as_of), d90_start + timedelta(days=1)),
        # Floorplan days run from the period's start to as_of inclusive: days after as_of
        # (a period running past today) are in the future and unknown.
        "fp_stop": as_of + timedelta(days=1),
        "horizon": month_end(add_months(month_start(as_of), 1)),
        "default_rate": DEFAULT_FLOORPLAN_RATE,
    }


_PERIOD_COLUMNS = (
    "grp",
    "start",
    "as_of",
    "s3_start",
    "s3_end",
    "mtd_start",
    "mtd_scale",
    "d90_start",
    "fp_stop",
    "horizon",
    "v_lo",
    "o_lo",
)


def _periods(scopes: dict[str, Scope]) -> dict[str, list]:
    """Return the windows of several scopes as parallel lists, bound as p_<window>."""
    out: dict[str, list] = {f"p_{c}": [] for c in _PERIOD_COLUMNS}
    for key, scope in scopes.items():
        w = _windows(scope) | {"grp": key}
        for c in _PERIOD_COLUMNS:
            out[f"p_{c}"].append(w[c])
    return out


# A unit's floorplan interest over the period's days in stock up to as_of (stores s joined):
# its interest per day times those days.
FLOORPLAN_DAY = "v.cost * coalesce(v.floorplan_rate, s.floorplan_rate, $default_rate) / 365"
FLOORPLAN_DAYS = """greatest(0, least(coalesce(v.sold_date, $fp_stop), $fp_stop)
                                 - greatest(v.arrival_date, $start))"""
FLOORPLAN_COST = f"""{FLOORPLAN_DAY}
                   * {FLOORPLAN_DAYS}"""


def _on_period_row(expr: str) -> str:
    """Return an expression on the period row p instead of $fp_stop and $start."""
    return expr.replace("$fp_stop", "p.fp_stop").replace("$start", "p.start")


def _per_period(condition: str) -> str:
    """Return a stock or transit condition on the period row p instead of $as_of."""
    return condition.replace("$as_of", "p.as_of")


_AGGREGATE_SQL = query.sql_file("inventory_aggregate")


def _group_fragments(by_model: bool, by: str | None, total: bool) -> dict[str, str]:
    """Return the model (or store group) key and GROUP BY of the vehicle and sales CTEs.

    ``total`` adds each period's pooled row from the same scan (GROUPING SETS), its key a
    sentinel that joins like any other (a real key is never it). The key is computed on the
    rows (``*_raw_key``, column k) and carried by their per-day or alike-vehicle counts.
    """
    if not by_model:
        return {
            "vehicle_raw_key": "",
            "vehicle_raw_group": "",
            "order_raw_key": "",
            "vehicle_key": "",
            "order_key": "",
            "vehicle_group": "GROUP BY 1",
            "order_group": "GROUP BY 1",
        }
    if by is not None:
        vkey, okey = group_key("v", by), group_key("o", by)
    else:
        vkey, okey = "coalesce(v.model, '')", "coalesce(o.model, '')"
    out = {
        "vehicle_raw_key": f"{vkey} AS k,",
        "vehicle_raw_group": "k,",
        "order_raw_key": f"{okey} AS k,",
    }
    if total:
        return out | {
            "vehicle_key": f"coalesce(v.k, {TOTAL_SQL}) AS model,",
            "order_key": f"coalesce(o.k, {TOTAL_SQL}) AS model,",
            "vehicle_group": "GROUP BY GROUPING SETS ((p.grp, v.k), (p.grp))",
            "order_group": "GROUP BY GROUPING SETS ((p.grp, o.k), (p.grp))",
        }
    return out | {
        "vehicle_key": "v.k AS model,",
        "order_key": "o.k AS model,",
        "vehicle_group": "GROUP BY 1, 2",
        "order_group": "GROUP BY 1, 2",
    }


def _model_fragments(by_model: bool) -> dict[str, str]:
    """Return the model column of the output, its join key, row filter and order."""
    if not by_model:
        return {"model_column": "", "join_keys": "grp", "model_rows": "", "model_order": ""}
    return {
        "model_column": "model,",
        "join_keys": "grp, model",
        "model_rows": "WHERE model IS NOT NULL",
        "model_order": ", model",
    }


def _period_fragments(widen: bool) -> dict[str, str]:
    """Return how vehicles and deliveries meet the period rows p.

    Without a model list to widen, a row meets only the periods it can count in: a vehicle
    those from its order or arrival (whichever is known first) until it is sold (v_lo,
    fp_stop), a delivery those whose sales windows hold its date (o_lo, as_of). Every other
    pair adds nothing to any figure; the 13 periods of monthly() would otherwise cross every
    row. A model list crosses every period, so a model with nothing in it still appears.
    """
    if widen:
        return {
            "vehicle_periods": "CROSS JOIN p",
            "order_periods": "CROSS JOIN p",
            "vehicles_used": "",
            "orders_used": "",
        }
    return {
        "vehicle_periods": """JOIN p ON coalesce(v.sold_date, DATE '9999-12-31') > p.v_lo
            AND least(coalesce(v.ordered_date, DATE '0001-01-01'),
                      coalesce(v.arrival_date, DATE '0001-01-01')) <= p.fp_stop""",
        "order_periods": "JOIN p ON o.delivery_date BETWEEN p.o_lo AND p.as_of",
        "vehicles_used": "AND (v.sold_date IS NULL OR v.sold_date > $v_from)",
        "orders_used": "AND o.status = 'delivered' AND o.delivery_date >= $o_from",
    }


def _bucket_fragments(buckets: bool) -> dict[str, str]:
    """Return the units in stock per AGING_BUCKETS entry (aged_0 ...), or nothing."""
    if not buckets:
        return {"bucket_counts": "", "bucket_columns": "", "bucket_names": ""}
    in_stock, age = _per_period(_IN_STOCK), "p.as_of - v.arrival_date"
    counts = columns = names = ""
    for i, (_, lo, hi) in enumerate(AGING_BUCKETS):
        upto = "" if hi is None else f" AND {age} <= {hi}"
        counts += f"sum(v.n) FILTER (WHERE {in_stock} AND {age} >= {lo}{upto})::BIGINT AS aged_{i},"
        columns += f"coalesce(aged_{i}, 0) AS aged_{i}, "
        names += f"aged_{i}, "
    return {"bucket_counts": counts, "bucket_columns": columns, "bucket_names": names}


# The conditions and amounts of kpi/sql/inventory_aggregate.sql, on the period row p.
_CONDITIONS = {
    "period_columns": ", ".join(f"unnest($p_{c}) AS {c}" for c in _PERIOD_COLUMNS),
    "in_stock": _per_period(_IN_STOCK),
    "in_transit": _per_period(_IN_TRANSIT),
    "aged_90": _per_period(AGED_90),
    "floorplan_day": FLOORPLAN_DAY,
    "floorplan_days": _on_period_row(FLOORPLAN_DAYS),
    "vehicle_filter": _VEHICLE_FILTER,
    "order_filter": f"{store_clause('o')} AND {filter_clause('o.model', 'model')}",
    "delivered": _DELIVERED,
    "sales_window_days": str(float(SALES_WINDOW_DAYS)),
}


def _bucket(column: str, dates: str, n: int) -> str:
    """Return the first date of the bound sorted list ``dates`` (n long) on or after column,
    else 9999-12-31: a date compared only with those dates (x <= d) compares alike with it.
    """
    whens = " ".join(f"WHEN {column} <= ${dates}[{i}] THEN ${dates}[{i}]" for i in range(1, n + 1))
    return f"CASE {whens} ELSE DATE '9999-12-31' END"


def _aggregate_query(
    scope: Scope,
    by_model: bool,
    by: str | None = None,
    periods: dict[str, Scope] | None = None,
    total: bool = False,
    buckets: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Return the SQL and parameters of :func:`_aggregate` (the same arguments).

    ``buckets`` adds the units in stock per age bucket (``aged_0`` ... one per AGING_BUCKETS
    entry, in its order) to every row, so the report reads aging_buckets() from this pass.
    """
    # Only a model list is widened to every model on file (_period_fragments): by_store lists
    # every group of the stores table (groups()) and fills a group the pass leaves out with
    # the zeros and None the pass would give it.
    widen = by_model and by is None
    by_model = by_model or by is not None
    scopes = periods or {"": scope}
    params = _windows(scope) | _periods(scopes)
    # The dates an order date and an eta are compared with (the alike vehicles' buckets)
    params["t_as_of"] = sorted(set(params["p_as_of"]))
    params["t_horizon"] = sorted(set(params["p_horizon"]))
    sql = _AGGREGATE_SQL.format(
        **_CONDITIONS,
        **_group_fragments(by_model, by, total),
        **_model_fragments(by_model),
        **_period_fragments(widen),
        **_bucket_fragments(buckets),
        ordered_bucket=_bucket("ordered_date", "t_as_of", len(params["t_as_of"])),
        eta_bucket=_bucket("eta", "t_horizon", len(params["t_horizon"])),
    )
    if not widen:
        params["v_from"] = min(min(s.start, s.as_of) for s in scopes.values())
        params["o_from"] = min(
            min(params["p_s3_start"]),
            min(params["p_mtd_start"]),
            min(params["p_d90_start"]) + timedelta(days=1),
        )
    return sql, params


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    by_model: bool,
    by: str | None = None,
    periods: dict[str, Scope] | None = None,
    total: bool = False,
) -> pd.DataFrame:
    """Return the inventory KPIs pooled over the scope (one row), per model, or per group.

    The model set is every model of the scope's vehicles or non-cancelled orders (any date), so
    a model with nothing in stock, in transit or sold lately still appears (with zeros).
    ``by`` ('store', 'brand' or 'region') groups by store instead, in a column named ``by``.
    ``periods`` ({label: scope}) evaluates several periods in the same pass (one row per
    period, column ``grp``); by default the scope's own period, labelled ''. ``total`` adds
    the pooled row of each period from the same pass, keyed TOTAL_KEY.
    """
    sql, params = _aggregate_query(scope, by_model, by, periods, total)
    frame = query.frame(con, sql, params)
    return frame if periods else frame.drop(columns="grp")


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return every scalar inventory KPI for the scope, keyed by catalogue id.

    Stock, transit and aging are as of scope.as_of; floorplan_cost counts the period's days
    up to as_of. Ratios with a zero denominator are None.
    """
    row = query.records(con, *_aggregate_query(scope, by_model=False))[0]
    return {k: query.plain(row[k]) for k in SUMMARY_IDS}


def summaries(
    con: duckdb.DuckDBPyConnection, scope: Scope, shifts: tuple[int, ...] = (0, -1, -12)
) -> list[dict[str, float | int | None]]:
    """Return summary() of the scope shifted by each number of months (Scope.shifted).

    The default gives this period, the previous one and last year's, as the KPI cards show
    them, from one pass (each period evaluated on its own as_of and windows).
    """
    periods = {str(n): scope.shifted(n) if n else scope for n in shifts}
    rows = query.records(con, *_aggregate_query(scope, by_model=False, periods=periods))
    found = {r["grp"]: r for r in rows}
    return [{k: query.plain(found[key][k]) for k in SUMMARY_IDS} for key in periods]


def by_store(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store", total: bool = False
) -> pd.DataFrame:
    """Return every summary KPI per store (or per brand / region) in one grouped pass.

    Every group of the stores table in scope appears ('' for stores without a brand or
    region), with zeros and None where it has no vehicles or sales. ``total`` adds a last
    row, ``by`` None, equal to summary() (from the same pass). Columns: ``by``, then
    SUMMARY_IDS.
    """
    import pandas as pd

    frame = _aggregate(con, scope, by_model=True, by=by, total=total)
    frame = frame.rename(columns={"model": by})
    keys = pd.DataFrame({by: groups(con, scope, by) + ([TOTAL_KEY] if total else [])})
    frame = keys.merge(frame, on=by, how="outer").sort_values(by)
    frame = pd.concat([frame[frame[by] != TOTAL_KEY], frame[frame[by] == TOTAL_KEY]])
    for col in ("stock_units", "in_transit_units", "aged_units_90"):
        frame[col] = frame[col].fillna(0).astype("int64")
    for col in ("avg_monthly_sales_3m", "capital_tied_up", "floorplan_cost"):
        frame[col] = frame[col].fillna(0.0).astype("float64")
    frame = _nan_to_none(frame[[by, *SUMMARY_IDS]])
    frame[by] = frame[by].astype(object).where(frame[by] != TOTAL_KEY, None)
    return frame.reset_index(drop=True)


def stock_units(con: duckdb.DuckDBPyConnection, scope: Scope) -> int:
    """Return the units in stock on as_of (a thin reader of :func:`summary`)."""
    return cast(int, summary(con, scope)["stock_units"])


def inventory_months(con: duckdb.DuckDBPyConnection, scope: Scope) -> float | None:
    """Return stock_units / avg_monthly_sales_3m (a thin reader of :func:`summary`)."""
    return summary(con, scope)["inventory_months"]


def by_model(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the inventory KPIs per model (stores pooled unless the scope names one)."""
    frame = _aggregate(con, scope, by_model=True)
    return _nan_to_none(frame[list(BY_MODEL_COLUMNS)])


def _nan_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with float columns holding None for no value (object dtype)."""
    import pandas as pd

    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]) and out[col].isna().any():
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def suggested_order(
    forecast: float, stock: int, in_transit_by_horizon: int, target_months: float = TARGET_MONTHS
) -> int:
    """Return max(0, ceil(round(target_months x forecast, 6) - stock - in transit by horizon)).

    Rounding to 6 decimals first keeps float noise (1.2 x 2.5 = 3.0000000000000004) from
    ordering one unit too many.
    """
    return max(0, math.ceil(round(target_months * forecast, 6) - stock - in_transit_by_horizon))


def order_gap(
    con: duckdb.DuckDBPyConnection, scope: Scope, target_months: float = TARGET_MONTHS
) -> pd.DataFrame:
    """Return the suggested order quantity per model with the figures it derives from.

    in_transit_by_horizon counts in-transit units whose eta is empty or on or before the last
    day of the month after as_of's. projected_stock_next_month_end = stock + in transit by
    horizon - forecast x (days of as_of's month after as_of / days in that month + 1), floored
    at 0: the forecast (avg_monthly_sales_3m) is sold evenly over the rest of this month and
    the whole next month.
    """
    import pandas as pd

    models = _aggregate(con, scope, by_model=True).to_dict("records")
    rows = _gap_rows(models, scope.as_of, target_months)
    return _nan_to_none(pd.DataFrame(rows, columns=ORDER_GAP_COLUMNS))


ORDER_GAP_COLUMNS = (
    "model",
    "avg_monthly_sales_3m",
    "stock_units",
    "in_transit_units",
    "in_transit_by_horizon",
    "projected_stock_next_month_end",
    "inventory_months",
    "suggested_order",
)


def _gap_rows(
    models: list[dict[str, Any]], as_of: date, target_months: float = TARGET_MONTHS
) -> list[dict[str, Any]]:
    """Return order_gap()'s rows (ORDER_GAP_COLUMNS) from the per-model aggregate rows."""
    rest = (month_end(as_of) - as_of).days / month_end(as_of).day + 1
    rows = []
    for r in models:
        forecast = float(r["avg_monthly_sales_3m"])
        stock = int(r["stock_units"])
        horizon = int(r["in_transit_by_horizon"])
        rows.append(
            {
                "model": r["model"],
                "avg_monthly_sales_3m": forecast,
                "stock_units": stock,
                "in_transit_units": int(r["in_transit_units"]),
                "in_transit_by_horizon": horizon,
                "projected_stock_next_month_end": max(0.0, stock + horizon - forecast * rest),
                "inventory_months": query.plain(r["inventory_months"]),
                "suggested_order": suggested_order(forecast, stock, horizon, target_months),
            }
        )
    return rows


def aging_buckets(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return units and cost in stock on as_of per age bucket (all five buckets, in order).

    Age is as_of - arrival_date in days: 0-30, 31-60, 61-90, 91-180, >180.
    """
    values = ", ".join(
        f"({i}, '{label}', {lo}, {'NULL' if hi is None else hi})"
        for i, (label, lo, hi) in enumerate(AGING_BUCKETS)
    )
    sql = f"""
    WITH b(ord, bucket, lo, hi) AS (VALUES {values}),
    stock AS (
        SELECT $as_of - v.arrival_date AS age_days, v.cost
        FROM v_vehicles v
        WHERE {_IN_STOCK} AND {_VEHICLE_FILTER}
    )
    SELECT b.bucket, count(stock.age_days) AS units, coalesce(sum(stock.cost), 0) AS value_cny
    FROM b
    LEFT JOIN stock ON stock.age_days >= b.lo AND (b.hi IS NULL OR stock.age_days <= b.hi)
    GROUP BY b.ord, b.bucket
    ORDER BY b.ord
    """
    frame = query.frame(con, sql, scope.params)
    frame["value_cny"] = frame["value_cny"].astype(float)
    return frame


def aged_units(
    con: duckdb.DuckDBPyConnection, scope: Scope, min_age_days: int = 91
) -> pd.DataFrame:
    """Return the units in stock on as_of aged min_age_days or more, oldest first."""
    sql = f"""
    SELECT v.vin, v.model, v.store, v.arrival_date, $as_of - v.arrival_date AS age_days, v.cost
    FROM v_vehicles v
    WHERE {_IN_STOCK} AND {_VEHICLE_FILTER} AND $as_of - v.arrival_date >= $min_age
    ORDER BY age_days DESC, v.store, v.vin
    """
    return query.frame(con, sql, {**scope.params, "min_age": min_age_days})


def in_transit(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the units in transit on as_of, earliest eta first (empty eta last)."""
    sql = f"""
    SELECT v.vin, v.model, v.store, v.ordered_date, v.eta
    FROM v_vehicles v
    WHERE {_IN_TRANSIT} AND {_VEHICLE_FILTER}
    ORDER BY v.eta NULLS LAST, v.store, v.vin
    """
    return query.frame(con, sql, scope.params)


def month_scope(scope: Scope, month_first: date) -> Scope:
    """Return the scope narrowed to one calendar month, as_of capped at the scope's as_of."""
    end = month_end(month_first)
    return replace(scope, start=month_first, end=end, as_of=min(end, scope.as_of))


def trailing_months(scope: Scope, months: int) -> list[date]:
    """Return the first days of the `months` calendar months ending with as_of's month."""
    last = month_start(scope.as_of)
    return [add_months(last, -i) for i in range(months - 1, -1, -1)]


def monthly(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13) -> pd.DataFrame:
    """Return summary() for each of the trailing months ending with as_of's month.

    Each month is evaluated as of its last day (as_of for the running month), all the months
    in one pass.
    """
    firsts = trailing_months(scope, months)
    periods = {f"{first:%Y-%m}": month_scope(scope, first) for first in firsts}
    frame = _aggregate(con, scope, by_model=False, periods=periods)
    frame = frame.rename(columns={"grp": "month"})
    return _nan_to_none(frame[["month", *SUMMARY_IDS]].reset_index(drop=True))


def _report_rows(
    con: duckdb.DuckDBPyConnection, scope: Scope
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Return the pooled row (None when the scope has no vehicles or orders) and model rows.

    One pass: the per-model aggregate with its pooled row (GROUPING SETS) and the age buckets.
    """
    rows = query.records(con, *_aggregate_query(scope, True, total=True, buckets=True))
    pooled = next((r for r in rows if r["model"] == TOTAL_KEY), None)
    return pooled, [r for r in rows if r["model"] != TOTAL_KEY]


def _tables(pooled: dict[str, Any] | None, models: list[dict[str, Any]], as_of: date) -> dict:
    """Return tables() from _report_rows(): order_gap's suggestions, aging_buckets' units."""
    gap = _gap_rows(models, as_of)
    return {
        "order_gap": {str(r["model"]): int(r["suggested_order"]) for r in gap},
        "aging_buckets": {
            label: int((pooled or {}).get(f"aged_{i}") or 0)
            for i, (label, _, _) in enumerate(AGING_BUCKETS)
        },
    }


def tables(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict[str, Any]]:
    """Return the table KPIs for the report: suggested orders per model, units per age bucket.

    The values of order_gap() and aging_buckets(), from one pass.
    """
    return _tables(*_report_rows(con, scope), scope.as_of)


def report(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return summary() and tables() in one dict, from one pass over vehicles and orders.

    The scalars are the pass's pooled row (the same rows and formulas as summary()'s own
    query); a scope without vehicles or orders has no such row and reads summary().
    """
    pooled, models = _report_rows(con, scope)
    scalars = (
        summary(con, scope) if pooled is None else {k: query.plain(pooled[k]) for k in SUMMARY_IDS}
    )
    return {**scalars, **_tables(pooled, models, scope.as_of)}
