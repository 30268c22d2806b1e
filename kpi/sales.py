"""Sales and showroom KPIs (销售): traffic, test drives, orders, deliveries, gross and F&I.

Every formula is the one of KPI-CATALOGUE.md, section "Sales and showroom". Numbers come from
a few aggregate DuckDB queries: one over traffic, one over orders and one for the per-customer
and per-consultant distinct counts. Filters: store, consultant, model (traffic.model_interest,
orders.model) and channel apply to traffic and orders rows.

pandas is imported by the functions that return a DataFrame only: summary(), tables() and
report() give plain values, so the report command never loads it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
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
from warehouse import summary_sales

# The rows' conditions live with the summary tables that count them (kpi.drill reads them here).
from warehouse.summary_sales import (
    ACCESSORIES_GROSS,  # noqa: F401
    DELIVERED_MEASURES,
    EVENT_CHANNELS,  # noqa: F401
    EVENT_WALK_IN,  # noqa: F401
    FIRST_VISIT,
    FRONT_GROSS,
    IS_DELIVERED,
    NOT_CANCELLED,
    PHONE,
    PLACED_MEASURES,
    TEST_DRIVE,
    TOTAL_GROSS,
    TRAFFIC_MEASURES,
    WALK_IN,
    Summary,
)

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"orders", "stores", "traffic", "vehicles"})

# The scope filters each source's rows carry: with one of them set, that source's counts come
# from its rows; otherwise from its summary tables (warehouse.summary_sales, per store and day).
TRAFFIC_FILTER_NAMES = ("consultant", "model", "channel", "buyer_type")
ORDER_FILTER_NAMES = ("consultant", "model", "channel", "sale_type", "buyer_type")

if TYPE_CHECKING:
    import pandas as pd

# The scalar KPIs summary() returns: the catalogue's for this module, in its order.
SUMMARY_IDS = summary_ids("sales")

# The KPIs that need the per-customer cohorts and the consultants (_distinct_counts).
COHORT_IDS = ("cohort_close_rate", "phone_to_visit_rate", "units_per_consultant")

# Counts that targets can be set on (targets.metric) and that counts_by() returns.
COUNT_IDS = (
    "walk_in_batches",
    "first_visit_batches",
    "phone_batches",
    "test_drives",
    "orders",
    "deliveries",
)

# "Within N days after X" for the customer cohorts: X <= d <= X + N.
COHORT_DAYS = summary_sales.COHORT_DAYS

TRAFFIC_FILTERS = " AND ".join(
    (
        store_clause("t"),
        filter_clause("t.consultant", "consultant"),
        filter_clause("t.model_interest", "model"),
        filter_clause("t.channel", "channel"),
        filter_clause("coalesce(t.buyer_type, 'private')", "buyer_type"),
    )
)
ORDER_FILTERS = " AND ".join(
    (
        store_clause("o"),
        filter_clause("o.consultant", "consultant"),
        filter_clause("o.model", "model"),
        filter_clause("o.channel", "channel"),
        filter_clause("o.sale_type", "sale_type"),
        filter_clause("o.buyer_type", "buyer_type"),
    )
)

IN_PERIOD_VISIT = "t.visit_date BETWEEN $start AND $end"
IN_PERIOD_ORDER = "o.order_date BETWEEN $start AND $end"
IN_PERIOD_DELIVERY = "o.delivery_date BETWEEN $start AND $end"
DELIVERED = f"{IS_DELIVERED} AND {IN_PERIOD_DELIVERY}"
# The rows each count takes (kpi.drill lists the same rows): traffic t, orders o. The
# conditions without a period (WALK_IN, PHONE, ...) live in warehouse.summary_sales, which
# keeps the same counts per store and day.
ORDERED = f"{IN_PERIOD_ORDER} AND {NOT_CANCELLED}"
RETAIL_ORDERED = f"{ORDERED} AND o.sale_type = 'retail'"
CANCELLED = f"{IN_PERIOD_ORDER} AND o.status = 'cancelled'"
FLEET_DELIVERED = f"{DELIVERED} AND o.sale_type = 'fleet'"
CORPORATE_DELIVERED = f"{DELIVERED} AND o.buyer_type = 'corporate'"
RETAIL_DELIVERED = f"{DELIVERED} AND o.sale_type = 'retail'"


# ----------------------------------------------------------------------------- plumbing


def _ratio(num: float | int | None, den: float | int | None) -> float | None:
    """Return num / den, None for a zero or missing denominator."""
    if den is None or den == 0:
        return None
    return (num or 0) / den


def _ratio_col(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return num / den element-wise as float, NaN where den is 0."""
    den = den.astype("float64")
    return (num.astype("float64") / den.where(den != 0)).astype("float64")


# ----------------------------------------------------------------------------- summary


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> dict[str | None, dict[str, Any]]:
    """Run a query whose first column is the group key; return {group: {column: value}}."""
    cur = con.execute(sql, query.bind(sql, params))
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in cur.fetchall()}


def _grouping(by: str | None, alias: str, total: bool = False) -> tuple[str, str]:
    """Return (group key expression, GROUP BY clause): pooled queries keep one row always.

    ``by`` is a group_key name ('store', 'brand', 'region'), None (pooled), or a SQL
    expression over the alias (starting with '(') such as a month of a date column. With
    ``total`` the same pass also gives the pooled row, keyed NULL (None).
    """
    clause = "GROUP BY GROUPING SETS ((1), ())" if total else "GROUP BY 1"
    if by is not None and by.startswith("("):
        return by, clause
    return group_key(alias, by), (clause if by else "")


def _month_of(column: str) -> str:
    """Return the SQL key placing a row in its calendar month ('YYYY-MM')."""
    return f"(strftime({column}, '%Y-%m'))"


# The periods of one pass (summaries()): a row each, keyed grp, bound by _periods_params().
PERIODS_CTE = (
    "p AS (SELECT unnest($p_grp) AS grp, unnest($p_start) AS start, unnest($p_end) AS stop, "
    "unnest($p_horizon) AS horizon)"
)


def _on_periods(condition: str) -> str:
    """Return a period condition on the joined period row p instead of $start and $end."""
    return condition.replace("$start", "p.start").replace("$end", "p.stop")


