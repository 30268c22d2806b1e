"""Finance KPIs (财务): the store's gross by department, expenses, profit and break-even.

Gross from vehicles is recognised on delivery (orders delivered in the period, any sale type),
service gross on RO close: it is read from kpi.service (the After-sales section's
service_gross, non-internal ROs closed in the period), so the number has one source.
Expenses are monthly amounts: a month counts in proportion to its days inside the period
(KPI-CATALOGUE.md, rules), so a period running past today still carries its whole months.

Filters: only the store applies. Expenses cannot be split by consultant, model, channel,
advisor or technician, and profit or break-even over a filtered share of the gross against
the whole store's expenses would be wrong, so every other filter is ignored here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import duckdb

from kpi import query, service
from kpi.inventory import TOTAL_KEY
from kpi.scope import (
    FILTERS,
    Scope,
    add_months,
    filter_clause,
    group_key,
    groups,
    month_end,
    month_start,
    store_clause,
)
from warehouse.summary_sales import FIN_ACCESSORIES_GROSS, FIN_VEHICLE_GROSS

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset(
    {
        "expenses",
        "orders",
        "parts_stock",
        "repair_orders",
        "stores",
        "technicians",
        "vehicles",
    }
)

if TYPE_CHECKING:
    import pandas as pd

WATERFALL_STEPS = (
    "vehicle_gross", "fi_gross", "accessories_gross", "service_gross", "total_expenses",
    "net_profit",
)  # fmt: skip


def _store_only(scope: Scope) -> Scope:
    """Return the scope without its person/model/channel filters (finance is store-wide).

    The department filter stays: it restricts the expenses only (EXPENSES_FILTER).
    """
    cleared: dict[str, Any] = dict.fromkeys(f for f in FILTERS if f != "department")
    return replace(scope, **cleared)


def _group_clause(by: str | None, total: bool) -> str:
    """Return the GROUP BY of a grouped figure (with the pooled row too when ``total``)."""
    if not by:
        return ""
    return "GROUP BY GROUPING SETS ((1), ())" if total else "GROUP BY 1"


# The rows the figures sum (kpi.drill lists the same rows): deliveries o, expenses e.
IN_PERIOD = f"o.delivery_date BETWEEN $start AND $end AND {store_clause('o')}"
DELIVERED = f"o.status = 'delivered' AND {IN_PERIOD}"
VEHICLE_GROSS = FIN_VEHICLE_GROSS
ACCESSORIES_GROSS = FIN_ACCESSORIES_GROSS
EXPENSES_FILTER = f"{store_clause('e')} AND {filter_clause('e.department', 'department')}"
# An expense row's share of its month in the period (weights w, query.WEIGHTS_CTE).
EXPENSE_SHARE = "e.amount * w.inside / w.total"


# The period's deliveries and their gross (deliveries, vehicle_gross, fi_gross,
# accessories_gross): from the delivered orders' store-day summary (warehouse.summary_sales),
# or the orders' rows inside query.raw_rows(). A Sold gives the FROM, the condition that
# keeps delivered rows, and the four aggregates.
_SOLD_ROWS = (
    "orders o",
    "o.status = 'delivered' AND",
    f"count(*) AS deliveries, coalesce(sum({VEHICLE_GROSS}), 0) AS vehicle_gross, "
    "coalesce(sum(o.fi_income), 0) AS fi_gross, "
    f"coalesce(sum({ACCESSORIES_GROSS}), 0) AS accessories_gross",
)
_SOLD_SUMMARY = (
    "summary_sales_delivered o",
    "",
    "coalesce(sum(o.deliveries), 0) AS deliveries, "
    "coalesce(sum(o.fin_vehicle_gross), 0) AS vehicle_gross, "
    "coalesce(sum(o.fin_fi_gross), 0) AS fi_gross, "
    "coalesce(sum(o.fin_accessories_gross), 0) AS accessories_gross",
)


def _sold(scope: Scope) -> tuple[str, str, str]:
    return _SOLD_SUMMARY if query.summaries_allowed(scope) else _SOLD_ROWS


def _service_gross(scope: Scope) -> tuple[str, str, str, str]:
    """Return (closing day, FROM, the gross sum, the row condition) of the ROs' service gross.

    kpi.service's formula and rows (its store-day summary's closed ROs, or the rows inside
    query.raw_rows()); finance drops every filter but the store.
    """
    if query.summaries_allowed(scope):
        return "s.day", "summary_service_days s", "sum(s.service_gross)", store_clause("s")
    return "r.close_date", "repair_orders r", f"sum({service._GROSS})", service.RO_FILTER


def _deliveries_sql(scope: Scope, by: str | None, total: bool = False) -> str:
    sold_from, delivered, sums = _sold(scope)
    return f"""
