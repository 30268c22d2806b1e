"""The month-end forecast's points: derived state written with the orders (issue 15).

A point is one store's uncalibrated forecast at one day (its origin): the deliveries of the
origin's month so far, and the expected deliveries still to come from the orders waiting on
that day and from orders not yet placed (kpi/forecast.py explains the method and turns
points into the forecast and its interval). The pooled forecast of a dealer group calibrates
on 60 past origins of every store: at 700 stores that is 42,700 points, about 10 s to compute
from the orders on every cold page. A point reads nothing dated after its origin (or the day
before its month), so every store's points at every day of its history are kept in
``derived_forecast_points``, recomputed for a store whenever its orders change, and a reader
computes only the points that are not stored (a day after the store's latest order or
delivery) from the rows.

The SQL lives in warehouse/sql/forecast_*.sql, one file per stage, shared by both paths.
"""

from __future__ import annotations

from importlib import resources

HISTORY_DAYS = 365  # lead times and order rates: the store's last 12 months before the month
LEVEL_DAYS = 28  # the recent window whose orders scale the expected order rate
LEVEL_PRIOR = 20.0  # shrinkage of that scale towards 1, in expected orders


def _sql(name: str) -> str:
    return resources.files("warehouse").joinpath("sql", f"{name}.sql").read_text("utf-8")


def _points_sql(origins: str) -> str:
    return _sql("forecast_points").format(
        inputs=f"{origins.rstrip()},\n{_sql('forecast_known')}",
        lead_times=_sql("forecast_lead_times"),
        order_rate=_sql("forecast_order_rate"),
        new_orders=_sql("forecast_new_orders"),
        waiting=_sql("forecast_waiting"),
    )


# The points of given origins: binds $stores and $origins (parallel lists), $bound (no row
# after it is read), $first (the earliest origin), $history, $level and $prior (PARAMS).
POINTS_SQL = _points_sql(_sql("forecast_inputs"))
PARAMS = {"history": HISTORY_DAYS, "level": LEVEL_DAYS, "prior": LEVEL_PRIOR}

# Every day of the refreshed stores: the bounds are the stored days', the constants inlined
# (a derived table's refresh binds only the stores).
_STORED_SQL = _points_sql(_sql("forecast_stored_inputs"))
for _name, _value in (
    ("$bound", "(SELECT max(origin) FROM origins)"),
    ("$first", "(SELECT min(origin) FROM origins)"),
    ("$history", str(HISTORY_DAYS)),
    ("$level", str(LEVEL_DAYS)),
    ("$prior", repr(LEVEL_PRIOR)),
):
    _STORED_SQL = _STORED_SQL.replace(_name, _value)

DDL = """CREATE TABLE IF NOT EXISTS derived_forecast_points (
    store VARCHAR NOT NULL, origin DATE NOT NULL, delivered BIGINT, has_history BOOLEAN,
    waiting DOUBLE, new_orders DOUBLE)"""

# The stored points of every store of $stores at every day of $origins (two short lists: the
# cross product of a few hundred stores and a few dozen days binds as tens of thousands of
# pairs, slower than the lookup itself); the caller keeps the pairs it asked for.
STORED_SQL = """
SELECT p.store, p.origin, p.delivered, p.has_history, p.waiting, p.new_orders
FROM derived_forecast_points p
WHERE p.origin IN (SELECT unnest($origins::DATE[]))
  AND p.store IN (SELECT unnest($stores::VARCHAR[]))
"""


def stored_select(where: str) -> str:
    """Return the SELECT of every point of the stores ``where`` admits (warehouse.derived)."""
    return _STORED_SQL.replace("{where_o}", where.format(t="o"))


# The pairs of $stores × $origins with no stored point (a reader computes those from the rows).
MISSING_SQL = f"""
SELECT s.store, d.origin
FROM (SELECT unnest($stores::VARCHAR[]) AS store) s
CROSS JOIN (SELECT unnest($origins::DATE[]) AS origin) d
ANTI JOIN ({STORED_SQL}) p ON p.store = s.store AND p.origin = d.origin
"""
