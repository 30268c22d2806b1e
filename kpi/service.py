"""After-sales KPIs (售后): workshop throughput, revenue and gross, technicians, parts, churn.

Repair orders are read through ``v_repair_orders`` (comeback derived where the export left it
empty). Internal ROs (``ro_type = 'internal'``) count nowhere: not in revenue, counts, open
ROs, technician labour hours, parts cost or churn. Revenue and gross are recognised on
close_date; ro_count and first_time_fix_rate use open_date.

Filters: store everywhere; advisor and technician on the repair-order KPIs (technician also on
the roster KPIs). The parts KPIs (parts_turnover, parts_months_supply, obsolete_parts_value)
and customer_churn_rate are store-level measures (parts stock and a customer's visits belong
to no advisor or technician), so they ignore the advisor and technician filters.

Summary tables (warehouse.summary_service) hold the additive parts per store and day: the
repair-order KPIs read them pooled, per store, brand, region, ro_type or month unless an
advisor or technician filter is set (the ro_type filter applies to their ro_type key); the
store-level KPIs always; the technicians' labour over whole calendar months unless an advisor
filter is set. Inside ``query.raw_rows()`` everything reads the rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from kpi import query
from kpi.catalogue import summary_ids
from kpi.inventory import TOTAL_KEY, TOTAL_SQL, complete_months_window, trailing_months
from kpi.scope import Scope, add_months, filter_clause, group_key, groups, month_end, store_clause
from warehouse.summary_service import (
    CHURN_BASE_MONTHS,
    CHURN_MONTHS,
    FTF_TYPES,
    GROSS,
    OBSOLETE,
    SERVICE_RO,
    SNAPSHOT_END,
    VISIT,
    WARRANTY,
)

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"parts_stock", "repair_orders", "stores", "technicians"})

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported only by the functions that return a DataFrame: the report (summary and
# tables) runs without it, and loading it costs a process about 0.4 s.

# The scalar KPIs summary() returns: the catalogue's for this module, in its order.
SUMMARY_IDS = summary_ids("service")
RO_COLUMNS = (
    "ro_count",
    "closed_ro_count",
    "service_revenue",
    "avg_ro_value",
    "service_gross",
    "service_gross_margin",
    "parts_gross_margin",
    "labor_revenue",
    "labor_hours",
    "effective_labor_rate",
    "warranty_gross",
    "first_time_fix_rate",
    "open_ros",
)
TECHNICIAN_COLUMNS = (
    "technician",
    "store",
    "available_hours",
    "clocked_hours",
    "labor_hours_sold",
    "tech_productivity",
    "tech_efficiency",
    "tech_proficiency",
    "labor_revenue",
    "training_compliance",
)
TURNOVER_MONTHS = 12

# Every repair-order read: internal ROs out, then the scope's store/advisor/technician.
RO_FILTER = " AND ".join(
    (
        SERVICE_RO,
        store_clause("r"),
        filter_clause("r.advisor", "advisor"),
        filter_clause("r.technician", "technician"),
        filter_clause("r.ro_type", "ro_type"),
    )
)
# The repair orders each figure takes (kpi.drill lists the same rows), over repair_orders r.
OPENED = "r.open_date BETWEEN $start AND $end"
CLOSED = "r.close_date BETWEEN $start AND $end"
OPEN_ON_AS_OF = "r.open_date <= $as_of AND (r.close_date IS NULL OR r.close_date > $as_of)"
# Not closed before $ro_lo, the earlier of $start and the day after as_of: true of every RO
# closed in the period or open on as_of (a condition on one column, which DuckDB checks while
# it scans); an RO it is false of is neither.
UNSETTLED = "(r.close_date IS NULL OR r.close_date >= $ro_lo)"
FTF_BASE = f"{OPENED} AND {FTF_TYPES}"
# Store-level reads (parts, churn) ignore the advisor and technician filters.
RO_STORE_FILTER = f"{SERVICE_RO} AND {store_clause('r')}"
ROSTER_FILTER = (
    f"{store_clause('t')} AND {filter_clause('t.technician', 'technician')}"
    " AND t.month BETWEEN $m_first AND $m_last"
)
_GROSS = GROSS
_SNAPSHOT_END = SNAPSHOT_END
# The scope filters the summary tables keep no key for: set, the KPIs read the rows. The
# summary_service_days rows of the scope (its ro_type filter applies to their key).
SUMMARY_FILTERS = ("advisor", "technician")
DAYS_FILTER = f"{store_clause('s')} AND {filter_clause('s.ro_type', 'ro_type')}"


# Each store's latest parts snapshot at or before as_of's month (joined as latest l), and
# the obsolete parts in it (kpi.drill lists the same rows).
LATEST_SNAPSHOTS = f"""
        SELECT p.store, max(p.month) AS month
        FROM parts_stock p
        WHERE {store_clause("p")} AND p.month <= $as_of_month
        GROUP BY p.store"""


def _ratio(num: float | int | None, den: float | int | None) -> float | None:
    """Return num / den, or None when either is missing or den is 0."""
    if num is None or not den:
        return None
    return num / den


def _nan_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with float columns holding None for no value (object dtype)."""
    import pandas as pd

    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]) and out[col].isna().any():
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _month_text(d: date) -> str:
    return f"{d:%Y-%m}"


