"""Customer KPIs (客户): open leads and follow-up discipline, return visits, CSI, NPS, complaints.

Leads (KPI-CATALOGUE.md, "Customers"), per store and customer_id (rows without a customer_id
are anonymous and are no lead):
- the latest known level is the lead_level of the customer's latest row dated on or before
  as_of among traffic rows (walk-in and phone) and followups (any kind) that carry a level;
  rows are ordered by date, then a followup after a traffic row of the same day, then by id
  (of two rows of one kind on one day, the one with the greater id is the later);
- the lead is open when that level is O, H, A, B or C and the customer has no non-cancelled
  order dated on or before as_of;
- last contact is the date of the latest traffic row or followup of any kind on or before
  as_of, and the lead's consultant is the consultant of that row (same ordering);
- overdue when last contact < as_of − cadence[level] days (exactly N days ago is on time).
Cadence: the catalogue's defaults, overridden per store by the JSON of ``stores.cadence``.

Filters: the consultant filter applies to leads (the lead's consultant) and to return visits
(see ``summary``); the advisor and technician filters apply to the repair orders of
return_visit_rate. Surveys and complaints carry no person, so no filter applies to them; the
model and channel filters are ignored in this module.

Summary tables (warehouse.summary_customers, issue 15): return visits, surveys and complaints
are summed from per store-day tables, and the open and overdue lead counts from per store-day
changes, unless a filter that needs the rows is set (consultant; advisor or technician for
return visits), a store in scope overrides its cadence (leads), or inside query.raw_rows().
The lists of leads (open, overdue, counts per consultant) read the exact lead book,
summary_lead_book (warehouse.summary_leads: each state's level, consultant and first order),
with any filter; inside query.raw_rows() they read derived_lead_months and look up the rows.
The complaints list reads the rows.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

import duckdb

from kpi import query
from kpi.catalogue import DEFAULT_CADENCE, cadence_for, summary_ids
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
from warehouse.leadbook import level_code, level_decode, maybe_open
from warehouse.summary_customers import (
    DELIVERED,
    DETRACTOR,
    LAGS,
    LEAD_CADENCE_DAYS,
    PROMOTER,
    RETURN_VISIT,
    RETURN_VISIT_WINDOW_DAYS,
    SALES_SURVEY,
    SERVED_RO,
    SERVICE_SURVEY,
)

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset(
    {
        "complaints",
        "followups",
        "orders",
        "repair_orders",
        "stores",
        "surveys",
        "traffic",
    }
)

if TYPE_CHECKING:
    import pandas as pd

# The filters that need the rows: return visits keep no consultant, advisor or technician.
ROW_FILTERS = ("consultant", "advisor", "technician")
# The surveys (v) and complaints (c) the CSI, NPS and complaint KPIs read (kpi.drill lists them).
SURVEYS_IN_PERIOD = f"v.survey_date BETWEEN $start AND $end AND {store_clause('v')}"
COMPLAINTS_CLOSED = f"c.closed_date BETWEEN $start AND $end AND {store_clause('c')}"
# CSI per department and NPS over a period's surveys (rows or, below, their summary).
_SURVEY_KPIS = f"""
           avg(score) FILTER (WHERE {SALES_SURVEY}) * 10 AS csi_sales,
           avg(score) FILTER (WHERE {SERVICE_SURVEY}) * 10 AS csi_service,
           100.0 * (count(*) FILTER (WHERE {PROMOTER}) - count(*) FILTER (WHERE {DETRACTOR}))
               / nullif(count(recommend), 0) AS nps"""

# The same from the summary tables (warehouse.summary_customers), where no row filter is set:
# sums of the stored counts and sums ({key} the group, {group} its GROUP BY; counts cast back
# to BIGINT so the arithmetic is the raw query's).


def _followed(horizon: str) -> str:
    """Return SQL summing the served events of summary_customer_visits (s) followed by a
    return visit on or before ``horizon``: those whose first one came n days after, n <= 7."""
    terms = " + ".join(f"s.lag{n} * CAST(s.day + {n} <= {horizon} AS INTEGER)" for n in LAGS)
    return f"CAST(coalesce(sum({terms}), 0) AS BIGINT)"


_VISITS_SUMMED = f"""
    SELECT {{key}}, {_followed("$horizon")},
           CAST(coalesce(sum(s.served), 0) AS BIGINT)
    FROM summary_customer_visits s
    WHERE s.day BETWEEN $start AND $end AND {store_clause("s")}
    {{group}}