def _periods_params(scope: Scope, periods: dict[str, Scope]) -> dict[str, Any]:
    """Return the parameters of a pass over several periods (PERIODS_CTE).

    $start and $end become the span of every period: the period conditions on p place a row
    in its periods, and the same conditions on the span prefilter each scan.
    """
    starts = [s.start for s in periods.values()]
    ends = [s.upto for s in periods.values()]
    horizons = [s.horizon for s in periods.values()]
    p = {"p_grp": list(periods), "p_start": starts, "p_end": ends, "p_horizon": horizons}
    return {**scope.params, **p, "start": min(starts), "end": max(ends),
            "horizon": max(horizons)}  # fmt: skip


# The period's traffic counts over `traffic t` (walk-ins, first visits, calls, test drives,
# events; the rows are in the period) and the rows they count.
TRAFFIC_COUNTS_SQL = ",\n    ".join(m.aggregate() for m in TRAFFIC_MEASURES)
TRAFFIC_ROWS = f"FROM traffic t WHERE {IN_PERIOD_VISIT} AND {TRAFFIC_FILTERS}"


def _summed(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    table: Summary,
    period: str,
    by: str | None = None,
    total: bool = False,
    periods: dict[str, Scope] | None = None,
) -> dict[str | None, dict[str, Any]]:
    """Return a summary table's measures summed over the period's store-days, per group.

    ``period`` is the condition on the table's day column that the raw rows' count uses
    (IN_PERIOD_VISIT, ...); ``by``, ``total`` and ``periods`` as for _traffic_counts. The
    table keeps per store and day the counts and sums of the rows of that day, so summing
    them over the days of a period (of a group's stores) gives the rows' counts and sums.
    """
    a = table.alias
    sums = ", ".join(f"sum({a}.{m.name}) AS {m.name}" for m in table.measures)
    where = f"{period} AND {store_clause(a)}"
    if periods:
        sql = f"""
            WITH {PERIODS_CTE}
            SELECT p.grp, {sums}
            FROM {table.name} {a} JOIN p ON {_on_periods(period)}
            WHERE {where}
            GROUP BY 1"""
        return _rows(con, sql, _periods_params(scope, periods))
    key, group = _grouping(by, a, total)
    sql = f"SELECT {key} AS grp, {sums} FROM {table.name} {a} WHERE {where} {group}"
    return _rows(con, sql, scope.params)


def _traffic_counts(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    by: str | None = None,
    total: bool = False,
    periods: dict[str, Scope] | None = None,
) -> dict[str | None, dict[str, Any]]:
    """Return the period's traffic counts (walk-ins, first visits, calls, test drives, events).

    ``periods`` ({key: scope}, the same filters) gives each period's counts from one scan,
    keyed by its key, instead of grouping by ``by``. Without a traffic filter the counts
    come from summary_sales_traffic.
    """
    if query.summaries_allowed(scope, TRAFFIC_FILTER_NAMES):
        return _summed(con, scope, summary_sales.TRAFFIC, IN_PERIOD_VISIT, by, total, periods)
    if periods:
        sql = f"""
            WITH {PERIODS_CTE}
            SELECT p.grp, {TRAFFIC_COUNTS_SQL}
            FROM traffic t JOIN p ON {_on_periods(IN_PERIOD_VISIT)}
            WHERE {IN_PERIOD_VISIT} AND {TRAFFIC_FILTERS}
            GROUP BY 1"""
        return _rows(con, sql, _periods_params(scope, periods))
    key, group = _grouping(by, "t", total)
    sql = f"SELECT {key} AS grp, {TRAFFIC_COUNTS_SQL} {TRAFFIC_ROWS} {group}"
    return _rows(con, sql, scope.params)


# The period's order and delivery counts and sums over `orders o`, and the rows they count:
# orders placed by order_date, deliveries by delivery_date (warehouse.summary_sales).
ORDER_COUNTS_SQL = ",\n    ".join(
    (
        *(m.aggregate(IN_PERIOD_ORDER) for m in PLACED_MEASURES),
        *(m.aggregate(IN_PERIOD_DELIVERY) for m in DELIVERED_MEASURES),
    )
)
_ORDER_IN_PERIOD = f"({IN_PERIOD_ORDER} OR {DELIVERED})"
ORDER_ROWS = f"FROM orders o WHERE {_ORDER_IN_PERIOD} AND {ORDER_FILTERS}"


def _order_counts(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    by: str | None = None,
    total: bool = False,
    periods: dict[str, Scope] | None = None,
) -> dict[str | None, dict[str, Any]]:
    """Return the period's order and delivery counts and sums (``periods``: per period).

    Without an order filter they come from the summary tables: orders placed by order_date
    and delivered by delivery_date, the two halves merged per group.
    """
    if query.summaries_allowed(scope, ORDER_FILTER_NAMES):
        placed = _summed(con, scope, summary_sales.PLACED, IN_PERIOD_ORDER, by, total, periods)
        delivered = _summed(
            con, scope, summary_sales.DELIVERED, IN_PERIOD_DELIVERY, by, total, periods
        )
        return {k: placed.get(k, {}) | delivered.get(k, {}) for k in placed | delivered}
    if periods:
        sql = f"""
            WITH {PERIODS_CTE}
            SELECT p.grp, {_on_periods(ORDER_COUNTS_SQL)}
            FROM orders o JOIN p ON {_on_periods(_ORDER_IN_PERIOD)}
            WHERE {_ORDER_IN_PERIOD} AND {ORDER_FILTERS}
            GROUP BY 1"""
        return _rows(con, sql, _periods_params(scope, periods))
    key, group = _grouping(by, "o", total)
    sql = f"SELECT {key} AS grp, {ORDER_COUNTS_SQL} {ORDER_ROWS} {group}"
    return _rows(con, sql, scope.params)