def _params(scope: Scope) -> dict[str, Any]:
    """Return the scope's parameters plus the windows of the after-sales formulas."""
    as_of = scope.as_of
    # Roster months: those the period touches up to as_of's (a running month's roster holds
    # the hours so far); none when the period has not started.
    months = scope.known().months() or ["9999-12", "0000-01"]
    s3_start, s3_end = complete_months_window(as_of, 3)
    year_ago = add_months(as_of, -TURNOVER_MONTHS)
    # Snapshot months whose last day d satisfies as_of - 12 months < d <= as_of.
    pt_hi = as_of if as_of == month_end(as_of) else as_of.replace(day=1) - timedelta(days=1)
    pt_lo = add_months(year_ago.replace(day=1), 1) if year_ago == month_end(year_ago) else year_ago
    return {
        **scope.params,
        "m_first": months[0],
        "m_last": months[-1],
        "s3_start": s3_start,
        "s3_end": s3_end,
        "year_ago": year_ago,
        "pt_lo": _month_text(pt_lo),
        "pt_hi": _month_text(pt_hi),
        "as_of_month": _month_text(as_of),
        "churn_base": add_months(as_of, -CHURN_BASE_MONTHS),
        "churn_cut": add_months(as_of, -CHURN_MONTHS),
        "ro_lo": min(scope.start, as_of + timedelta(days=1)),
    }


def _ro_figures(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    keys: tuple[str, ...] = (),
    by: str | None = None,
    with_ftf: bool = True,
    total: bool = False,
) -> pd.DataFrame:
    """Return _ro_records() as a DataFrame (the breakdowns' rows)."""
    return query.frame(con, *_ro_query(scope, keys, by, with_ftf, total))


def _ro_records(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    keys: tuple[str, ...] = (),
    by: str | None = None,
    with_ftf: bool = True,
    total: bool = False,
) -> list[dict[str, Any]]:
    """Return the repair-order KPIs (RO_COLUMNS), pooled (one row) or grouped.

    `keys` are repair_orders column names (e.g. ("ro_type",) or ("store", "advisor"));
    `by` ('store', 'brand', 'region') groups into a column named `by` instead. Grouped, only
    groups with an RO opened or closed in the period or open on as_of appear. Only the
    first-time-fix counts read the comeback, so only they go through v_repair_orders, and
    only for the ROs opened in the period (the view's derivation is the costly part).
    ``with_ftf=False`` leaves first_time_fix_rate out (None) for callers that need money only.
    ``total`` (with ``by``) adds the pooled row from the same passes, keyed TOTAL_KEY.
    """
    return query.records(con, *_ro_query(scope, keys, by, with_ftf, total))


_RO_SQL = query.sql_file("service_ro")
_SUMMARY_RO_SQL = query.sql_file("service_ro_summary")
# The fixed fragments of service_ro.sql: which repair orders each figure takes.
_RO_ROWS = {
    "ro_filter": RO_FILTER,
    "opened": OPENED,
    "closed": CLOSED,
    "open_on_as_of": OPEN_ON_AS_OF,
    "unsettled": UNSETTLED,
    "gross": _GROSS,
    "warranty": WARRANTY,
}


def _ro_query(
    scope: Scope, keys: tuple[str, ...], by: str | None, with_ftf: bool, total: bool
) -> tuple[str, dict[str, Any]]:
    """Return the SQL and parameters of _ro_records(): from summary_service_days when the
    scope and the grouping allow it, else from the rows."""
    summary = _ro_from_summary(scope, keys, by)
    exprs = _ro_keys("s" if summary else "r", keys, by)
    grouping = _ro_grouping(exprs, total)
    if summary:
        sql = _SUMMARY_RO_SQL.format(
            **grouping,
            ftf_base="s.ftf_base" if with_ftf else "0",
            comebacks="s.comebacks" if with_ftf else "0",
            days_filter=DAYS_FILTER,
            kpis=_ro_kpis("a"),
        )
    else:
        ftf, join = _ro_ftf(exprs, grouping, with_ftf)
        sql = _RO_SQL.format(**grouping, **_RO_ROWS, ftf=ftf, join=join, kpis=_ro_kpis("f"))
    return sql, _params(scope)


def _is_expression(by: str | None) -> bool:
    """Return True when ``by`` is an SQL expression over r (such as the month of a date)."""
    return by is not None and by.startswith("(")


def _ro_from_summary(scope: Scope, keys: tuple[str, ...], by: str | None) -> bool:
    """Return True when summary_service_days holds the grouping: no advisor or technician
    filter, not inside raw_rows(), no expression, keys among its store and ro_type."""
    return (
        query.summaries_allowed(scope, SUMMARY_FILTERS)
        and not _is_expression(by)
        and set(keys) <= {"store", "ro_type"}
    )


def _ro_keys(alias: str, keys: tuple[str, ...], by: str | None) -> list[tuple[str, str]]:
    """Return the (expression, name) of each group key: ``keys`` of table ``alias``, then
    ``by`` (an expression named grp, or a group of the stores table named as itself)."""
    exprs = [(f"{alias}.{k}", k) for k in keys]
    if by is not None and _is_expression(by):
        exprs.append((by, "grp"))
    elif by is not None:
        exprs.append((group_key(alias, by), by))
    return exprs