"""
_SURVEYS_FROM_SUMS = """
           sum(s.sales_score_sum) / nullif(CAST(sum(s.sales_scores) AS BIGINT), 0) * 10,
           sum(s.service_score_sum) / nullif(CAST(sum(s.service_scores) AS BIGINT), 0) * 10,
           100.0 * (CAST(sum(s.promoters) AS BIGINT) - CAST(sum(s.detractors) AS BIGINT))
               / nullif(CAST(sum(s.recommends) AS BIGINT), 0)"""
_SURVEYS_SUMMED = f"""
    SELECT {{key}}, {_SURVEYS_FROM_SUMS}
    FROM summary_customer_surveys s
    WHERE s.day BETWEEN $start AND $end AND {store_clause("s")}
    {{group}}
"""
_COMPLAINTS_FROM_SUMS = """
           CAST(sum(s.satisfied) AS DOUBLE) / nullif(CAST(sum(s.answered) AS BIGINT), 0),
           CAST(sum(s.close_days_sum) AS DOUBLE) / nullif(CAST(sum(s.close_days_n) AS BIGINT), 0)"""
_COMPLAINTS_SUMMED = f"""
    SELECT {{key}}, {_COMPLAINTS_FROM_SUMS}
    FROM summary_customer_complaints s
    WHERE s.day BETWEEN $start AND $end AND {store_clause("s")}
    {{group}}
"""


def parse_cadence(text: str | None) -> dict[str, int]:
    """Return a store's effective cadence from its settings JSON, e.g. '{"H": 3}'.

    The catalogue's defaults with the overrides applied (kpi.catalogue.cadence_for: unknown
    levels and unusable values are ignored); empty or unreadable JSON gives the defaults.
    """
    try:
        data = json.loads(text) if text else {}
    except (TypeError, ValueError):
        data = {}
    return cadence_for(data if isinstance(data, dict) else {})


def store_cadence(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Return each store's effective follow-up cadence (defaults with its overrides)."""
    rows = con.execute("SELECT store, cadence FROM stores").fetchall()
    return {store: parse_cadence(text) for store, text in rows}