def cohort_ctes(
    tkey: str = "''",
    okey: str = "''",
    traffic: str = "traffic t",
    orders: str = "orders o",
    horizon: str = "$horizon",
) -> str:
    """Return the CTEs of the cohorts and the active consultants, keyed grp by tkey / okey.

    visit_customers (closed: ordered within 30 days), call_customers (visited: walked in
    within 30 days) and consultants: the rows cohort_close_rate, phone_to_visit_rate and
    units_per_consultant count (kpi.drill lists them from the same CTEs).
    """
    return f"""
        first_visits AS (
            SELECT {tkey} AS grp, t.store, t.customer_id, t.visit_date, {horizon} AS horizon
            FROM {traffic}
            WHERE t.kind = 'walk_in' AND t.first_visit AND {IN_PERIOD_VISIT}
              AND nullif(t.customer_id, '') IS NOT NULL AND {TRAFFIC_FILTERS}
        ),
        visit_customers AS (
            SELECT f.grp, f.store, f.customer_id, count(o.order_id) > 0 AS closed,
                   min(f.visit_date) AS first_visit_date, min(o.order_date) AS first_order_date
            FROM first_visits f
            LEFT JOIN orders o
              ON o.store = f.store AND o.customer_id = f.customer_id
             AND o.status <> 'cancelled'
             AND o.order_date BETWEEN f.visit_date AND f.visit_date + {COHORT_DAYS}
             AND o.order_date <= f.horizon
             -- implied by the lines above; a bound on o alone lets DuckDB skip older orders
             AND o.order_date BETWEEN $start AND least($end + {COHORT_DAYS}, $horizon)
            GROUP BY f.grp, f.store, f.customer_id
        ),
        first_calls AS (
            SELECT {tkey} AS grp, t.store, t.customer_id, t.visit_date, {horizon} AS horizon
            FROM {traffic}
            WHERE t.kind = 'phone' AND t.first_visit AND {IN_PERIOD_VISIT}
              AND nullif(t.customer_id, '') IS NOT NULL AND {TRAFFIC_FILTERS}
        ),
        call_customers AS (
            SELECT c.grp, c.store, c.customer_id, count(w.visit_id) > 0 AS visited,
                   min(c.visit_date) AS first_call_date, min(w.visit_date) AS first_walk_in_date
            FROM first_calls c
            LEFT JOIN traffic w
              ON w.store = c.store AND w.customer_id = c.customer_id AND w.kind = 'walk_in'
             AND w.visit_date BETWEEN c.visit_date AND c.visit_date + {COHORT_DAYS}
             AND w.visit_date <= c.horizon
             AND w.visit_date BETWEEN $start AND least($end + {COHORT_DAYS}, $horizon)
            GROUP BY c.grp, c.store, c.customer_id
        ),
        {consultants_cte(tkey, okey, traffic, orders)}"""


def consultants_cte(tkey: str, okey: str, traffic: str, orders: str) -> str:
    """Return the CTE of the active consultants (units_per_consultant), keyed grp."""
    return f"""consultants AS (
            SELECT {tkey} AS grp, t.store, t.consultant
            FROM {traffic}
            WHERE t.kind = 'walk_in' AND {IN_PERIOD_VISIT}
              AND nullif(t.consultant, '') IS NOT NULL AND {TRAFFIC_FILTERS}
            UNION
            SELECT {okey}, o.store, o.consultant
            FROM {orders}
            WHERE {DELIVERED} AND nullif(o.consultant, '') IS NOT NULL AND {ORDER_FILTERS}
        )"""


def _first_in_period(column: str, start: str) -> str:
    """Return the condition that a row is its key's first in the period (from ``start``):
    the key's previous row (``column``, warehouse.summary_sales) is none or before it."""
    return f"({column} IS NULL OR {column} < {start})"


def summed_distinct_counts(
    tkey: str, traffic: str, horizon: str, start: str, per_day: bool = False
) -> str:
    """Return a SELECT of the cohorts' counts per grp from summary_sales_cohort_starts.

    The rows (read in place of ``traffic t``) are in the period; ``start`` is the first day of
    a row's period. Each customer in a cohort is the one row that is their first start in the
    period, each closed (visited) one the row that is their first converting start, converted
    by the horizon: the same customers as the joins of cohort_ctes() count, without grouping
    by customer (warehouse.summary_sales).

    ``per_day`` counts alike rows once first (same day, kind and previous dates; those
    converted by the horizon apart) and sums those counts: for a ``tkey`` and ``start`` made
    of t.visit_date alone, ``traffic`` the plain table and ``horizon`` a parameter (monthly():
    millions of rows, a few thousand such groups).
    """
    starts = traffic.replace("traffic t", f"{summary_sales.COHORTS_NAME} t", 1)
    first = _first_in_period("t.prev_date", start)
    converted = f"t.conv_date <= {horizon} AND {_first_in_period('t.prev_conv', start)}"
    rows, where = starts, f"WHERE {IN_PERIOD_VISIT} AND {store_clause('t')}"
    if per_day:
        rows = f"""(
                SELECT t.visit_date, t.kind, t.prev_date, t.prev_conv, count(*) AS n,
                       count(*) FILTER (WHERE t.conv_date <= {horizon}) AS n_converted
                FROM {starts}
                {where}
                GROUP BY ALL
            ) t"""
        where = ""
        converted = _first_in_period("t.prev_conv", start)

    def counted(condition: str, converted_only: bool = False) -> str:
        """Return the number of rows meeting condition (per_day: the sum of their counts)."""
        if not per_day:
            return f"count(*) FILTER (WHERE {condition})"
        n = "t.n_converted" if converted_only else "t.n"
        return f"coalesce(sum({n}) FILTER (WHERE {condition}), 0)::BIGINT"

    return f"""
            SELECT {tkey} AS grp,
                   {counted(f"t.kind = 'walk_in' AND {first}")} AS visit_customers,
                   {counted(f"t.kind = 'walk_in' AND {converted}", True)}
                       AS closed_customers,
                   {counted(f"t.kind = 'phone' AND {first}")} AS call_customers,
                   {counted(f"t.kind = 'phone' AND {converted}", True)}
                       AS visited_customers,
                   0 AS consultants
            FROM {rows}
            {where}
            GROUP BY 1"""


def summed_consultant_counts(tkey: str, traffic: str, start: str, per_day: bool = False) -> str:
    """Return a SELECT of the active consultants per grp from summary_sales_consultant_days:
    each consultant is the row of their first day in the period (as for the cohorts).
    ``per_day``: alike rows (same day and prev_date) counted once first, as for the cohorts."""
    days = traffic.replace("traffic t", f"{summary_sales.CONSULTANT_DAYS_NAME} t", 1)
    first = _first_in_period("t.prev_date", start)
    where = f"WHERE {IN_PERIOD_VISIT} AND {store_clause('t')}"
    if not per_day:
        return f"""
            SELECT {tkey} AS grp, 0, 0, 0, 0, count(*) FILTER (WHERE {first})
            FROM {days}
            {where}
            GROUP BY 1"""
    return f"""
            SELECT {tkey} AS grp, 0, 0, 0, 0,
                   coalesce(sum(t.n) FILTER (WHERE {first}), 0)::BIGINT
            FROM (
                SELECT t.visit_date, t.prev_date, count(*) AS n
                FROM {days}
                {where}
                GROUP BY ALL
            ) t
            GROUP BY 1"""