def _ro_grouping(exprs: list[tuple[str, str]], total: bool) -> dict[str, str]:
    """Return the grouping fragments of service_ro*.sql: pooled without keys; ``total`` adds
    the pooled row (GROUPING SETS), keyed TOTAL_KEY; groups with no RO counted are dropped."""
    if not exprs:
        return {"key_select": "", "key_names": "", "group": "", "having": "", "order": ""}
    names = [name for _, name in exprs]
    key_select = "".join(f"{expr} AS {name}, " for expr, name in exprs)
    group = f"GROUP BY {', '.join(str(i + 1) for i in range(len(exprs)))}"
    if total:
        key_select = "".join(f"coalesce({expr}, {TOTAL_SQL}) AS {name}, " for expr, name in exprs)
        group = f"GROUP BY GROUPING SETS (({', '.join(e for e, _ in exprs)}), ())"
    return {
        "key_select": key_select,
        "key_names": "".join(f"a.{name}, " for name in names),
        "group": group,
        "having": "HAVING ro_count + closed_ro_count + open_ros > 0",
        "order": f"ORDER BY service_revenue DESC, {', '.join(names)}",
    }


def _ro_ftf(
    exprs: list[tuple[str, str]], grouping: dict[str, str], with_ftf: bool
) -> tuple[str, str]:
    """Return service_ro.sql's ftf CTE (the first-time-fix counts per group) and its join.

    Only these counts read the comeback, so only they go through v_repair_orders, and only
    for the ROs opened in the period (the view's derivation is the costly part).
    """
    if not with_ftf:
        return "SELECT 0 AS ftf_base, 0 AS comebacks", "CROSS JOIN ftf f"
    ftf = f"""
        SELECT {grouping["key_select"]}
            count(*) AS ftf_base, count(*) FILTER (WHERE r.comeback) AS comebacks
        FROM v_repair_orders r
        WHERE {RO_FILTER} AND {FTF_BASE}
        {grouping["group"]}"""
    on = " AND ".join(f"f.{name} IS NOT DISTINCT FROM a.{name}" for _, name in exprs)
    return ftf, f"LEFT JOIN ftf f ON {on}" if exprs else "CROSS JOIN ftf f"


def _ro_kpis(ftf: str) -> str:
    """Return RO_COLUMNS from a group's sums (alias a) and first-time-fix counts (``ftf``)."""
    return f"""
        ro_count,
        closed_ro_count,
        service_revenue,
        service_revenue / nullif(closed_ro_count, 0) AS avg_ro_value,
        service_gross,
        service_gross / nullif(service_revenue, 0) AS service_gross_margin,
        parts_gross / nullif(parts_revenue, 0) AS parts_gross_margin,
        labor_revenue,
        labor_hours,
        labor_revenue / nullif(labor_hours, 0) AS effective_labor_rate,
        warranty_gross,
        1 - CAST(coalesce({ftf}.comebacks, 0) AS DOUBLE) / nullif(coalesce({ftf}.ftf_base, 0), 0)
            AS first_time_fix_rate,
        open_ros"""


def revenue_by_store(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store"
) -> pd.DataFrame:
    """Return service_revenue per store as targets' actuals (store, consultant=None, actual).

    Repair orders carry no consultant, so a per-consultant request gets the store rows too.
    """
    df = _ro_figures(con, scope, ("store",), with_ftf=False)
    out = df[["store", "service_revenue"]].rename(columns={"service_revenue": "actual"})
    out.insert(1, "consultant", None)
    return out.reset_index(drop=True)