SELECT {group_key("o", by)} AS grp, {sums}
FROM {sold_from}
WHERE {delivered} {IN_PERIOD}
{_group_clause(by, total)}
"""


def _expenses_sql(by: str | None, total: bool = False) -> str:
    return f"""
WITH {query.WEIGHTS_CTE}
SELECT {group_key("e", by)} AS grp,
       coalesce(sum({EXPENSE_SHARE}), 0) AS total_expenses,
       coalesce(sum({EXPENSE_SHARE}) FILTER (WHERE e.fixed), 0) AS fixed_expenses
FROM expenses e JOIN weights w ON w.month = e.month
WHERE {EXPENSES_FILTER}
{_group_clause(by, total)}
"""


FIGURES = (
    "deliveries",
    "vehicle_gross",
    "fi_gross",
    "accessories_gross",
    "service_gross",
    "total_expenses",
    "fixed_expenses",
)


def _grouped_figures(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None, total: bool = False
) -> dict[str | None, dict[str, float | int]]:
    """Return the period's figures per group ('' when pooled): deliveries, gross, expenses.

    ``total`` (with ``by``) adds the pooled figures from the same queries, keyed None.
    """
    scope = _store_only(scope)
    out: dict[str | None, dict[str, float | int]] = {}
    for grp, *values in query.rows(con, _deliveries_sql(scope, by, total), scope.params):
        names = ("deliveries", "vehicle_gross", "fi_gross", "accessories_gross")
        out.setdefault(grp, {}).update(zip(names, values, strict=True))
    # service_gross has one source: kpi.service's RO figures (closed in the period).
    frame = service._ro_figures(con, scope, by=by, with_ftf=False, total=total)
    for row in frame.to_dict("records"):
        key = row[by] if by else ""
        key = None if key == TOTAL_KEY else key
        out.setdefault(key, {})["service_gross"] = row["service_gross"]
    for grp, *values in query.rows(con, _expenses_sql(by, total), query.prorate_params(scope)):
        out.setdefault(grp, {}).update(
            zip(("total_expenses", "fixed_expenses"), values, strict=True)
        )
    return {
        grp: {
            k: int(f.get(k) or 0) if k == "deliveries" else float(f.get(k) or 0.0) for k in FIGURES
        }
        for grp, f in out.items()
    }


def _figures(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int]:
    """Return the period's deliveries, gross by department and (prorated) expenses."""
    scope = _store_only(scope)
    return _period_figures(con, scope, {"": scope})[""]


def _kpis(f: dict[str, float | int]) -> dict[str, float | int | None]:
    """Return the finance KPIs derived from the period's figures."""
    sales_gross = f["vehicle_gross"] + f["fi_gross"] + f["accessories_gross"]
    total_gross = sales_gross + f["service_gross"]
    break_even = (
        None
        if sales_gross == 0
        else (f["total_expenses"] - f["service_gross"]) / sales_gross * f["deliveries"]
    )
    return {
        "vehicle_gross": f["vehicle_gross"],
        "fi_gross": f["fi_gross"],
        "accessories_gross": f["accessories_gross"],
        "total_gross": total_gross,
        "total_expenses": f["total_expenses"],
        "net_profit": total_gross - f["total_expenses"],
        "service_absorption": (
            None if f["fixed_expenses"] == 0 else f["service_gross"] / f["fixed_expenses"]
        ),
        "break_even_units": break_even,
    }


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return every scalar finance KPI keyed by its catalogue id, plus fixed_expenses.

    service_absorption = service_gross ÷ the period's prorated fixed expenses of every
    department (None without fixed expenses); break_even_units = (total_expenses −
    service_gross) ÷ (vehicle_gross + fi_gross + accessories_gross) × deliveries (None when
    that gross is 0; negative when after-sales covers every expense).
    """
    f = _figures(con, scope)
    return _kpis(f) | {"fixed_expenses": f["fixed_expenses"]}


# The periods of one pass (summaries()), a row each, bound by _periods_params().
_PERIODS_CTE = (
    "p AS (SELECT unnest($p_grp) AS grp, unnest($p_start) AS start, unnest($p_end) AS stop)"
)


def _periods_params(scope: Scope, periods: dict[str, Scope]) -> dict:
    """Return the scope's parameters, the periods (p_*) and their span ($lo, $hi)."""
    starts = [s.start for s in periods.values()]
    ends = [s.upto for s in periods.values()]
    return {
        **scope.params,
        "p_grp": list(periods),
        "p_start": starts,
        "p_end": ends,
        "lo": min(starts),
        "hi": max(ends),
    }