def _distinct_counts(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    by: str | None = None,
    order_key: str | None = None,
    total: bool = False,
    periods: dict[str, Scope] | None = None,
    group_start: str = "$start",
    per_day: bool = False,
) -> dict[str | None, dict[str, Any]]:
    """Return the per-customer cohorts and the number of active consultants.

    Customers and consultants are (store, id) pairs. Filters select the visits and calls that
    define a cohort; the order or walk-in that converts it may carry any consultant, model or
    channel (the customer converted, whoever served the deal). ``periods`` ({key: scope})
    gives each period's figures from one pass, keyed by its key. ``group_start``: the first
    day of a row's group when ``by`` is a period of its own (monthly(): the row's month).
    ``per_day``: see summed_distinct_counts (``by`` and ``group_start`` of t.visit_date only).
    """
    tkey, okey = _grouping(by, "t")[0], _grouping(order_key or by, "o")[0]
    traffic, orders, with_p, params = "traffic t", "orders o", "", scope.params
    # The 30-day windows stop at as_of while a period runs (its horizon).
    horizon = "p.horizon" if periods else "$horizon"
    start = "p.start" if periods else group_start
    if periods:
        # Each visit, call and delivery counts in every period it falls in (they may overlap).
        tkey = okey = "p.grp"
        traffic = f"traffic t JOIN p ON {_on_periods(IN_PERIOD_VISIT)}"
        orders = f"orders o JOIN p ON {_on_periods(DELIVERED)}"
        with_p, params = f"{PERIODS_CTE},", _periods_params(scope, periods)
    # Without a row filter the cohorts and consultants are counted from summary tables.
    summed = query.summaries_allowed(scope, TRAFFIC_FILTER_NAMES)
    counts = []
    if summed:
        counts.append(summed_distinct_counts(tkey, traffic, horizon, start, per_day))
    else:
        counts += [
            """SELECT grp, count(*), count(*) FILTER (WHERE closed), 0, 0, 0
            FROM visit_customers GROUP BY grp""",
            """SELECT grp, 0, 0, count(*), count(*) FILTER (WHERE visited), 0
            FROM call_customers GROUP BY grp""",
        ]
    if summed and query.summaries_allowed(scope, ORDER_FILTER_NAMES):
        counts.append(summed_consultant_counts(tkey, traffic, start, per_day))
        ctes = ""
    else:
        counts.append("SELECT grp, 0, 0, 0, 0, count(*) FROM consultants GROUP BY grp")
        ctes = (
            consultants_cte(tkey, okey, traffic, orders)
            if summed
            else cohort_ctes(tkey, okey, traffic, orders, horizon)
        ) + ","
    if by is None and not periods:
        counts.append("SELECT '', 0, 0, 0, 0, 0")
    union = "\n            UNION ALL\n".join(counts)
    sql = f"""
        WITH {with_p} {ctes}
        counts (grp, visit_customers, closed_customers, call_customers, visited_customers,
                consultants) AS (
            {union}
        )
        SELECT grp, sum(visit_customers) AS visit_customers,
               sum(closed_customers) AS closed_customers,
               sum(call_customers) AS call_customers,
               sum(visited_customers) AS visited_customers,
               sum(consultants) AS consultants
        FROM counts
        GROUP BY {"GROUPING SETS ((grp), ())" if total else "grp"}
    """
    return _rows(con, sql, params)


def _days_to_as_of(scope: Scope) -> int:
    """Return the days from the period's start to as_of inclusive (0 if as_of is earlier)."""
    return max(0, (scope.as_of - scope.start).days + 1)


def _kpis(t: dict, o: dict, d: dict, scope: Scope) -> dict[str, float | int | None]:
    """Return the section's KPIs from one group's traffic, order and distinct counts."""
    t = {k: query.plain(t.get(k)) or 0 for k in TRAFFIC_FIELDS}
    o = {k: query.plain(o.get(k)) for k in ORDER_FIELDS}
    o = {k: (v or 0) if k in ORDER_COUNTS else v for k, v in o.items()}
    d = {k: int(query.plain(d.get(k)) or 0) for k in DISTINCT_FIELDS}
    deliveries = o["deliveries"]
    retail = o["retail_deliveries"]
    return {
        "walk_in_batches": t["walk_in_batches"],
        "first_visit_batches": t["first_visit_batches"],
        "phone_batches": t["phone_batches"],
        "daily_walk_ins": _ratio(t["walk_in_batches"], _days_to_as_of(scope)),
        "test_drives": t["test_drives"],
        "test_drive_rate": _ratio(t["test_drives"], t["walk_in_batches"]),
        "orders": o["orders"],
        "deliveries": deliveries,
        "close_rate": _ratio(o["retail_orders"], t["first_visit_batches"]),
        "cohort_close_rate": _ratio(d["closed_customers"], d["visit_customers"]),
        "phone_to_visit_rate": _ratio(d["visited_customers"], d["call_customers"]),
        "cancellation_rate": _ratio(o["cancelled"], o["all_orders"]),
        "fleet_share": _ratio(o["fleet"], deliveries),
        "corporate_share": _ratio(o["corporate"], deliveries),
        "event_traffic_share": _ratio(t["event_walk_ins"], t["walk_in_batches"]),
        "front_gross_per_unit": _ratio(o["front_gross"], deliveries),
        "total_gross_per_unit": _ratio(o["total_gross"], deliveries),
        "finance_penetration": _ratio(o["financed"], retail),
        "insurance_penetration": _ratio(o["insured"], retail),
        "trade_in_rate": _ratio(o["traded_in"], retail),
        "accessories_per_unit": _ratio(o["accessories_revenue"], deliveries),
        "accessories_margin": _ratio(o["accessories_gross"], o["accessories_revenue"]),
        "units_per_consultant": _ratio(deliveries, d["consultants"]),
    }