def money(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return the RO money KPIs of summary() (revenue, gross, margins), without the rest.

    The numbers are summary()'s (one query); finance reads service_gross from here.
    """
    row = _ro_records(con, scope, with_ftf=False)[0]
    return {k: query.plain(row[k]) for k in MONEY_IDS}


MONEY_IDS = (
    "service_revenue",
    "avg_ro_value",
    "service_gross",
    "service_gross_margin",
    "parts_gross_margin",
    "effective_labor_rate",
    "warranty_gross",
)


def _grouped_key(key: str, grouped: bool, total: bool) -> tuple[str, str]:
    """Return (select expression, GROUP BY clause) for a one-key grouping, with the total."""
    if not grouped:
        return "''", ""
    if total:
        return f"coalesce({key}, {TOTAL_SQL})", f"GROUP BY GROUPING SETS (({key}), ())"
    return key, "GROUP BY 1"


# The roster's sums per group (_roster, _rosters).
_ROSTER_SUMS = """coalesce(sum(t.available_hours), 0) AS available_hours,
           coalesce(sum(t.clocked_hours), 0) AS clocked_hours,
           coalesce(sum(t.training_required), 0) AS training_required,
           coalesce(sum(t.training_passed), 0) AS training_passed,
           count(DISTINCT (t.store, t.technician)) AS technicians"""


def _roster(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None = None, total: bool = False
) -> list[dict[str, Any]]:
    """Return the roster sums over every calendar month the period touches, per group."""
    key, group = _grouped_key(group_key("t", by), bool(by), total)
    sql = f"""
    SELECT {key} AS grp, {_ROSTER_SUMS}
    FROM technicians t
    WHERE {ROSTER_FILTER}
    {group}
    """
    return query.records(con, sql, _params(scope))


def _rosters(con: duckdb.DuckDBPyConnection, scopes: list[Scope]) -> list[dict[str, Any]]:
    """Return _roster() pooled for each scope (same stores and filters), in one query: the
    roster rows joined with the periods' months. A period without a roster row gets {} (its
    sums and count 0, as _roster() gives them)."""
    params: dict[str, Any] = {"store": scopes[0].store, "technician": scopes[0].technician}
    rows = []
    for i, one in enumerate(scopes):
        p = _params(one)
        params |= {f"f{i}": p["m_first"], f"l{i}": p["m_last"]}
        rows.append(f"({i}, $f{i}, $l{i})")
    sql = f"""
    WITH periods (i, m_first, m_last) AS (VALUES {", ".join(rows)})
    SELECT p.i AS grp, {_ROSTER_SUMS}
    FROM technicians t
    JOIN periods p ON t.month BETWEEN p.m_first AND p.m_last
    WHERE {store_clause("t")} AND {filter_clause("t.technician", "technician")}
    GROUP BY p.i
    """
    found = {row["grp"]: row for row in query.records(con, sql, params)}
    return [found.get(i, {}) for i in range(len(scopes))]


# Both paths end in the same KPI formulas (service_store_level_kpis.sql, at {kpis}).
_STORE_LEVEL_KPIS = query.sql_file("service_store_level_kpis")
_STORE_LEVEL_SQL = query.sql_file("service_store_level").replace("{kpis}", _STORE_LEVEL_KPIS)
_CHURN_SQL = query.sql_file("service_churn")
_SUMMARY_STORE_LEVEL_SQL = query.sql_file("service_store_level_summary").replace(
    "{kpis}", _STORE_LEVEL_KPIS
)
_SUMMARY_CHURN_SQL = query.sql_file("service_churn_summary")
# The churn CTE when the caller gets the rate elsewhere: no rows, the columns it would have.
_NO_CHURN = (
    "SELECT NULL::VARCHAR AS grp, 0 AS churn_base, 0 AS churned, NULL::DATE AS "
    "first_open WHERE false"
)


def _level_groups(by: str | None, total: bool) -> dict[str, str]:
    """Return the group key and GROUP BY of each CTE of service_store_level.sql.

    Pooled without ``by`` (grp ''); per group with it; ``total`` adds the pooled row, its key
    TOTAL_KEY (GROUPING SETS).
    """
    rkey, pkey = group_key("r", by), group_key("p", by)
    if not by:
        return {
            "rkey": rkey,
            "grp": "'' AS grp",
            "group": "",
            "month_grp": f"{pkey} AS grp",
            "month_group": "GROUP BY 1, 2",
            "snap_grp": f"{pkey} AS grp",
            "snap_group": "",
            "turn_grp": "'' AS grp",
            "turn_group": "",
        }
    if not total:
        return {
            "rkey": rkey,
            "grp": "grp",
            "group": "GROUP BY grp",
            "month_grp": f"{pkey} AS grp",
            "month_group": "GROUP BY 1, 2",
            "snap_grp": f"{pkey} AS grp",
            "snap_group": "GROUP BY 1",
            "turn_grp": "grp",
            "turn_group": "GROUP BY grp",
        }
    return {
        "rkey": rkey,
        "grp": f"coalesce(grp, {TOTAL_SQL}) AS grp",
        "group": "GROUP BY GROUPING SETS ((grp), ())",
        "month_grp": f"coalesce({pkey}, {TOTAL_SQL}) AS grp",
        "month_group": f"GROUP BY GROUPING SETS (({pkey}, p.month), (p.month))",
        "snap_grp": f"coalesce({pkey}, {TOTAL_SQL}) AS grp",
        "snap_group": f"GROUP BY GROUPING SETS (({pkey}), ())",
        "turn_grp": "grp",
        "turn_group": "GROUP BY grp",
    }


def _store_level(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    by: str | None = None,
    total: bool = False,
    churn: bool = True,
) -> list[dict[str, Any]]:
    """Return the parts KPIs and the churn rate (store level: advisor/technician ignored).

    Pooled (one row, grp '') or per group (``total``: plus the pooled row, grp TOTAL_KEY). A
    group's parts turnover averages its monthly stock values summed over its stores.
    ``churn=False`` leaves customer_churn_rate out (None) for callers that get it from
    _churn_rates, and skips the 24 months of visits it needs.
    """
    grouping = _level_groups(by, total)
    if query.summaries_allowed(scope):
        filters = {"ro_store_filter": store_clause("r")}
        churn_sql = _SUMMARY_CHURN_SQL.format(**grouping, **filters)
        sql = _SUMMARY_STORE_LEVEL_SQL.format(
            **grouping,
            **filters,
            churn=churn_sql if churn else _NO_CHURN,
            parts_store_filter=store_clause("p"),
        )
        return query.records(con, sql, _params(scope))
    filters = {"ro_store_filter": RO_STORE_FILTER}
    sql = _STORE_LEVEL_SQL.format(
        **grouping,
        **filters,
        visits_window="r.open_date > $churn_base OR " if churn else "",
        churn=_CHURN_SQL.format(**grouping, **filters) if churn else _NO_CHURN,
        parts_store_filter=store_clause("p"),
        latest_snapshots=LATEST_SNAPSHOTS,
        obsolete=OBSOLETE,
    )
    return query.records(con, sql, _params(scope))


def _kpis(ro: dict, roster: dict, store_level: dict) -> dict[str, float | int | None]:
    """Return the section's KPIs from one group's RO figures, roster sums and store level."""
    out = {k: ro.get(k) for k in RO_COLUMNS if k in SUMMARY_IDS}
    for k in ("ro_count", "open_ros"):
        out[k] = int(out[k] or 0)
    for k in ("service_revenue", "service_gross", "warranty_gross"):
        out[k] = query.plain(out[k]) or 0.0
    labor_revenue = query.plain(ro.get("labor_revenue")) or 0.0
    labor_hours = query.plain(ro.get("labor_hours")) or 0.0
    r = {k: query.plain(roster.get(k)) or 0 for k in ROSTER_FIELDS}
    out.update(
        revenue_per_technician=_ratio(labor_revenue, r["technicians"]),
        tech_productivity=_ratio(r["clocked_hours"], r["available_hours"]),
        tech_efficiency=_ratio(labor_hours, r["clocked_hours"]),
        tech_proficiency=_ratio(labor_hours, r["available_hours"]),
        training_compliance=_ratio(r["training_passed"], r["training_required"]),
        **{k: store_level.get(k) for k in STORE_LEVEL_IDS},
    )
    return {k: query.plain(out[k]) for k in SUMMARY_IDS}


ROSTER_FIELDS = (
    "available_hours",
    "clocked_hours",
    "training_required",
    "training_passed",
    "technicians",
)
STORE_LEVEL_IDS = (
    "parts_turnover",
    "parts_months_supply",
    "obsolete_parts_value",
    "customer_churn_rate",
)


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return every scalar after-sales KPI for the scope, keyed by catalogue id.

    Zero denominators give None; sums and counts over nothing are 0.
    """
    return summaries(con, scope, (0,))[0]