def summaries(
    con: duckdb.DuckDBPyConnection, scope: Scope, shifts: tuple[int, ...] = (0, -1, -12)
) -> list[dict[str, float | int | None]]:
    """Return summary() of the scope shifted by each number of months (Scope.shifted).

    The default gives this period, the previous one and last year's, as the KPI cards show
    them. Deliveries and service gross come from one pass each for every period (a row joined
    to each period it falls in; service gross is kpi.service's formula and repair-order
    filter over the ROs closed in the period, as its RO figures compute it); the prorated
    expenses, a small table, are read per period.
    """
    scope = _store_only(scope)
    periods = {str(n): scope.shifted(n) if n else scope for n in shifts}
    return [
        _kpis(f) | {"fixed_expenses": f["fixed_expenses"]}
        for f in _period_figures(con, scope, periods).values()
    ]


def _period_figures(
    con: duckdb.DuckDBPyConnection, scope: Scope, periods: dict[str, Scope]
) -> dict[str, dict[str, float | int]]:
    """Return _figures() of each period (the scope's filters dropped), in the periods' order.

    Deliveries and service gross of every period from one pass each; expenses per period.
    """
    params = _periods_params(scope, periods)
    found: dict[str, dict[str, float | int]] = {k: {} for k in periods}
    sold_from, delivered, sums = _sold(scope)
    sold = f"""
        WITH {_PERIODS_CTE}
        SELECT p.grp, {sums}
        FROM {sold_from} JOIN p ON o.delivery_date BETWEEN p.start AND p.stop
        WHERE {delivered} o.delivery_date BETWEEN $lo AND $hi
          AND {store_clause("o")}
        GROUP BY 1"""
    for grp, *values in query.rows(con, sold, params):
        names = ("deliveries", "vehicle_gross", "fi_gross", "accessories_gross")
        found[grp].update(zip(names, values, strict=True))
    day, gross_from, gross_sum, where = _service_gross(scope)
    gross = f"""
        WITH {_PERIODS_CTE}
        SELECT p.grp, coalesce({gross_sum}, 0)
        FROM {gross_from} JOIN p ON {day} BETWEEN p.start AND p.stop
        WHERE {where} AND {day} BETWEEN $lo AND $hi
        GROUP BY 1"""
    for grp, value in query.rows(con, gross, params):
        found[grp]["service_gross"] = value
    out = {}
    for key, one in periods.items():
        rows = query.rows(con, _expenses_sql(None), query.prorate_params(one))
        for _, total_expenses, fixed_expenses in rows:
            found[key].update(total_expenses=total_expenses, fixed_expenses=fixed_expenses)
        out[key] = {
            k: int(found[key].get(k) or 0) if k == "deliveries" else float(found[key].get(k) or 0)
            for k in FIGURES
        }
    return out


def by_store(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store", total: bool = False
) -> pd.DataFrame:
    """Return every summary KPI per store (or per brand / region), one grouped pass each.

    Every group of the stores table in scope appears ('' for stores without a brand or
    region). ``total`` adds a last row, ``by`` None, equal to summary() (from the same
    queries). Columns: ``by``, then the summary's keys (fixed_expenses last).
    """
    found = _grouped_figures(con, scope, by, total)
    named = set(groups(con, scope, by)) | {k for k in found if k is not None}
    keys: list[str | None] = [*sorted(named)]
    keys += [None] if total else []
    empty = dict.fromkeys(FIGURES, 0.0) | {"deliveries": 0}
    rows = []
    for k in keys:
        f = found.get(k, empty)
        rows.append({by: k, **_kpis(f), "fixed_expenses": f["fixed_expenses"]})
    import pandas as pd

    frame = pd.DataFrame(rows)
    return frame.astype(object).where(frame.notna(), None)