TRAFFIC_FIELDS = (
    "walk_in_batches",
    "first_visit_batches",
    "phone_batches",
    "test_drives",
    "event_walk_ins",
)
ORDER_COUNTS = (
    "orders",
    "retail_orders",
    "all_orders",
    "cancelled",
    "deliveries",
    "fleet",
    "corporate",
    "retail_deliveries",
    "financed",
    "insured",
    "traded_in",
)
ORDER_FIELDS = (
    *ORDER_COUNTS,
    "front_gross",
    "total_gross",
    "accessories_revenue",
    "accessories_gross",
)
DISTINCT_FIELDS = (
    "visit_customers",
    "closed_customers",
    "call_customers",
    "visited_customers",
    "consultants",
)


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return every scalar KPI of "Sales and showroom", keyed by catalogue id.

    Counts are ints (0 over nothing), ratios fractions and money CNY, unrounded; a zero
    denominator gives None.
    """
    t = _traffic_counts(con, scope)[""]
    o = _order_counts(con, scope)[""]
    d = _distinct_counts(con, scope)[""]
    return _kpis(t, o, d, scope)


def _backlog(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return the backlog KPIs on as_of (kpi.backlog: orders awaiting delivery, allocated)."""
    from kpi import backlog

    return backlog.summary(con, scope)


def summaries(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    shifts: tuple[int, ...] = (0, -1, -12),
    cohorts: bool = True,
) -> list[dict[str, float | int | None]]:
    """Return summary() of the scope shifted by each number of months (Scope.shifted).

    The default gives this period, the previous one and last year's, as the KPI cards show
    them: one pass per source for all of them (summary()'s queries, each row joined to the
    periods it falls in). ``cohorts=False`` runs the cohorts' pass for the first period only:
    the others' COHORT_IDS are then None (for cards that show none of them).
    """
    periods = {str(n): scope.shifted(n) if n else scope for n in shifts}
    t = _traffic_counts(con, scope, periods=periods)
    o = _order_counts(con, scope, periods=periods)
    first = next(iter(periods))
    d = (
        _distinct_counts(con, scope, periods=periods)
        if cohorts
        else {first: _distinct_counts(con, periods[first])[""]}
    )
    out = []
    for k, s in periods.items():
        kpis = _kpis(t.get(k, {}), o.get(k, {}), d.get(k, {}), s)
        out.append(kpis if cohorts or k == first else kpis | dict.fromkeys(COHORT_IDS))
    return out


def by_store(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    by: str = "store",
    total: bool = False,
    cohorts: bool = True,
) -> pd.DataFrame:
    """Return every summary KPI per store (or per brand / region), each group pooled.

    One grouped pass per source table, the same formulas as summary(): summing a column of
    counts over the groups gives the pooled count. Every group of the stores table in scope
    appears ('' for stores without a brand or region), with zeros and None where it has no
    rows. ``total`` adds a last row, ``by`` None, equal to summary() (from the same passes).
    ``cohorts=False`` skips the cohorts' pass: the COHORT_IDS columns are then None.
    Columns: ``by``, then SUMMARY_IDS.
    """
    t = _traffic_counts(con, scope, by, total=total)
    o = _order_counts(con, scope, by, total=total)
    d = _distinct_counts(con, scope, by, total=total) if cohorts else {}
    named = set(groups(con, scope, by)) | {k for k in (*t, *o, *d) if k is not None}
    keys: list[str | None] = [*sorted(named)]
    keys += [None] if total else []
    skipped = {} if cohorts else dict.fromkeys(COHORT_IDS)
    rows = [
        {by: k, **_kpis(t.get(k, {}), o.get(k, {}), d.get(k, {}), scope), **skipped} for k in keys
    ]
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[by, *SUMMARY_IDS])
    return frame.astype(object).where(frame.notna(), None)  # no value is None, never NaN


# ----------------------------------------------------------------------------- breakdowns


def _grouped(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    keys: dict[str, tuple[str, str]],
    where_traffic: str = "TRUE",
    where_orders: str = "TRUE",
) -> pd.DataFrame:
    """Return the period's counts and delivered gross grouped by keys.

    keys maps an output column to (traffic expression, orders expression); groups match on
    equal keys (an empty key matches an empty key). Columns: the keys, walk_in_batches,
    first_visit_batches, phone_batches, test_drives, event_walk_ins, orders, retail_orders,
    deliveries, front_gross, total_gross.
    """
    names = list(keys)
    t_sel = ", ".join(f"{te} AS {n}" for n, (te, _) in keys.items())
    o_sel = ", ".join(f"{oe} AS {n}" for n, (_, oe) in keys.items())
    group = ", ".join(str(i + 1) for i in range(len(names)))
    join_on = " AND ".join(f"tc.{n} IS NOT DISTINCT FROM oc.{n}" for n in names)
    out_keys = ", ".join(f"coalesce(tc.{n}, oc.{n}) AS {n}" for n in names)
    sql = f"""
        WITH tc AS (
            SELECT {t_sel},
                count(*) FILTER (WHERE {WALK_IN}) AS walk_in_batches,
                count(*) FILTER (WHERE {FIRST_VISIT})
                    AS first_visit_batches,
                count(*) FILTER (WHERE {PHONE}) AS phone_batches,
                count(*) FILTER (WHERE {TEST_DRIVE}) AS test_drives
            FROM traffic t
            WHERE {IN_PERIOD_VISIT} AND {TRAFFIC_FILTERS} AND {where_traffic}
            GROUP BY {group}
        ),
        oc AS (
            SELECT {o_sel},
                count(*) FILTER (WHERE {IN_PERIOD_ORDER} AND {NOT_CANCELLED}) AS orders,
                count(*) FILTER (WHERE {IN_PERIOD_ORDER} AND {NOT_CANCELLED}
                                 AND o.sale_type = 'retail') AS retail_orders,
                count(*) FILTER (WHERE {DELIVERED}) AS deliveries,
                coalesce(sum({FRONT_GROSS}) FILTER (WHERE {DELIVERED}), 0) AS front_gross,
                coalesce(sum({TOTAL_GROSS}) FILTER (WHERE {DELIVERED}), 0) AS total_gross
            FROM orders o
            WHERE ({IN_PERIOD_ORDER} OR {DELIVERED}) AND {ORDER_FILTERS} AND {where_orders}
            GROUP BY {group}
        )
        SELECT {out_keys},
            coalesce(tc.walk_in_batches, 0) AS walk_in_batches,
            coalesce(tc.first_visit_batches, 0) AS first_visit_batches,
            coalesce(tc.phone_batches, 0) AS phone_batches,
            coalesce(tc.test_drives, 0) AS test_drives,
            coalesce(oc.orders, 0) AS orders,
            coalesce(oc.retail_orders, 0) AS retail_orders,
            coalesce(oc.deliveries, 0) AS deliveries,
            coalesce(oc.front_gross, 0) AS front_gross,
            coalesce(oc.total_gross, 0) AS total_gross
        FROM tc FULL OUTER JOIN oc ON {join_on}
    """
    df = query.frame(con, sql, scope.params)
    counts = ["walk_in_batches", "first_visit_batches", "phone_batches", "test_drives"]
    counts += ["orders", "retail_orders", "deliveries"]
    for c in counts:
        df[c] = df[c].astype("int64")
    for c in ("front_gross", "total_gross"):
        df[c] = df[c].astype("float64")
    # A cancelled order alone, outside the shown counts, makes no row.
    active = df[["walk_in_batches", "phone_batches", "orders", "deliveries"]].sum(axis=1) > 0
    return df[active].reset_index(drop=True)