def summaries(
    con: duckdb.DuckDBPyConnection, scope: Scope, shifts: tuple[int, ...] = (0, -1, -12)
) -> list[dict[str, float | int | None]]:
    """Return summary() of the scope shifted by each number of months (Scope.shifted).

    The default gives this period, the previous one and last year's, as the KPI cards show
    them. The churn of every period comes from one pass over the visits (the costly part:
    each VIN's latest visit over 24 months of repair orders); the rest is cheap per period.
    """
    scopes = [scope.shifted(n) if n else scope for n in shifts]
    churn = _churn_rates(con, scopes)
    ros = _ro_periods(con, scopes)
    levels = _store_levels(con, scopes)
    rosters = _rosters(con, scopes)
    out = []
    for rate, ro, level, roster in zip(churn, ros, levels, rosters, strict=True):
        out.append(_kpis(ro, roster, {**level, "customer_churn_rate": rate}))
    return out


def _ro_periods(con: duckdb.DuckDBPyConnection, scopes: list[Scope]) -> list[dict[str, Any]]:
    """Return _ro_records() pooled for each scope (same stores and filters).

    From summary_service_days, every period in one query (service_ro_periods_summary.sql)
    instead of one per period, each of which read every day of the stores' history for its
    open ROs. Inside raw_rows() or with an advisor or technician filter, one _ro_records()
    per scope.
    """
    if not _ro_from_summary(scopes[0], (), None):
        return [_ro_records(con, one)[0] for one in scopes]
    params: dict[str, Any] = {"store": scopes[0].store, "ro_type": scopes[0].ro_type}
    rows, any_day, opens, open_of = [], [], [], []
    for i, one in enumerate(scopes):
        params |= {f"s{i}": one.params["start"], f"e{i}": one.params["end"], f"a{i}": one.as_of}
        rows.append(f"({i}, $s{i}, $e{i})")
        any_day.append(f"s.day BETWEEN $s{i} AND $e{i}")
        opens.append(f"sum(s.ro_count - s.settled) FILTER (s.day <= $a{i}) AS open{i}")
        open_of.append(f"WHEN {i} THEN o.open{i}")
    sql = _RO_PERIODS_SQL.format(
        periods=", ".join(rows),
        days_filter=DAYS_FILTER,
        any_day=" OR ".join(any_day),
        opens=", ".join(opens),
        open_ros=f"CASE p.i {' '.join(open_of)} END",
        kpis=_ro_kpis("a"),
    )
    return query.records(con, sql, params)


_RO_PERIODS_SQL = query.sql_file("service_ro_periods_summary")


def _store_levels(con: duckdb.DuckDBPyConnection, scopes: list[Scope]) -> list[dict[str, Any]]:
    """Return _store_level() pooled without the churn rate for each scope (same stores).

    From the summary tables, every period in one query (service_store_level_periods_summary
    .sql, its CTEs keyed by the period instead of ''); inside raw_rows(), one per scope. A
    period with no figure at all gets {} (every KPI None, as _store_level() gives it).
    """
    if not query.summaries_allowed(scopes[0]):
        return [_store_level(con, one, churn=False)[0] for one in scopes]
    params: dict[str, Any] = {"store": scopes[0].store}
    rows, windows = [], []
    for i, one in enumerate(scopes):
        p = _params(one)
        names = ("as_of", "year_ago", "s3_start", "s3_end", "pt_lo", "pt_hi", "as_of_month")
        params |= {f"{name}{i}": p[name] for name in names}
        params["churn_cut"] = p["churn_cut"]  # the KPIs' tail names it; no churn rows here
        rows.append(f"({i}, {', '.join(f'${name}{i}' for name in names)})")
        windows.append(f"r.day > $year_ago{i} OR r.day BETWEEN $s3_start{i} AND $s3_end{i}")
    sql = _STORE_LEVEL_PERIODS_SQL.format(
        periods=", ".join(rows),
        ro_store_filter=store_clause("r"),
        any_window=" OR ".join(windows),
        parts_store_filter=store_clause("s"),
        kpis=_STORE_LEVEL_KPIS,
    )
    found = {row["grp"]: row for row in query.records(con, sql, params)}
    return [found.get(i, {}) for i in range(len(scopes))]


_STORE_LEVEL_PERIODS_SQL = query.sql_file("service_store_level_periods_summary")


