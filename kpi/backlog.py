"""The order backlog (待交车): orders awaiting delivery on as_of, matched to stock and transit.

KPI-CATALOGUE.md, "Sales and showroom": a backlog order is not cancelled, dated on or before
as_of and not delivered by as_of (delivery_date empty or after as_of), whatever the database
says happened later. The allocation, per store, on as_of:

1. a backlog order whose vin is a vehicle in stock or in transit at as_of keeps it (two
   backlog orders naming one vehicle: the older keeps it, the other joins step 2);
2. the other backlog orders, oldest first (order_date, then order_id), each take the
   unallocated vehicle of the same model that is in stock with the earliest arrival_date, or,
   when none is left, the one in transit with the earliest eta (empty eta last); ties by vin.

Because every order of a model competes only for that model's vehicles and takes the best one
left, step 2 is the k-th waiting order of a model getting the k-th free vehicle of it in that
order: one SQL pass with row numbers, no loop. In stock and in transit are the inventory
module's definitions (v_vehicles: the sold date falls back to a delivered order's date).

Filters: the allocation always runs over the store's whole backlog (a consultant's order waits
behind older orders of others); the consultant and model filters then choose the orders
reported. Channel and the after-sales filters do not apply. The module loads no pandas unless
a DataFrame is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from kpi import query
from kpi.catalogue import summary_ids
from kpi.scope import Scope, filter_clause, store_clause

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"orders", "vehicles"})

if TYPE_CHECKING:
    import pandas as pd

# The scalar KPIs summary() returns: the catalogue's for this module, in its order.
SUMMARY_IDS = summary_ids("backlog")
LIST_COLUMNS = (
    "order_id", "store", "consultant", "model", "order_date", "days_waiting", "vin",
    "allocated_from",
)  # fmt: skip


def _in_stock_or_transit(c: str, as_of: str) -> str:
    """Return the condition that vehicle ``c`` is in stock or in transit on ``as_of``."""
    return f"""({c}.sold_date IS NULL OR {c}.sold_date > {as_of})
      AND ({c}.arrival_date <= {as_of}  -- in stock, or in transit:
           OR (({c}.ordered_date IS NULL OR {c}.ordered_date <= {as_of})
               AND ({c}.arrival_date IS NULL OR {c}.arrival_date > {as_of})))"""


def _allocation_sql(per_as_of: bool = False, counts: bool = False) -> str:
    """Return the CTEs of the allocation ending with ``allocated`` (one row per backlog order).

    ``per_as_of``: the allocation on each as_of of a periods CTE ``p`` (grp, as_of) in one
    pass, every window partitioned by the period too, each row keyed by its ``grp``; else on
    $as_of, grp ''. $as_of is the latest as_of and $min_as_of the earliest ($as_of for one:
    kpi.drill runs it on scope.params): the conditions on them alone are redundant, but
    DuckDB checks them while it scans and then reads only the orders and vehicles that pass.
    bl, own and waiting are each read by several later steps: MATERIALIZED computes them once.

    The vehicles are never joined as every vehicle of every period (half a million at 700
    stores, most of them unneeded): own takes those whose vin a backlog order names, free
    those of a (period, store, model) with a waiting order. A window partition of free is
    whole, so its row numbers are those it would have among all vehicles.

    ``counts``: ``allocated`` says only whether each order has a vehicle (``matched``), not
    which, for the summaries. A waiting order of rank k has one when its (period, store,
    model) has at least k free vehicles: those in stock or in transit less those kept by
    their own orders. Counting them needs no vin of the vehicles read for free (the costly
    column) and no window; it is the allocation's answer because a vin identifies one
    vehicle of a store (the vehicles table's key, docs/DECISIONS.md).
    """
    as_of = "p.as_of" if per_as_of else "$as_of"
    grp = "p.grp" if per_as_of else "''"
    per = "JOIN p ON true" if per_as_of else ""
    lo = "$min_as_of" if per_as_of else "$as_of"
    # The vehicles not sold by the earliest as_of: read once for own and free when both need
    # the vin (the list), else twice (the counts' second read skips it).
    unsold = f"{store_clause('c')} AND (c.sold_date IS NULL OR c.sold_date > {lo})"
    cars = "v_vehicles" if counts else "veh"
    veh = f"""veh AS MATERIALIZED (
    SELECT store, vin, model, arrival_date, eta, sold_date, ordered_date
    FROM v_vehicles c WHERE {unsold}
),"""
    return f"""
WITH {"p AS (SELECT unnest($p_grp) AS grp, unnest($p_as_of) AS as_of)," if per_as_of else ""}
bl AS MATERIALIZED (
    SELECT {grp} AS grp, {as_of} AS as_of, store, order_id, order_date, consultant, model, vin
    FROM orders {per}
    WHERE status <> 'cancelled' AND order_date <= {as_of}
      AND (delivery_date IS NULL OR delivery_date > {as_of}) AND {store_clause()}
      AND order_date <= $as_of AND (delivery_date IS NULL OR delivery_date > {lo})
),
{"" if counts else veh}
own AS MATERIALIZED (
    SELECT b.grp, b.store, b.order_id, c.vin, c.model,
           CASE WHEN c.arrival_date <= b.as_of THEN 'stock' ELSE 'transit' END AS place
    FROM bl b JOIN {cars} c ON c.store = b.store AND c.vin = b.vin
    WHERE {_in_stock_or_transit("c", "b.as_of")} AND {unsold}
    QUALIFY row_number() OVER (
        PARTITION BY b.grp, b.store, b.vin ORDER BY b.order_date, b.order_id) = 1
),
waiting AS MATERIALIZED (
    SELECT b.grp, b.as_of, b.store, b.order_id, b.model,
           row_number() OVER (
               PARTITION BY b.grp, b.store, b.model ORDER BY b.order_date, b.order_id) AS k
    FROM bl b ANTI JOIN own o ON o.grp = b.grp AND o.store = b.store AND o.order_id = b.order_id
),
{_counted(unsold) if counts else _allocated()}"""


def _allocated() -> str:
    """Return the CTEs free (the free vehicles ranked per period, store and model, from veh)
    and allocated (each backlog order with the vehicle it gets) of _allocation_sql()."""
    return f"""
free AS (
    SELECT grp, store, vin, model, place,
           row_number() OVER (
               PARTITION BY grp, store, model
               ORDER BY place = 'transit',
                        CASE WHEN place = 'stock' THEN arrival_date ELSE eta END NULLS LAST,
                        vin
           ) AS k
    FROM (
        SELECT w.grp, c.store, c.vin, c.model, c.arrival_date, c.eta,
               CASE WHEN c.arrival_date <= w.as_of THEN 'stock' ELSE 'transit' END AS place
        FROM (SELECT DISTINCT grp, as_of, store, model FROM waiting) w
        JOIN veh c ON c.store = w.store AND c.model = w.model
        ANTI JOIN own o ON o.grp = w.grp AND o.store = c.store AND o.vin = c.vin
        WHERE {_in_stock_or_transit("c", "w.as_of")}
    )
),
allocated AS (
    SELECT b.grp, b.order_id, b.store, b.consultant, b.model, b.order_date,
           datediff('day', b.order_date, b.as_of) AS days_waiting,
           coalesce(o.vin, f.vin) AS vin,
           CASE WHEN o.vin IS NOT NULL THEN 'own_vin' ELSE f.place END AS allocated_from
    FROM bl b
    LEFT JOIN own o ON o.grp = b.grp AND o.store = b.store AND o.order_id = b.order_id
    LEFT JOIN waiting w ON w.grp = b.grp AND w.store = b.store AND w.order_id = b.order_id
    LEFT JOIN free f ON f.grp = w.grp AND f.store = w.store AND f.model = w.model AND f.k = w.k
    WHERE {filter_clause("b.consultant", "consultant")} AND {filter_clause("b.model", "model")}
)
"""


def _counted(unsold: str) -> str:
    """Return the CTEs free (the free vehicles per period, store and model) and allocated
    (each backlog order, ``matched`` when it gets a vehicle) of _allocation_sql(counts=True)
    (``unsold``: the vehicles not sold by the earliest as_of)."""
    return f"""
free AS (
    SELECT w.grp, w.store, w.model, count(*) - any_value(coalesce(o.n, 0)) AS n
    FROM (SELECT DISTINCT grp, as_of, store, model FROM waiting) w
    JOIN v_vehicles c ON c.store = w.store AND c.model = w.model
    LEFT JOIN (
        SELECT grp, store, model, count(*) AS n FROM own GROUP BY grp, store, model
    ) o ON o.grp = w.grp AND o.store = w.store AND o.model = w.model
    WHERE {_in_stock_or_transit("c", "w.as_of")} AND {unsold}
    GROUP BY w.grp, w.store, w.model
),
allocated AS (
    SELECT b.grp, datediff('day', b.order_date, b.as_of) AS days_waiting,
           o.vin IS NOT NULL OR coalesce(w.k <= f.n, false) AS matched
    FROM bl b
    LEFT JOIN own o ON o.grp = b.grp AND o.store = b.store AND o.order_id = b.order_id
    LEFT JOIN waiting w ON w.grp = b.grp AND w.store = b.store AND w.order_id = b.order_id
    LEFT JOIN free f ON f.grp = w.grp AND f.store = w.store AND f.model = w.model
    WHERE {filter_clause("b.consultant", "consultant")} AND {filter_clause("b.model", "model")}
)
"""


_ALLOCATION_SQL = _allocation_sql()

_SUMMARY_SQL = f"""{_allocation_sql(counts=True)}
SELECT count(*), count(*) FILTER (WHERE NOT matched), avg(days_waiting) FROM allocated
"""

# summaries(): every period's figures from one allocation pass (a period without a backlog
# order has no row).
_SUMMARIES_SQL = f"""{_allocation_sql(per_as_of=True, counts=True)}
SELECT grp, count(*), count(*) FILTER (WHERE NOT matched), avg(days_waiting)
FROM allocated GROUP BY grp
"""

_LIST_SQL = f"""{_ALLOCATION_SQL}
SELECT {", ".join(LIST_COLUMNS)} FROM allocated ORDER BY store, order_date, order_id
"""


def _summary(n: Any, unmatched: Any, age: Any) -> dict[str, int | float | None]:
    return {
        "backlog_orders": int(n),
        "backlog_unmatched": int(unmatched),
        "backlog_age_days": query.plain(age),
    }


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, int | float | None]:
    """Return backlog_orders, backlog_unmatched and backlog_age_days on the scope's as_of.

    The age is mean(as_of − order_date) in days over the backlog; no backlog: no value.
    """
    return _summary(*query.rows(con, _SUMMARY_SQL, scope.params)[0])


def summaries(
    con: duckdb.DuckDBPyConnection, scope: Scope, shifts: tuple[int, ...] = (0, -1, -12)
) -> list[dict[str, int | float | None]]:
    """Return summary() of the scope shifted by each number of months (Scope.shifted).

    The default gives this period, the previous one and last year's, as the KPI cards show
    them: the allocation on each one's as_of from one pass (ui.data.summaries asks for it).
    """
    periods = [scope.shifted(n) if n else scope for n in shifts]
    params = {
        **scope.params,
        "p_grp": [str(n) for n in shifts],
        "p_as_of": [s.as_of for s in periods],
        "as_of": max(s.as_of for s in periods),
        "min_as_of": min(s.as_of for s in periods),
    }
    found = {r[0]: r[1:] for r in query.rows(con, _SUMMARIES_SQL, params)}
    return [_summary(*found.get(str(n), (0, 0, None))) for n in shifts]


def backlog_records(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, Any]]:
    """Return every backlog order with its allocation, oldest first within each store.

    Keys: LIST_COLUMNS; ``vin`` is the allocated vehicle (None: needs ordering) and
    ``allocated_from`` 'own_vin', 'stock', 'transit' or None.
    """
    return query.records(con, _LIST_SQL, scope.params)


def backlog_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return backlog_records() as a DataFrame (the Sales page's backlog list).

    Built from the rows as tuples: the same frame as from backlog_records()' dicts, without
    making 25,000 dicts at 700 stores.
    """
    import pandas as pd

    return pd.DataFrame(query.rows(con, _LIST_SQL, scope.params), columns=list(LIST_COLUMNS))


def unmatched_by_model(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[tuple[str, str], int]:
    """Return backlog orders without a vehicle per (store, model), for order planning."""
    out: dict[tuple[str, str], int] = {}
    for r in backlog_records(con, scope):
        if r["vin"] is None:
            key = (r["store"], r["model"])
            out[key] = out.get(key, 0) + 1
    return out