def _cadence_params(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Return the cadence as parallel lists bound into SQL (stores' rows, then the defaults)."""
    stores, levels, days = [], [], []
    for store, cadence in store_cadence(con).items():
        for level, n in cadence.items():
            stores.append(store)
            levels.append(level)
            days.append(n)
    return {
        "cad_store": stores or [""],
        "cad_level": levels or [""],
        "cad_days": days or [0],
        "def_level": list(DEFAULT_CADENCE),
        "def_days": list(DEFAULT_CADENCE.values()),
    }


def _contacts(name: str, where: str = "true") -> str:
    """Return a CTE of every traffic row and followup of a customer, kept where ``where`` holds.

    ``where`` is a condition on the CTE's columns (DuckDB pushes it into both scans). ``k``
    orders a customer's rows: by date, and on the same day a followup (source 1) after a
    visit (source 0); rows that share a k are told apart by their id (the greater is later).
    """
    return f"""{name} AS (
    SELECT * FROM (
        SELECT store, customer_id, visit_date AS contact_date,
               (visit_date - DATE '1970-01-01') * 2 AS k, visit_id AS row_id,
               consultant, nullif(lead_level, '') AS lead_level
        FROM traffic
        WHERE customer_id IS NOT NULL AND {store_clause()}
        UNION ALL
        SELECT store, customer_id, followup_date, (followup_date - DATE '1970-01-01') * 2 + 1,
               followup_id, consultant, nullif(lead_level, '')
        FROM followups
        WHERE customer_id IS NOT NULL AND {store_clause()}
    )
    WHERE {where}
)"""


def _months_done(con: duckdb.DuckDBPyConnection, scope: Scope, as_ofs: list[date]) -> set[date]:
    """Return the dates among ``as_ofs`` after which their month has no contact yet.

    The stored state after such a month is the state as of the date (usually today: the data
    ends there), so no contact needs reading. Only the scope's store counts.
    """
    mids = sorted({a for a in as_ofs if a != month_end(a)})
    if not mids:
        return set()
    params: dict[str, Any] = {"store": scope.store}
    for n, a in enumerate(mids):
        params |= {f"after{n}": a + timedelta(days=1), f"end{n}": month_end(a)}
    later = " OR ".join(f"contact_date BETWEEN $after{n} AND $end{n}" for n in range(len(mids)))
    sql = f"""
    WITH {_contacts("later", f"({later})")}
    SELECT DISTINCT year(contact_date) * 12 + month(contact_date) FROM later
    """
    busy = {m for (m,) in query.rows(con, sql, params)}
    return {a for a in mids if a.year * 12 + a.month not in busy}


def _leads_summed(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    """Return True when the open and overdue lead counts may come from summary_customer_leads.

    The summary counts every lead with the default cadence: not with a consultant filter
    (leads per consultant need the rows), nor when a store in scope overrides its cadence.
    """
    if not query.summaries_allowed(scope, ("consultant",)):
        return False
    if dict(LEAD_CADENCE_DAYS) != DEFAULT_CADENCE:
        return False
    sql = f"SELECT count(*) FROM stores WHERE coalesce(cadence, '') <> '' AND {store_clause()}"
    return query.rows(con, sql, scope.params)[0][0] == 0


_LEAD_STATE_SQL = query.sql_file("customers_lead_state")
_OPEN_LEADS_SQL = query.sql_file("customers_open_leads")
_LEAD_BOOK_SQL = query.sql_file("customers_lead_book")


def _to_resolve(with_consultant: bool) -> str:
    """Return the condition on the candidates whose exact latest row is looked up.

    All of them when the consultant is wanted, else those whose level the integer keys leave
    open (level_fast NULL).
    """
    return "true" if with_consultant else "level_fast IS NULL"


def _lead_book(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_ofs: list[date], with_consultant: bool
) -> tuple[str, dict[str, Any]]:
    """Return the CTEs ending in ``open_leads`` for each as_of date, and all they bind.

    The parameters are the scope's, the cadence and the dates' (callers add their own).

    ``open_leads`` has one row per open lead and date: i (the date's index in ``as_ofs``),
    store, customer_id, consultant, lead_level, last_contact, cadence_days, overdue. The
    scope's store and consultant filters apply.

    Outside query.raw_rows() the states are read from ``summary_lead_book``, which keeps each
    state's exact level and the consultant of its latest contact: no row is looked up. Inside
    it (and so in the tests that compare both ways) the integer keys below serve, and the
    consultant is None unless ``with_consultant``.

    The latest level is found with integer keys: per customer the greatest
    ``k * 8 + code(level)`` and ``k * 8 + 7 - code(level)`` over rows with a level give the
    latest k and the highest and lowest level code among that k's rows. The state after
    every month is stored (``derived_lead_months``): an as_of on a month's last day, or with
    no contact after it in its month, reads that month's; any other as_of reads the previous
    month's, combined with the contacts of its own month up to as_of (all three are maxima,
    and that month's rows are the later ones). When the two codes agree (the usual case) the
    level is known; when several rows share the latest k with different levels, or when the
    consultant is wanted, the exact row (greatest id) is looked up among the rows of the
    candidates' two dates only.
    """
    params, held, in_months, starts = _as_of_months(con, scope, as_ofs)
    params |= dict(scope.params) | _cadence_params(con)
    month_contacts = _contacts("month_contacts", f"({in_months or 'false'})")
    if query.summaries_allowed_any():
        # The exact lead book (summary_lead_book) keeps each state's level and consultant.
        sql = _LEAD_BOOK_SQL.format(
            store_filter=store_clause("o"),
            stored_store_filter=store_clause("d"),
            held=held,
            month_contacts=month_contacts,
            consultant_filter=filter_clause("d.consultant", "consultant"),
        )
        return sql, params
    head = _LEAD_STATE_SQL.format(
        store_filter=store_clause(),
        stored_store_filter=store_clause("d"),
        held=held,
        stored_maybe_open=maybe_open("d.l_hi", "d.l_lo"),
    )
    params["exact_from"] = _exact_from(con, head, params, starts) if with_consultant else date.min
    sql = _OPEN_LEADS_SQL.format(
        lead_state=head,
        month_contacts=month_contacts,
        code=level_code(),
        decode=level_decode("t.l_hi"),
        candidate_maybe_open=maybe_open("t.l_hi", "t.l_lo"),
        to_resolve=_to_resolve(with_consultant),
        consultant_filter=filter_clause("r.consultant", "consultant"),
    )
    return sql, params


def _as_of_months(
    con: duckdb.DuckDBPyConnection, scope: Scope, as_ofs: list[date]
) -> tuple[dict[str, Any], str, str, list[date]]:
    """Return what the lead book reads for each as_of date: (parameters, the stored states'
    condition ``held``, the month contacts' condition, the first days of those months).

    An as_of on its month's last day, or with no contact after it in its month, reads the
    state stored after its month; any other reads the previous month's plus its own month's
    contacts up to as_of (``p_sm``: the stored month, ``p_cm``: the contacts' month or None).
    """
    done = _months_done(con, scope, as_ofs)
    sm: list[int] = []
    cm: list[int | None] = []
    ranges: dict[tuple[date, date], int] = {}
    for a in as_ofs:
        m = a.year * 12 + a.month - 1
        whole = a == month_end(a) or a in done
        sm.append(m if whole else m - 1)
        cm.append(None if whole else m)
        if not whole:
            ranges.setdefault((month_start(a), a), len(ranges))
    params: dict[str, Any] = {
        "p_i": list(range(len(as_ofs))),
        "p_as_of": list(as_ofs),
        "p_sm": sm,
        "p_cm": cm,
    }
    for (first, last), n in ranges.items():
        params |= {f"cs{n}": first, f"ce{n}": last}
    # The stored rows that hold at some period's month, a run of months as one range: a
    # trend reads one range, the cards' three dates up to three single months.
    runs: list[list[int]] = []
    for month in sorted(set(sm)):
        if runs and month == runs[-1][1] + 1:
            runs[-1][1] = month
        else:
            runs.append([month, month])
    for n, (lo, hi) in enumerate(runs):
        params |= {f"sa{n}": lo, f"sb{n}": hi}
    held = " OR ".join(
        f"(d.m <= $sb{n} AND (d.next_m IS NULL OR d.next_m > $sa{n}))" for n in range(len(runs))
    )
    in_months = " OR ".join(f"contact_date BETWEEN $cs{n} AND $ce{n}" for n in ranges.values())
    return params, held, in_months, [first for first, _ in ranges]


def _exact_from(
    con: duckdb.DuckDBPyConnection, head: str, params: dict[str, Any], starts: list[date]
) -> date:
    """Return the earliest date an exact row lookup of the raw lead book can need.

    A stored state's last contact or level date, or the start of a month read from contacts:
    a bound that filters the contacts' scans row by row (at group scale the candidates are a
    few weeks of rows among years of them). Only worth a query when every lead is looked up.
    """
    bound_sql = f"""
    WITH {head}
    SELECT min(least(last_contact, DATE '1970-01-01' + CAST(l_hi // 16 AS INTEGER)))
    FROM saved
    """
    (found,) = query.rows(con, bound_sql, {**params, "exact_from": date.min})[0]
    return min([d for d in (found, *starts) if d is not None], default=date.min)


# The rows' return-visit queries (customers_visits*.sql): fragments fixed at import; the
# group keys, GROUP BY and periods are each call's.
_VISITS_SQL = query.sql_file("customers_visits")
_VISITS_PER_PERIOD_SQL = query.sql_file("customers_visits_per_period")
_VISITS_ROWS = {
    "delivered": DELIVERED,
    "served_ro": SERVED_RO,
    "return_visit": RETURN_VISIT,
    "store_filter": store_clause(),
    "order_store_filter": store_clause("o"),
    "ro_store_filter": store_clause("r"),
    "consultant_filter": filter_clause("o.consultant", "consultant"),
    "advisor_filter": filter_clause("r.advisor", "advisor"),
    "technician_filter": filter_clause("r.technician", "technician"),
}
# The names of the figures each flow query returns after its group, in its column order.
_VISIT_NAMES = ("followed", "served")
_SURVEY_NAMES = ("csi_sales", "csi_service", "nps")
_COMPLAINT_NAMES = ("complaint_satisfaction", "complaint_close_days")
_LEAD_NAMES = ("open_leads", "overdue_followups")
# A query, the parameters it may bind and the names of its figures.
_Query = tuple[str, dict[str, Any], tuple[str, ...]]


def _grouped(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None, total: bool = False
) -> dict[str | None, dict[str, Any]]:
    """Return the summary's counts and sums per group ('' when pooled), four queries.

    ``total`` (with ``by``) adds the pooled figures from the same queries, keyed None.
    """
    group = ("GROUP BY GROUPING SETS ((1), ())" if total else "GROUP BY 1") if by else ""
    if query.summaries_allowed(scope, ROW_FILTERS):
        flows = _flows_summed(scope, by, group)
    else:
        flows = _flows_from_rows(scope, by, group)
    out: dict[str | None, dict[str, Any]] = {}
    for sql, params, names in [_lead_counts(con, scope, by, group), *flows]:
        for row in query.rows(con, sql, params):
            out.setdefault(row[0], {}).update(zip(names, row[1:], strict=True))
    return out


def _lead_counts(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None, group: str
) -> _Query:
    """Return the query of the open and overdue leads per group as of as_of."""
    if _leads_summed(con, scope):
        # The changes per store and day summed up to as_of (warehouse.summary_customers).
        sql = f"""
        SELECT {group_key("s", by)}, CAST(coalesce(sum(s.opened), 0) AS BIGINT),
               CAST(coalesce(sum(s.overdue), 0) AS BIGINT)
        FROM summary_customer_leads s
        WHERE s.day <= $as_of AND {store_clause("s")}
        {group}
        """
        return sql, scope.params, _LEAD_NAMES
    ctes, book = _lead_book(con, scope, [scope.as_of], scope.consultant is not None)
    sql = f"""
        WITH {ctes}
        SELECT {group_key("l", by)} AS grp, count(*) AS open_leads,
               count(*) FILTER (WHERE overdue) AS overdue_followups
        FROM open_leads l
        {group}
        """
    return sql, book, _LEAD_NAMES


def _flows_summed(scope: Scope, by: str | None, group: str) -> list[_Query]:
    """Return the return-visit, survey and complaint queries over their summaries per store
    and day (warehouse.summary_customers), grouped by ``group``."""
    key = group_key("s", by)
    return [
        (sql.format(key=key, group=group), scope.params, names)
        for sql, names in (
            (_VISITS_SUMMED, _VISIT_NAMES),
            (_SURVEYS_SUMMED, _SURVEY_NAMES),
            (_COMPLAINTS_SUMMED, _COMPLAINT_NAMES),
        )
    ]


def _flows_from_rows(scope: Scope, by: str | None, group: str) -> list[_Query]:
    """Return the return-visit, survey and complaint queries over the rows (row filters set,
    or inside query.raw_rows()), grouped by ``group``."""
    visits_sql = _VISITS_SQL.format(
        **_VISITS_ROWS,
        order_key=group_key("o", by),
        ro_key=group_key("r", by),
        grp="grp" if by else "''",
        group=group,
    )
    surveys_sql = f"""
    SELECT {group_key("v", by)}, {_SURVEY_KPIS}
    FROM surveys v
    WHERE {SURVEYS_IN_PERIOD}
    {group}
    """
    complaints_sql = f"""
    SELECT {group_key("c", by)},
           CAST(count(*) FILTER (WHERE satisfied) AS DOUBLE) / nullif(count(satisfied), 0),
           avg(closed_date - opened_date)
    FROM complaints c
    WHERE {COMPLAINTS_CLOSED}
    {group}
    """
    return [
        (visits_sql, dict(scope.params, window=RETURN_VISIT_WINDOW_DAYS), _VISIT_NAMES),
        (surveys_sql, scope.params, _SURVEY_NAMES),
        (complaints_sql, scope.params, _COMPLAINT_NAMES),
    ]


def _lead_counts_per_period(
    con: duckdb.DuckDBPyConnection, periods: dict[str, Scope]
) -> dict[str, dict[str, Any]]:
    """Return open and overdue leads as of each period's as_of, all periods in one query."""
    labels = list(periods)
    scope = next(iter(periods.values()))
    as_ofs = [s.as_of for s in periods.values()]
    if _leads_summed(con, scope):
        sql = f"""
        WITH periods AS (SELECT unnest($p_i) AS i, unnest($p_as_of) AS as_of)
        SELECT p.i, CAST(sum(s.opened) AS BIGINT), CAST(sum(s.overdue) AS BIGINT)
        FROM summary_customer_leads s JOIN periods p ON s.day <= p.as_of
        WHERE {store_clause("s")}
        GROUP BY p.i
        """
        params = dict(scope.params, p_i=list(range(len(as_ofs))), p_as_of=as_ofs)
        rows = query.rows(con, sql, params)
    else:
        ctes, book = _lead_book(con, scope, as_ofs, scope.consultant is not None)
        sql = f"""
        WITH {ctes}
        SELECT i, count(*), count(*) FILTER (WHERE overdue) FROM open_leads GROUP BY i
        """
        rows = query.rows(con, sql, book)
    found = {i: (n, overdue) for i, n, overdue in rows}
    return {
        label: dict(zip(("open_leads", "overdue_followups"), found.get(i, (0, 0)), strict=True))
        for i, label in enumerate(labels)
    }


def _flows_per_period(
    con: duckdb.DuckDBPyConnection, periods: dict[str, Scope]
) -> dict[str, dict[str, Any]]:
    """Return return visits, surveys and complaints of each period, one query per source."""
    scope = next(iter(periods.values()))
    params = dict(scope.params) | {
        "p_grp": list(periods),
        "p_start": [s.start for s in periods.values()],
        "p_end": [s.upto for s in periods.values()],
        "p_horizon": [s.horizon for s in periods.values()],
        "window": RETURN_VISIT_WINDOW_DAYS,
    }
    if query.summaries_allowed(scope, ROW_FILTERS):
        queries = _period_flows_summed()
    else:
        reach = _return_visit_reach(periods)
        for n, (first, last) in enumerate(reach):
            params |= {f"rs{n}": first, f"re{n}": last}
        queries = _period_flows_from_rows(len(reach))
    out: dict[str, dict[str, Any]] = {label: {} for label in periods}
    for sql, names in queries:
        for row in query.rows(con, sql, params):
            out[row[0]].update(zip(names, row[1:], strict=True))
    return out


# The periods of _flows_per_period as a CTE: label (grp), start (s), end (e) and horizon (h).
_PERIODS = (
    "periods AS (SELECT unnest($p_grp) AS grp, unnest($p_start) AS s, unnest($p_end) AS e, "
    "unnest($p_horizon) AS h)"
)
# A source's KPIs per period ({kpis}) over its rows or summary ({table} t) dated in it.
_PER_PERIOD = f"""
    WITH {_PERIODS}
    SELECT p.grp, {{kpis}}
    FROM {{table}} JOIN periods p ON {{day}} BETWEEN p.s AND p.e
    WHERE {{store_filter}}
    GROUP BY p.grp
    """


def _return_visit_reach(periods: dict[str, Scope]) -> list[list[date]]:
    """Return the days a return visit can follow a served event of some period: each period
    and the window after it, overlapping ones merged (a run of months is one range)."""
    reach: list[list[date]] = []
    for period in sorted(periods.values(), key=lambda x: x.start):
        last = min(period.upto + timedelta(days=RETURN_VISIT_WINDOW_DAYS), period.horizon)
        if reach and period.start <= reach[-1][1] + timedelta(days=1):
            reach[-1][1] = max(reach[-1][1], last)
        else:
            reach.append([period.start, last])
    return reach


def _period_flows_summed() -> list[tuple[str, tuple[str, ...]]]:
    """Return the per-period queries over the summaries per store and day
    (warehouse.summary_customers)."""
    visits = f"{_followed('p.h')}, CAST(coalesce(sum(s.served), 0) AS BIGINT)"
    sources = (
        ("summary_customer_visits", visits, _VISIT_NAMES),
        ("summary_customer_surveys", _SURVEYS_FROM_SUMS, _SURVEY_NAMES),
        ("summary_customer_complaints", _COMPLAINTS_FROM_SUMS, _COMPLAINT_NAMES),
    )
    return [
        (
            _PER_PERIOD.format(
                kpis=kpis, table=f"{table} s", day="s.day", store_filter=store_clause("s")
            ),
            names,
        )
        for table, kpis, names in sources
    ]


def _period_flows_from_rows(ranges: int) -> list[tuple[str, tuple[str, ...]]]:
    """Return the per-period queries over the rows, the return visits read in ``ranges``
    bound ranges ($rs0..$re0, ...) of follow-up dates."""
    in_reach = " OR ".join(f"followup_date BETWEEN $rs{n} AND $re{n}" for n in range(ranges))
    visits_sql = _VISITS_PER_PERIOD_SQL.format(**_VISITS_ROWS, periods=_PERIODS, in_reach=in_reach)
    complaint_kpis = """
               CAST(count(*) FILTER (WHERE satisfied) AS DOUBLE) / nullif(count(satisfied), 0),
               avg(closed_date - opened_date)"""
    surveys_sql = _PER_PERIOD.format(
        kpis=_SURVEY_KPIS, table="surveys v", day="v.survey_date", store_filter=store_clause("v")
    )
    complaints_sql = _PER_PERIOD.format(
        kpis=complaint_kpis,
        table="complaints c",
        day="c.closed_date",
        store_filter=store_clause("c"),
    )
    return [
        (visits_sql, _VISIT_NAMES),
        (surveys_sql, _SURVEY_NAMES),
        (complaints_sql, _COMPLAINT_NAMES),
    ]


def _per_period(
    con: duckdb.DuckDBPyConnection, periods: dict[str, Scope]
) -> dict[str, dict[str, float | int | None]]:
    """Return summary() of several periods (same store and filters), a few passes for all."""
    leads = _lead_counts_per_period(con, periods)
    flows = _flows_per_period(con, periods)
    return {label: _kpis(leads[label] | flows[label]) for label in periods}


def summaries(
    con: duckdb.DuckDBPyConnection, scope: Scope, shifts: tuple[int, ...] = (0, -1, -12)
) -> list[dict[str, float | int | None]]:
    """Return summary() of the scope shifted by each number of months (Scope.shifted).

    The default gives this period, the previous one and last year's, as the KPI cards show
    them, computed together (the lead book is read once for the three as_of dates).
    """
    periods = {str(n): scope.shifted(n) if n else scope for n in shifts}
    found = _per_period(con, periods)
    return [found[str(n)] for n in shifts]


def month_trend(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13) -> pd.DataFrame:
    """Return summary() per calendar month, the months ending with as_of's month.

    Each month is summary() of that whole month as of its last day (as_of for the running
    month), every month in one pass. Columns: month, then the summary ids.
    """
    import pandas as pd

    last = month_start(scope.as_of)
    periods = {}
    for n in range(months - 1, -1, -1):
        first = add_months(last, -n)
        end = month_end(first)
        periods[f"{first:%Y-%m}"] = replace(
            scope, start=first, end=end, as_of=min(end, scope.as_of)
        )
    found = _per_period(con, periods)
    return pd.DataFrame(
        [{"month": m, **found[m]} for m in periods], columns=["month", *SUMMARY_IDS]
    )


def _kpis(g: dict[str, Any]) -> dict[str, float | int | None]:
    """Return the customer KPIs of one group from its counts and sums."""
    open_leads = int(g.get("open_leads") or 0)
    overdue = int(g.get("overdue_followups") or 0)
    served = int(g.get("served") or 0)
    return {
        "open_leads": open_leads,
        "overdue_followups": overdue,
        "followup_compliance": None if open_leads == 0 else 1 - overdue / open_leads,
        "return_visit_rate": None if served == 0 else int(g.get("followed") or 0) / served,
        **{
            k: query.plain(g.get(k))
            for k in (
                "csi_sales",
                "csi_service",
                "nps",
                "complaint_satisfaction",
                "complaint_close_days",
            )
        },
    }


# The scalar KPIs summary() returns: the catalogue's for this module, in its order.
SUMMARY_IDS = summary_ids("customers")


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return every scalar customer KPI keyed by its catalogue id.

    return_visit_rate: deliveries in the period plus non-internal ROs closed in the period,
    the share followed by a return_visit followup of the same customer (same store) within 7
    days after the delivery or close date (even after the period ends). A delivery or RO
    without a customer_id cannot be followed up: it counts in the denominator only. With a
    consultant filter only that consultant's deliveries count (ROs have no consultant); with an
    advisor or technician filter only the matching ROs count (deliveries have neither).
    """
    return _kpis(_grouped(con, scope, None).get("", {}))


def report(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return summary() plus lead capture and lost leads (kpi.leads), for the report."""
    from kpi import leads

    return {**summary(con, scope), **leads.report(con, scope)}


def by_store(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store", total: bool = False
) -> pd.DataFrame:
    """Return every summary KPI per store (or per brand / region), one grouped pass each.

    Every group of the stores table in scope appears ('' for stores without a brand or
    region). ``total`` adds a last row, ``by`` None, equal to summary() (from the same
    queries). Columns: ``by``, then the summary ids.
    """
    import pandas as pd

    found = _grouped(con, scope, by, total)
    named = set(groups(con, scope, by)) | {k for k in found if k is not None}
    keys: list[str | None] = [*sorted(named)]
    keys += [None] if total else []
    rows = [{by: k, **_kpis(found.get(k, {}))} for k in keys]
    frame = pd.DataFrame(rows, columns=[by, *SUMMARY_IDS])
    return frame.astype(object).where(frame.notna(), None)


def open_leads_by_level(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return open leads as of as_of per store, consultant and level.

    Columns: store, consultant, level, open_leads (levels in the order O H A B C).
    """
    import pandas as pd

    ctes, book = _lead_book(con, scope, [scope.as_of], with_consultant=True)
    sql = f"""
    WITH {ctes}
    SELECT store, consultant, lead_level AS level, count(*) AS open_leads
    FROM open_leads
    GROUP BY store, consultant, lead_level
    ORDER BY store, consultant NULLS LAST,
             CASE lead_level WHEN 'O' THEN 0 WHEN 'H' THEN 1 WHEN 'A' THEN 2 WHEN 'B' THEN 3
                             ELSE 4 END
    """
    rows = query.rows(con, sql, book)
    return pd.DataFrame(rows, columns=["store", "consultant", "level", "open_leads"])


def lead_counts(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return open leads and overdue ones as of as_of per store, consultant and level.

    Columns: store, consultant, level, open_leads, overdue (levels in the order O H A B C):
    what a group's Customers page draws and counts without listing every lead.
    """
    import pandas as pd

    ctes, book = _lead_book(con, scope, [scope.as_of], with_consultant=True)
    sql = f"""
    WITH {ctes}
    SELECT store, consultant, lead_level AS level, count(*) AS open_leads,
           count(*) FILTER (WHERE overdue) AS overdue
    FROM open_leads
    GROUP BY store, consultant, lead_level
    ORDER BY store, consultant NULLS LAST,
             CASE lead_level WHEN 'O' THEN 0 WHEN 'H' THEN 1 WHEN 'A' THEN 2 WHEN 'B' THEN 3
                             ELSE 4 END
    """
    cols = ["store", "consultant", "level", "open_leads", "overdue"]
    return pd.DataFrame(query.rows(con, sql, book), columns=cols)


def overdue_list(
    con: duckdb.DuckDBPyConnection, scope: Scope, limit: int | None = None
) -> pd.DataFrame:
    """Return the open leads overdue for a follow-up as of as_of, most overdue first.

    Columns: store, customer_id, consultant, lead_level, last_contact, cadence_days,
    days_overdue (= as_of − last_contact − cadence_days, at least 1). ``limit``: only the
    first that many (a group's page shows the most overdue and offers the rest as a file).
    """
    # Overdue means last_contact < as_of − cadence_days, that is days_overdue > 0.
    return _lead_list(con, scope, "days_overdue > 0", limit)


def open_lead_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return every open lead as of as_of, most overdue first (then store, customer).

    Columns as overdue_list's; days_overdue (as_of − last_contact − cadence_days) is 0 or
    less for a lead followed up in time. One read for a page that shows both the open leads
    by level and the overdue list (the rows with days_overdue > 0, in the same order).
    """
    return _lead_list(con, scope, "true", None)


def _lead_list(
    con: duckdb.DuckDBPyConnection, scope: Scope, where: str, limit: int | None
) -> pd.DataFrame:
    """Return the open leads where ``where`` holds (on days_overdue), most overdue first."""
    import pandas as pd

    ctes, book = _lead_book(con, scope, [scope.as_of], with_consultant=True)
    sql = f"""
    WITH {ctes}
    SELECT * FROM (
        SELECT store, customer_id, consultant, lead_level, last_contact, cadence_days,
               CAST($as_of - last_contact AS INTEGER) - cadence_days AS days_overdue
        FROM open_leads
    )
    WHERE {where}
    ORDER BY days_overdue DESC, store, customer_id
    {"" if limit is None else "LIMIT $limit"}
    """
    cols = ["store", "customer_id", "consultant", "lead_level", "last_contact", "cadence_days",
            "days_overdue"]  # fmt: skip
    return pd.DataFrame(query.rows(con, sql, book | {"limit": limit}), columns=cols)


def csi_monthly(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13) -> pd.DataFrame:
    """Return csi_sales, csi_service and nps per calendar month ending with as_of's month.

    One row per month (a month without surveys has empty values).
    """
    import pandas as pd

    last = month_start(scope.as_of)
    month_list = [f"{add_months(last, -k):%Y-%m}" for k in range(months - 1, -1, -1)]
    per_month = (
        f"""
        SELECT strftime(s.day, '%Y-%m') AS month, {_SURVEYS_FROM_SUMS}
        FROM summary_customer_surveys s
        WHERE s.day BETWEEN $first AND $last AND {store_clause("s")}
        GROUP BY 1"""
        if query.summaries_allowed(scope)
        else f"""
        SELECT strftime(survey_date, '%Y-%m') AS month, {_SURVEY_KPIS}
        FROM surveys
        WHERE survey_date BETWEEN $first AND $last AND {store_clause()}
        GROUP BY 1"""
    )
    sql = f"""
    WITH months AS (SELECT unnest($months) AS month),
    s (month, csi_sales, csi_service, nps) AS ({per_month}
    )
    SELECT m.month, s.csi_sales, s.csi_service, s.nps
    FROM months m LEFT JOIN s ON s.month = m.month
    ORDER BY m.month
    """
    p = dict(scope.params, months=month_list, first=add_months(last, -(months - 1)),
             last=month_end(last))  # fmt: skip
    frame = pd.DataFrame(
        query.rows(con, sql, p), columns=["month", "csi_sales", "csi_service", "nps"]
    )
    for c in ("csi_sales", "csi_service", "nps"):
        frame[c] = frame[c].astype("float64")
    return frame


def complaints_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return complaints open as of as_of or closed in the period, open ones first.

    Columns: store, complaint_id, opened_date, closed_date, department, category, major,
    satisfied, status ('open' when not closed on or before as_of, else 'closed'), days_open
    (closed_date − opened_date when closed, as_of − opened_date when open).
    """
    import pandas as pd

    sql = f"""
    SELECT store, complaint_id, opened_date, closed_date, department, category, major, satisfied,
           CASE WHEN closed_date IS NULL OR closed_date > $as_of THEN 'open' ELSE 'closed' END
               AS status,
           CAST(CASE WHEN closed_date IS NULL OR closed_date > $as_of THEN $as_of - opened_date
                     ELSE closed_date - opened_date END AS INTEGER) AS days_open
    FROM complaints
    WHERE {store_clause()}
      AND ((opened_date <= $as_of AND (closed_date IS NULL OR closed_date > $as_of))
           OR closed_date BETWEEN $start AND $end)
    ORDER BY status DESC, major DESC, days_open DESC, store, complaint_id
    """
    cols = ["store", "complaint_id", "opened_date", "closed_date", "department", "category",
            "major", "satisfied", "status", "days_open"]  # fmt: skip
    return pd.DataFrame(query.rows(con, sql, scope.params), columns=cols)


def open_leads(con: duckdb.DuckDBPyConnection, scope: Scope) -> int:
    """Return the number of open leads as of as_of."""
    return cast(int, summary(con, scope)["open_leads"])


def followup_compliance(con: duckdb.DuckDBPyConnection, scope: Scope) -> float | None:
    """Return the share of open leads followed up within their level's cadence."""
    return summary(con, scope)["followup_compliance"]


# The name the other sections use for their 13-month trend (the Overview's sparklines).
monthly = month_trend