def _churn_rates(con: duckdb.DuckDBPyConnection, scopes: list[Scope]) -> list[float | None]:
    """Return customer_churn_rate for each scope (same stores), all from one pass.

    Per (store, VIN), its latest non-internal visit within each scope's 24 months to as_of;
    churned when that visit is more than 12 months before as_of. Store level: the advisor
    and technician filters do not apply.
    """
    if query.summaries_allowed(scopes[0]):
        return _churn_rates_summary(con, scopes)
    params: dict[str, Any] = {"store": scopes[0].store}
    lasts, counts = [], []
    for i, one in enumerate(scopes):
        p = _params(one)
        params |= {f"a{i}": one.as_of, f"b{i}": p["churn_base"], f"c{i}": p["churn_cut"]}
        lasts.append(
            f"max(r.open_date) FILTER (WHERE r.open_date > $b{i} AND r.open_date <= $a{i}) AS l{i}"
        )
        counts.append(f"count(l{i}) AS base{i}, count(*) FILTER (WHERE l{i} < $c{i}) AS out{i}")
    params |= {
        "lo": min(params[f"b{i}"] for i in range(len(scopes))),
        "hi": max(params[f"a{i}"] for i in range(len(scopes))),
    }
    sql = f"""
    WITH visits AS (
        SELECT {", ".join(lasts)}
        FROM repair_orders r
        WHERE {VISIT} AND {store_clause("r")} AND r.open_date > $lo AND r.open_date <= $hi
        GROUP BY r.store, r.vin
    )
    SELECT {", ".join(counts)} FROM visits
    """
    row = query.rows(con, sql, params)[0]
    # With no visit before a scope's cut nobody can have been lost yet: no value, not 0.
    first_sql = f"""
    SELECT min(r.open_date) FROM repair_orders r
    WHERE {VISIT} AND {store_clause("r")} AND r.open_date <= $hi
    """
    first = query.rows(con, first_sql, params)[0][0]
    return [
        _ratio(row[2 * i + 1], row[2 * i])
        if first is not None and first < params[f"c{i}"]
        else None
        for i in range(len(scopes))
    ]


def _churn_rates_summary(con: duckdb.DuckDBPyConnection, scopes: list[Scope]) -> list[float | None]:
    """Return _churn_rates() from summary_service_churn: the counts on each as_of are the
    sums of the changes up to it (service_churn_summary.sql's, pooled)."""
    params: dict[str, Any] = {"store": scopes[0].store}
    counts = []
    for i, one in enumerate(scopes):
        params |= {f"a{i}": one.as_of, f"c{i}": _params(one)["churn_cut"]}
        counts.append(
            f"coalesce(sum(base_delta) FILTER (WHERE day <= $a{i}), 0) AS base{i}, "
            f"coalesce(sum(kept_delta) FILTER (WHERE day <= $a{i}), 0) AS kept{i}"
        )
    params["hi"] = max(one.as_of for one in scopes)
    sql = f"""
    SELECT {", ".join(counts)}, min(day) FILTER (WHERE first_visits > 0) AS first_open
    FROM summary_service_churn s
    WHERE {store_clause("s")} AND s.day <= $hi
    """
    row = query.rows(con, sql, params)[0]
    first = row[-1]
    # With no visit before a scope's cut nobody can have been lost yet: no value, not 0.
    return [
        _ratio(row[2 * i] - row[2 * i + 1], row[2 * i])
        if first is not None and first < params[f"c{i}"]
        else None
        for i in range(len(scopes))
    ]


def by_store(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store", total: bool = False
) -> pd.DataFrame:
    """Return every summary KPI per store (or per brand / region), one grouped pass per source.

    Every group of the stores table in scope appears ('' for stores without a brand or
    region), with zeros and None where it has no rows. ``total`` adds a last row, ``by``
    None, equal to summary() (from the same passes). Columns: ``by``, then SUMMARY_IDS.
    """

    import pandas as pd

    def indexed(records: list[dict[str, Any]], key: str) -> dict[str, dict]:
        return {row[key]: row for row in records}

    ro = indexed(_ro_records(con, scope, by=by, total=total), by)
    roster = indexed(_roster(con, scope, by, total), "grp")
    level = indexed(_store_level(con, scope, by, total), "grp")
    keys = sorted((set(groups(con, scope, by)) | set(ro) | set(roster) | set(level)) - {TOTAL_KEY})
    keys += [TOTAL_KEY] if total else []
    rows = [
        {
            by: None if k == TOTAL_KEY else k,
            **_kpis(ro.get(k, {}), roster.get(k, {}), level.get(k, {})),
        }
        for k in keys
    ]
    return _nan_to_none(pd.DataFrame(rows, columns=[by, *SUMMARY_IDS]))


def first_time_fix_rate(con: duckdb.DuckDBPyConnection, scope: Scope) -> float | None:
    """Return 1 - comebacks / repair and warranty ROs opened (a thin reader of summary)."""
    return summary(con, scope)["first_time_fix_rate"]