def _store_counts(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return counts_by(by='store') from the summary tables (no row filter set).

    The stores with a walk-in, a call, an order or a delivery in the period, as _grouped's.
    """
    import pandas as pd

    t = _traffic_counts(con, scope, "store")
    o = _order_counts(con, scope, "store")
    rows = [
        {"store": k, "consultant": None,
         **{c: int(query.plain((t.get(k, {}) | o.get(k, {})).get(c)) or 0) for c in COUNT_IDS}}
        for k in sorted(k for k in t.keys() | o.keys() if k is not None)
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=["store", "consultant", *COUNT_IDS])
    df = df.astype({c: "int64" for c in COUNT_IDS})
    active = df[["walk_in_batches", "phone_batches", "orders", "deliveries"]].sum(axis=1) > 0
    return df[active].reset_index(drop=True)


def counts_by(con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store") -> pd.DataFrame:
    """Return the period's counts (COUNT_IDS) per store, or per (store, consultant).

    Columns: store, consultant (None when by='store'), then COUNT_IDS. Rows with no consultant
    are left out of by='consultant'. Used by kpi.targets for actual vs target.
    """
    if by == "store" and query.summaries_allowed(scope, ORDER_FILTER_NAMES):
        df = _store_counts(con, scope)
    elif by == "store":
        df = _grouped(con, scope, {"store": ("t.store", "o.store")})
        df.insert(1, "consultant", None)
    elif by == "consultant":
        df = _grouped(
            con,
            scope,
            {"store": ("t.store", "o.store"), "consultant": ("t.consultant", "o.consultant")},
            "nullif(t.consultant, '') IS NOT NULL",
            "nullif(o.consultant, '') IS NOT NULL",
        )
    else:
        raise ValueError(f"by must be 'store' or 'consultant', not {by!r}")
    cols = ["store", "consultant", *COUNT_IDS]
    return df[cols].sort_values(["store", "consultant"]).reset_index(drop=True)


def by_consultant(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the consultant ranking: per (store, consultant) traffic, orders, deliveries, gross.

    Consultants with a walk-in, an order or a delivery in the period appear.

    Sorted by deliveries, then total_gross, descending. close_rate is the consultant's
    non-cancelled retail orders ÷ their first-visit batches; total_gross is Σ of the
    total-gross formula over their deliveries. Rows without a consultant are left out.
    """
    df = _grouped(
        con,
        scope,
        {"store": ("t.store", "o.store"), "consultant": ("t.consultant", "o.consultant")},
        "nullif(t.consultant, '') IS NOT NULL",
        "nullif(o.consultant, '') IS NOT NULL",
    )
    # Phone calls alone do not put a consultant on the ranking.
    df = df[df[["walk_in_batches", "orders", "deliveries"]].sum(axis=1) > 0]
    df["test_drive_rate"] = _ratio_col(df["test_drives"], df["walk_in_batches"])
    df["close_rate"] = _ratio_col(df["retail_orders"], df["first_visit_batches"])
    df["total_gross_per_unit"] = _ratio_col(df["total_gross"], df["deliveries"])
    cols = [
        "consultant",
        "store",
        "walk_in_batches",
        "first_visit_batches",
        "test_drives",
        "test_drive_rate",
        "orders",
        "deliveries",
        "close_rate",
        "total_gross",
        "total_gross_per_unit",
    ]
    df = df.sort_values(
        ["deliveries", "total_gross", "store", "consultant"],
        ascending=[False, False, True, True],
    )
    return df[cols].reset_index(drop=True)


def by_model(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return per model: walk-ins (by model_interest), orders and deliveries (by orders.model).

    Also front and total gross per delivered unit. Models are pooled across stores; an
    unknown model is one row with model None. Sorted by deliveries descending.
    """
    df = _grouped(con, scope, {"model": ("t.model_interest", "o.model")})
    df["front_gross_per_unit"] = _ratio_col(df["front_gross"], df["deliveries"])
    df["total_gross_per_unit"] = _ratio_col(df["total_gross"], df["deliveries"])
    df = df[df[["walk_in_batches", "orders", "deliveries"]].sum(axis=1) > 0]
    cols = [
        "model",
        "walk_in_batches",
        "test_drives",
        "orders",
        "deliveries",
        "front_gross_per_unit",
        "total_gross_per_unit",
    ]
    df = df.sort_values(["deliveries", "orders", "model"], ascending=[False, False, True])
    return df[cols].reset_index(drop=True)


def by_channel(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return per lead channel: walk-ins and calls (traffic.channel), orders and deliveries.

    Orders and deliveries are grouped by orders.channel. Sorted by walk-ins descending.
    """
    df = _grouped(con, scope, {"channel": ("t.channel", "o.channel")})
    cols = ["channel", "walk_in_batches", "phone_batches", "orders", "deliveries"]
    df = df.sort_values(["walk_in_batches", "orders", "channel"], ascending=[False, False, True])
    return df[cols].reset_index(drop=True)


def daily(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return one row per day from the period's start to as_of, zero-filled.

    Columns: date, walk_in_batches, first_visit_batches, phone_batches, test_drives, orders
    (by order_date) and deliveries (by delivery_date). Empty when as_of is before the start.
    """
    # Without a row filter, the day's counts come from the summary tables.
    if query.summaries_allowed(scope, TRAFFIC_FILTER_NAMES):
        tc = f"""SELECT t.visit_date AS date, sum(t.walk_in_batches) AS walk_in_batches,
                sum(t.first_visit_batches) AS first_visit_batches,
                sum(t.phone_batches) AS phone_batches, sum(t.test_drives) AS test_drives
            FROM summary_sales_traffic t
            WHERE t.visit_date BETWEEN $start AND $as_of AND {store_clause("t")}
            GROUP BY 1"""
    else:
        tc = f"""SELECT t.visit_date AS date,
                count(*) FILTER (WHERE {WALK_IN}) AS walk_in_batches,
                count(*) FILTER (WHERE {FIRST_VISIT})
                    AS first_visit_batches,
                count(*) FILTER (WHERE {PHONE}) AS phone_batches,
                count(*) FILTER (WHERE {TEST_DRIVE}) AS test_drives
            FROM traffic t
            WHERE t.visit_date BETWEEN $start AND $as_of AND {TRAFFIC_FILTERS}
            GROUP BY 1"""
    if query.summaries_allowed(scope, ORDER_FILTER_NAMES):
        oc = f"""SELECT o.order_date AS date, sum(o.orders) AS orders
            FROM summary_sales_placed o
            WHERE o.order_date BETWEEN $start AND $as_of AND {store_clause("o")}
            GROUP BY 1"""
        dc = f"""SELECT o.delivery_date AS date, sum(o.deliveries) AS deliveries
            FROM summary_sales_delivered o
            WHERE o.delivery_date BETWEEN $start AND $as_of AND {store_clause("o")}
            GROUP BY 1"""
    else:
        oc = f"""SELECT o.order_date AS date, count(*) AS orders
            FROM orders o
            WHERE o.order_date BETWEEN $start AND $as_of AND {NOT_CANCELLED}
              AND {ORDER_FILTERS}
            GROUP BY 1"""
        dc = f"""SELECT o.delivery_date AS date, count(*) AS deliveries
            FROM orders o
            WHERE o.status = 'delivered' AND o.delivery_date BETWEEN $start AND $as_of
              AND {ORDER_FILTERS}
            GROUP BY 1"""
    sql = f"""
        WITH days AS (
            SELECT CAST(g.d AS DATE) AS date
            FROM generate_series($start::DATE, $as_of::DATE, INTERVAL 1 DAY) AS g(d)
        ),
        tc AS ({tc}),
        oc AS ({oc}),
        dc AS ({dc})
        SELECT days.date,
            coalesce(tc.walk_in_batches, 0) AS walk_in_batches,
            coalesce(tc.first_visit_batches, 0) AS first_visit_batches,
            coalesce(tc.phone_batches, 0) AS phone_batches,
            coalesce(tc.test_drives, 0) AS test_drives,
            coalesce(oc.orders, 0) AS orders,
            coalesce(dc.deliveries, 0) AS deliveries
        FROM days
        LEFT JOIN tc ON tc.date = days.date
        LEFT JOIN oc ON oc.date = days.date
        LEFT JOIN dc ON dc.date = days.date
        ORDER BY days.date
    """
    df = query.frame(con, sql, scope.params)
    for c in df.columns[1:]:
        df[c] = df[c].astype("int64")
    df["date"] = [d.date() if hasattr(d, "date") else d for d in df["date"]]
    return df


def _monthly_distinct_counts(
    con: duckdb.DuckDBPyConnection, span: Scope
) -> dict[str | None, dict[str, Any]]:
    """Return _distinct_counts() per calendar month of the span (which starts on a 1st),
    keyed 'YYYY-MM'.

    The rows are grouped by their month's first day and the key formatted per group, not
    per row (millions of cohort starts over 13 months); each month's cohorts and
    consultants start on that day.
    """
    visit_month = "(date_trunc('month', t.visit_date))"
    found = _distinct_counts(con, span, visit_month, "(date_trunc('month', o.delivery_date))",
                             group_start=f"greatest($start, {visit_month})",
                             per_day=True)  # fmt: skip
    return {f"{k:%Y-%m}": v for k, v in found.items() if k is not None}


# Order fields counted by order_date; the rest of ORDER_FIELDS by delivery_date.
ORDER_DATE_FIELDS = ("orders", "retail_orders", "all_orders", "cancelled")


def monthly(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    months: int = 13,
    cohorts: bool = True,
) -> pd.DataFrame:
    """Return the summary for each of the trailing `months` calendar months.

    The last month is the month of scope.end; each month is computed like summary() for that
    calendar month, with as_of = the earlier of its last day and scope.as_of, and the scope's
    store and filters. Columns: month ('YYYY-MM') and every summary id.

    One pass per source for all the months: summary()'s queries over the whole span, each
    row keyed by the month of the date that places it in a period (visits by visit_date,
    orders by order_date, deliveries by delivery_date). ``cohorts=False`` skips the costly
    pass of the per-customer cohorts and the consultants: the COHORT_IDS columns are then
    None (for callers that show none of them).
    """
    last = month_start(scope.end)
    firsts = [add_months(last, -i) for i in range(months - 1, -1, -1)]
    span = replace(scope, start=firsts[0], end=month_end(last), as_of=scope.as_of)
    visit_month = _month_of("t.visit_date")
    t = _traffic_counts(con, span, visit_month)
    if query.summaries_allowed(span, ORDER_FILTER_NAMES):
        order_month, delivery_month = _month_of("o.order_date"), _month_of("o.delivery_date")
        by_order = _summed(con, span, summary_sales.PLACED, IN_PERIOD_ORDER, order_month)
        by_delivery = _summed(
            con, span, summary_sales.DELIVERED, IN_PERIOD_DELIVERY, delivery_month
        )
    else:
        by_order = _order_counts(con, span, _month_of("o.order_date"))
        by_delivery = _order_counts(con, span, _month_of("o.delivery_date"))
    d = _monthly_distinct_counts(con, span) if cohorts else {}
    rows = []
    for first in firsts:
        key = f"{first:%Y-%m}"
        end = month_end(first)
        month_scope = replace(scope, start=first, end=end, as_of=min(end, scope.as_of))
        o = {
            k: (by_order if k in ORDER_DATE_FIELDS else by_delivery).get(key, {}).get(k)
            for k in ORDER_FIELDS
        }
        kpis = _kpis(t.get(key, {}), o, d.get(key, {}), month_scope)
        rows.append({"month": key, **kpis, **({} if cohorts else dict.fromkeys(COHORT_IDS))})
    import pandas as pd

    return pd.DataFrame(rows, columns=["month", *SUMMARY_IDS])


def funnel(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the sales funnel: walk-ins, test drives, orders, deliveries (stage, value)."""
    import pandas as pd

    s = summary(con, scope)
    stages = ["walk_in_batches", "test_drives", "orders", "deliveries"]
    return pd.DataFrame({"stage": stages, "value": [int(cast(int, s[k])) for k in stages]})


def _model_passes(
    con: duckdb.DuckDBPyConnection, scope: Scope
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the period's traffic and order counts per model, each with its pooled row.

    One scan per table: the pooled row (``pooled`` 1, the same numbers as summary()'s) comes
    from the same GROUPING SETS pass as the model rows (``pooled`` 0, ``model`` None for no
    model), so the report's summary and sales mix share it.
    """
    traffic = query.records(
        con,
        f"""SELECT GROUPING(t.model_interest) AS pooled, t.model_interest AS model,
                {TRAFFIC_COUNTS_SQL}
            {TRAFFIC_ROWS}
            GROUP BY GROUPING SETS ((t.model_interest), ())""",
        scope.params,
    )
    orders = query.records(
        con,
        f"""SELECT GROUPING(o.model) AS pooled, o.model AS model, {ORDER_COUNTS_SQL}
            {ORDER_ROWS}
            GROUP BY GROUPING SETS ((o.model), ())""",
        scope.params,
    )
    return traffic, orders


def _mix(traffic: list[dict[str, Any]], orders: list[dict[str, Any]]) -> dict[str, dict]:
    """Return the sales mix (tables()) from the per-model rows of _model_passes().

    The models and their order are by_model()'s: a model with a walk-in, an order or a
    delivery, most deliveries first, then most orders, then by name (no model last).
    """
    models: dict[str | None, dict[str, int]] = {}
    for r in traffic:
        if not r["pooled"]:
            models.setdefault(r["model"], {})["walk_in_batches"] = r["walk_in_batches"]
    for r in orders:
        if not r["pooled"]:
            models.setdefault(r["model"], {}).update(orders=r["orders"], deliveries=r["deliveries"])
    counts = {
        m: {k: int(c.get(k) or 0) for k in ("walk_in_batches", "orders", "deliveries")}
        for m, c in models.items()
    }
    ranked = sorted(
        (m for m, c in counts.items() if sum(c.values()) > 0),
        key=lambda m: (-counts[m]["deliveries"], -counts[m]["orders"], m is None, m or ""),
    )
    out: dict[str, dict] = {}
    for name, col in (
        ("deliveries_by_model", "deliveries"),
        ("orders_by_model", "orders"),
        ("walk_ins_by_model", "walk_in_batches"),
    ):
        out[name] = {
            "unknown" if m is None else str(m): counts[m][col] for m in ranked if counts[m][col]
        }
    return out


def tables(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict[str, Any]]:
    """Return the sales mix for the report: deliveries, orders and walk-ins per model.

    The same models, order and counts as by_model(); an unknown model is keyed 'unknown'.
    """
    return _mix(*_model_passes(con, scope))


def report(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return summary() and tables() in one dict, the pooled counts and the mix from one pass.

    What the report prints for this section, with one scan of traffic and one of orders for
    both the scalars and the per-model tables (plus the cohorts' query).
    """
    traffic, orders = _model_passes(con, scope)
    t = next(r for r in traffic if r["pooled"])
    o = next(r for r in orders if r["pooled"])
    d = _distinct_counts(con, scope)[""]
    return {**_kpis(t, o, d, scope), **_backlog(con, scope), **_mix(traffic, orders)}


def monthly_deliveries(
    con: duckdb.DuckDBPyConnection, year: int, store: str | None = None
) -> dict[int, float]:
    """Return deliveries per calendar month (1-12) of a year, for splitting annual targets."""
    scope = Scope(start=date(year, 1, 1), end=date(year, 12, 31), as_of=date(year, 12, 31))
    sql = f"""
        SELECT extract(month FROM o.delivery_date) AS m, count(*) AS n
        FROM orders o
        WHERE {DELIVERED} AND {store_clause("o")}
        GROUP BY 1
    """
    rows = con.execute(sql, query.bind(sql, {**scope.params, "store": store})).fetchall()
    found = {int(m): float(n) for m, n in rows}
    return {m: found.get(m, 0.0) for m in range(1, 13)}


# The supervisor's monthly ranking (issue 17, the consultant's page).
RANKING_COUNTS = ("walk_in_batches", "phone_batches", "test_drives", "orders", "deliveries")


def consultant_ranking(
    con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 12
) -> pd.DataFrame:
    """Return each consultant's rank among the store's consultants, month by month.

    The trailing ``months`` calendar months ending with the month of scope.end, each as
    by_consultant() of that month (as of the earlier of its last day and scope.as_of), the
    consultant filter cleared: every consultant of the store is ranked. Rank 1 has the most
    deliveries, ties broken by total gross (by_consultant's order); ``last`` marks the last
    place of a store's month with at least two consultants ranked.

    Columns: month, store, consultant, walk_in_batches, phone_batches, test_drives, orders,
    deliveries, close_rate, total_gross_per_unit, rank, consultants (how many were ranked),
    last, and the store's per-consultant average of each count (``avg_<count>``: the
    month's total over its ranked consultants ÷ their number).
    """
    import pandas as pd

    last_month = month_start(scope.end)
    frames = []
    for n in range(months - 1, -1, -1):
        first = add_months(last_month, -n)
        end = month_end(first)
        month = replace(scope, start=first, end=end, as_of=min(end, scope.as_of),
                        consultant=None, horizon_at=None)  # fmt: skip
        df = by_consultant(con, month)
        if df.empty:
            continue
        phones = _grouped(
            con,
            month,
            {"store": ("t.store", "o.store"), "consultant": ("t.consultant", "o.consultant")},
        )
        df = df.merge(phones[["store", "consultant", "phone_batches"]],
                      on=["store", "consultant"], how="left")  # fmt: skip
        df["phone_batches"] = df["phone_batches"].fillna(0).astype("int64")
        df.insert(0, "month", f"{first:%Y-%m}")
        df["rank"] = df.groupby("store").cumcount() + 1
        df["consultants"] = df.groupby("store")["consultant"].transform("size")
        df["last"] = (df["rank"] == df["consultants"]) & (df["consultants"] > 1)
        for col in RANKING_COUNTS:
            df[f"avg_{col}"] = df.groupby("store")[col].transform("mean")
        frames.append(df)
    cols = ["month", "store", "consultant", *RANKING_COUNTS, "close_rate",
            "total_gross_per_unit", "rank", "consultants", "last",
            *(f"avg_{c}" for c in RANKING_COUNTS)]  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]