def expenses_by(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the period's prorated expenses per department, category and fixed flag.

    Columns: department, category, fixed, amount_cny (largest first).
    """
    scope = _store_only(scope)
    sql = f"""
    WITH {query.WEIGHTS_CTE}
    SELECT e.department, e.category, e.fixed, sum(e.amount * w.inside / w.total) AS amount_cny
    FROM expenses e JOIN weights w ON w.month = e.month
    WHERE {store_clause("e")}
    GROUP BY e.department, e.category, e.fixed
    ORDER BY amount_cny DESC, e.department, e.category
    """
    import pandas as pd

    frame = pd.DataFrame(
        query.rows(con, sql, query.prorate_params(scope)),
        columns=["department", "category", "fixed", "amount_cny"],
    )
    frame["amount_cny"] = frame["amount_cny"].astype("float64")
    return frame


def gross_waterfall(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the steps from gross to operating profit for a waterfall chart.

    Columns: step (vehicle_gross incl. rebates, fi_gross, accessories_gross, service_gross,
    total_expenses as a negative amount, net_profit as the total), amount_cny.
    """
    import pandas as pd

    f = _figures(con, scope)
    k = _kpis(f)
    amounts = [
        f["vehicle_gross"], f["fi_gross"], f["accessories_gross"], f["service_gross"],
        0.0 - f["total_expenses"], k["net_profit"],
    ]  # fmt: skip
    return pd.DataFrame(
        {"step": list(WATERFALL_STEPS), "amount_cny": pd.Series(amounts, dtype="float64")}
    )


def monthly(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13) -> pd.DataFrame:
    """Return the finance KPIs per calendar month, the months ending with as_of's month.

    Each month is computed like summary for that whole month (no finance figure depends on
    as_of, and a whole month's expenses count in full). Columns: month, deliveries,
    vehicle_gross, fi_gross, accessories_gross, service_gross, total_gross, total_expenses,
    fixed_expenses, net_profit, service_absorption, break_even_units.
    """
    scope = _store_only(scope)
    last = month_start(scope.as_of)
    month_list = [f"{add_months(last, -k):%Y-%m}" for k in range(months - 1, -1, -1)]
    sold_from, delivered, sums = _sold(scope)
    sql = f"""
    WITH months AS (SELECT unnest($months) AS month),
    sales AS (
        SELECT strftime(o.delivery_date, '%Y-%m') AS month, {sums}
        FROM {sold_from}
        WHERE {delivered} o.delivery_date BETWEEN $first AND $last
          AND {store_clause("o")}
        GROUP BY 1
    ),
    spent AS (
        SELECT month, sum(amount) AS total_expenses,
               sum(amount) FILTER (WHERE fixed) AS fixed_expenses
        FROM expenses
        WHERE month IN (SELECT month FROM months) AND {store_clause()}
        GROUP BY 1
    )
    SELECT m.month, coalesce(s.deliveries, 0), coalesce(s.vehicle_gross, 0),
           coalesce(s.fi_gross, 0), coalesce(s.accessories_gross, 0),
           coalesce(e.total_expenses, 0),
           coalesce(e.fixed_expenses, 0)
    FROM months m
    LEFT JOIN sales s ON s.month = m.month
    LEFT JOIN spent e ON e.month = m.month
    ORDER BY m.month
    """
    p = dict(scope.params, months=month_list, first=add_months(last, -(months - 1)),
             last=month_end(last))  # fmt: skip
    names = ["deliveries", "vehicle_gross", "fi_gross", "accessories_gross", "total_expenses",
             "fixed_expenses"]  # fmt: skip
    # service_gross with kpi.service's formula and filter (its RO figures' service_gross), by
    # the closing month; only the closed ROs' gross is summed (nothing else of the figures)
    day, gross_from, gross_sum, where = _service_gross(scope)
    gross = f"""
        SELECT strftime({day}, '%Y-%m'), coalesce({gross_sum}, 0)
        FROM {gross_from}
        WHERE {where} AND {day} BETWEEN $first AND $last
        GROUP BY 1"""
    service_gross = dict(query.rows(con, gross, p))
    rows = []
    for month, *values in query.rows(con, sql, p):
        f = dict(zip(names, values, strict=True))
        f = {n: (int(v) if n == "deliveries" else float(v)) for n, v in f.items()}
        f["service_gross"] = float(service_gross.get(month) or 0.0)
        rows.append({"month": month, "deliveries": f["deliveries"],
                     "service_gross": f["service_gross"],
                     "fixed_expenses": f["fixed_expenses"]} | _kpis(f))  # fmt: skip
    cols = ["month", "deliveries", "vehicle_gross", "fi_gross", "accessories_gross",
            "service_gross", "total_gross", "total_expenses", "fixed_expenses", "net_profit",
            "service_absorption", "break_even_units"]  # fmt: skip
    import pandas as pd

    frame = pd.DataFrame(rows, columns=cols)
    for c in cols[2:]:
        frame[c] = frame[c].astype("float64")
    return frame