def by_ro_type(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the repair-order KPIs per ro_type (stores pooled), highest revenue first."""
    return _nan_to_none(_ro_figures(con, scope, ("ro_type",)))


def by_advisor(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the repair-order KPIs per service advisor and store, highest revenue first."""
    return _nan_to_none(_ro_figures(con, scope, ("advisor", "store")))


def by_technician(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return roster hours, labour hours sold and the technician ratios per (technician, store).

    The roster covers every month the period touches; labour is that of ROs closed in the
    period with the technician as main technician.
    """
    return _technicians(con, scope, by_month=False)


def _technicians(con: duckdb.DuckDBPyConnection, scope: Scope, by_month: bool) -> pd.DataFrame:
    """Return by_technician()'s rows for the scope, or per calendar month of it (``month``).

    Per month, the roster rows are those of the month and the labour that of ROs closed in
    it: each month computed like by_technician() for that month, all months in one pass.
    """
    sql = _technicians_sql(by_month, totals=False)
    params = _params(scope) | _whole_months(con, scope)
    order = "month, labor_hours_sold DESC, store, technician"
    frame = query.frame(con, f"{sql} ORDER BY {order}", params)
    columns = (["month"] if by_month else []) + list(TECHNICIAN_COLUMNS)
    return _nan_to_none(frame[columns])


def _technicians_sql(by_month: bool, totals: bool) -> str:
    """Return service_technicians.sql per technician, per month, or both (``totals``: the
    whole scope's rows too, month '')."""
    return _TECHNICIANS_SQL.format(
        **_technician_groups(by_month, totals),
        roster_filter=ROSTER_FILTER,
        labour_rows=_LABOUR_ROWS,
    )


def _technician_groups(by_month: bool, totals: bool) -> dict[str, str]:
    """Return the month key and GROUP BY of the roster (t) and the labour (r) in
    service_technicians.sql: per technician, per month, or both (``totals``, month NULL)."""
    month_t = "coalesce(t.month, '')" if by_month else "''"
    mth = "r.close_month" if by_month else "NULL::DATE"
    if not by_month:
        t_group, r_group = "GROUP BY t.store, t.technician", "GROUP BY r.store, r.technician"
    elif totals:
        t_group = (
            "GROUP BY GROUPING SETS ((t.month, t.store, t.technician), (t.store, t.technician))"
        )
        r_group = "GROUP BY GROUPING SETS ((mth, r.store, r.technician), (r.store, r.technician))"
    else:
        t_group = "GROUP BY t.month, t.store, t.technician"
        r_group = "GROUP BY mth, r.store, r.technician"
    return {"month_t": month_t, "mth": mth, "t_group": t_group, "r_group": r_group}


# summary_service_tech_months r in scope: its technician and ro_type keys take those filters.
TECH_MONTHS_FILTER = " AND ".join(
    (
        store_clause("r"),
        filter_clause("r.technician", "technician"),
        filter_clause("r.ro_type", "ro_type"),
    )
)


# The labour of the ROs closed in the period by close month: the whole calendar months from
# summary_service_tech_months, the days around them from the ROs (see the file).
_LABOUR_ROWS = query.sql_file("service_technician_labour").format(
    tech_months_filter=TECH_MONTHS_FILTER, ro_filter=RO_FILTER
)
_TECHNICIANS_SQL = query.sql_file("service_technicians")


def _whole_months(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, date]:
    """Return the whole calendar months of the period up to as_of ($w_first to $w_last, first
    days) and the days before and after them; none when the ROs must be read (an advisor
    filter, raw_rows()): then every day is a head day.

    as_of's month counts as whole when the period holds its first day and no RO of the
    scope's stores closed after as_of in it (_closed_after): its labour up to as_of is then
    the whole month's, which summary_service_tech_months holds (the running month).
    """
    first = scope.start if scope.start.day == 1 else add_months(scope.start.replace(day=1), 1)
    upto = scope.upto
    allowed = query.summaries_allowed(scope, ("advisor",))
    last = upto.replace(day=1) if upto == month_end(upto) else add_months(upto.replace(day=1), -1)
    if allowed and first <= upto.replace(day=1) and upto < month_end(upto):
        if not _closed_after(con, scope.store, upto):
            last = upto.replace(day=1)
    if first > last or not allowed:
        return {
            "w_first": date(9999, 12, 1),
            "w_last": date(1, 1, 1),
            "head_end": upto,
            "tail_start": date(9999, 12, 31),
        }
    return {
        "w_first": first,
        "w_last": last,
        "head_end": first - timedelta(days=1),
        "tail_start": month_end(last) + timedelta(days=1),
    }


def _closed_after(con: duckdb.DuckDBPyConnection, store: str | None, day: date) -> bool:
    """Return True when a non-internal RO of the store (None: any) closed after ``day`` in
    its month (summary_service_days: the closed ROs by close day)."""
    sql = f"""
    SELECT count(*) FROM summary_service_days s
    WHERE {store_clause("s")} AND s.day BETWEEN $after AND $month_end AND s.closed_ro_count > 0
    """
    params = {"store": store, "after": day + timedelta(days=1), "month_end": month_end(day)}
    return query.rows(con, sql, params)[0][0] > 0


def technician_monthly(
    con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 12
) -> pd.DataFrame:
    """Return by_technician() for each trailing calendar month ending with as_of's month.

    One pass for all the months: roster rows keyed by their month, ROs by the month they
    closed in; a month where nobody was on the roster or closed an RO has no rows.
    """
    firsts = trailing_months(scope, months)
    span = replace(scope, start=firsts[0], end=month_end(firsts[-1]))
    return _technicians(con, span, by_month=True)


RANKABLE = ("tech_productivity", "tech_efficiency", "tech_proficiency", "training_compliance")


def technician_trend(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    metric: str = "tech_productivity",
    months: int = 12,
) -> pd.DataFrame:
    """Return every technician ranked by ``metric`` over technician_monthly()'s months.

    Columns: rank, technician, store, ``metric`` over all the months (from their summed
    hours, like by_technician() for the whole span), then one column per month ('YYYY-MM',
    oldest first) with that month's value as in technician_monthly(). Best first: rank 1 is
    the highest value; technicians without one (nothing to divide by) come last, rank None.
    Ties go by store, then technician. ``metric`` is one of RANKABLE.
    """

    if metric not in RANKABLE:
        raise ValueError(f"rank_by must be one of {', '.join(RANKABLE)}, not {metric!r}")
    firsts = trailing_months(scope, months)
    span = replace(scope, start=firsts[0], end=month_end(firsts[-1]))
    texts = [_month_text(f) for f in firsts]
    # technician_monthly()'s rows with the whole span's (month ''), pivoted in SQL: one row
    # per technician and store, the span's value and one column per month (m0, m1, ...).
    rows = _technicians_sql(by_month=True, totals=True)
    per_month = "".join(
        f", max({metric}) FILTER (WHERE month = $m{j}) AS m{j}" for j in range(len(texts))
    )
    within = "total DESC NULLS LAST, store, technician"
    sql = f"""
    SELECT CASE WHEN total IS NOT NULL THEN row_number() OVER (ORDER BY {within}) END AS rank,
           technician, store, total{"".join(f", m{j}" for j in range(len(texts)))}
    FROM (
        SELECT technician, store, max({metric}) FILTER (WHERE month = '') AS total{per_month}
        FROM ({rows})
        GROUP BY store, technician
    )
    ORDER BY {within}
    """
    params = _params(span) | _whole_months(con, span) | {f"m{j}": t for j, t in enumerate(texts)}
    frame = query.frame(con, sql, params)
    frame["rank"] = frame["rank"].astype(object).where(frame["rank"].notna(), None)
    frame.columns = ["rank", "technician", "store", metric, *texts]
    return _nan_to_none(frame)


MONTHLY_IDS = (
    "ro_count",
    "service_revenue",
    "service_gross",
    "service_gross_margin",
    "first_time_fix_rate",
)


def monthly(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13) -> pd.DataFrame:
    """Return ro_count, revenue, gross, margin and first-time fix per trailing calendar month.

    Each month is computed like summary() for that month; the last is as_of's month. One
    query for all the months: the span's ROs keyed by the month they opened (ro_count) and
    closed (revenue, gross), and the repair and warranty ROs opened in it by their open
    month with their comeback flags (first-time fix).
    """
    import pandas as pd

    firsts = trailing_months(scope, months)
    span = replace(scope, start=firsts[0], end=month_end(firsts[-1]))
    sql = _MONTHLY_SQL
    if query.summaries_allowed(scope, SUMMARY_FILTERS):
        sql = _SUMMARY_MONTHLY_SQL
    found = {row["m"]: row for row in query.records(con, sql, _params(span))}
    rows = []
    for first in firsts:
        got = found.get(first.year * 100 + first.month, {})
        rows.append(
            {
                "month": _month_text(first),
                "ro_count": int(got.get("ro_count") or 0),
                "service_revenue": float(got.get("service_revenue") or 0.0),
                "service_gross": float(got.get("service_gross") or 0.0),
                "service_gross_margin": query.plain(got.get("service_gross_margin")),
                "first_time_fix_rate": query.plain(got.get("first_time_fix_rate")),
            }
        )
    return _nan_to_none(pd.DataFrame(rows, columns=["month", *MONTHLY_IDS]))


_MONTHLY_SQL = query.sql_file("service_monthly").format(ro_filter=RO_FILTER, gross=_GROSS)
_SUMMARY_MONTHLY_SQL = query.sql_file("service_monthly_summary").format(days_filter=DAYS_FILTER)


def open_ro_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the ROs open on as_of (opened on or before it, not closed by it), oldest first."""
    sql = f"""
    SELECT r.ro_id, r.store, r.open_date, r.vin, r.customer_id, r.ro_type, r.advisor,
           r.technician, $as_of - r.open_date AS age_days
    FROM repair_orders r
    WHERE {RO_FILTER}
      AND r.open_date <= $as_of AND (r.close_date IS NULL OR r.close_date > $as_of)
    ORDER BY r.open_date, r.store, r.ro_id
    """
    return query.frame(con, sql, _params(scope))


def obsolete_parts(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the obsolete parts of each store's latest snapshot at or before as_of's month.

    A part is obsolete when its last_movement_date is more than 180 days before its snapshot
    month's last day; days_since_movement counts from that day. Highest value first.
    """
    sql = f"""
    WITH latest AS (
        SELECT p.store, max(p.month) AS month
        FROM parts_stock p
        WHERE {store_clause("p")} AND p.month <= $as_of_month
        GROUP BY p.store
    )
    SELECT p.store, p.month AS snapshot_month, p.part_no, p.qty, p.unit_cost,
           p.qty * p.unit_cost AS value_cny, p.last_movement_date,
           {_SNAPSHOT_END} - p.last_movement_date AS days_since_movement
    FROM parts_stock p
    JOIN latest l ON l.store = p.store AND l.month = p.month
    WHERE {OBSOLETE}
    ORDER BY value_cny DESC, p.store, p.part_no
    """
    return query.frame(con, sql, _params(scope))


def tables(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict[str, Any]]:
    """Return the table KPIs for the report: ROs opened and revenue per ro_type."""
    # Counts and revenue only: the first-time-fix comebacks are not needed here.
    rows = _ro_records(con, scope, ("ro_type",), with_ftf=False)
    return {
        "ro_count_by_ro_type": {str(r["ro_type"]): int(r["ro_count"]) for r in rows},
        "service_revenue_by_ro_type": {
            str(r["ro_type"]): float(r["service_revenue"]) for r in rows
        },
    }
