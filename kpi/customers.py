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
"""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import pandas as pd

from kpi.catalogue import DEFAULT_CADENCE, cadence_for
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

RETURN_VISIT_WINDOW_DAYS = 7


def _bind(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return only the parameters the query names (DuckDB rejects unused ones)."""
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in used}


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Execute a query with its bound parameters and return every row."""
    return con.execute(sql, _bind(sql, params)).fetchall()


def _none(value: Any) -> Any:
    """Return None for SQL NULL or NaN, the value otherwise."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


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


# Lead levels in the order a tie-free latest row is decoded from (an 8-way key, see below).
LEVEL_CODES = ("O", "H", "A", "B", "C", "F")


def _contacts(name: str) -> str:
    """Return a CTE of every traffic row and followup dated on or before as_of.

    ``k`` orders a customer's rows: by date, and on the same day a followup (source 1) after
    a visit (source 0); rows that share a k are told apart by their id (the greater is later).
    """
    return f"""{name} AS (
    SELECT store, customer_id, visit_date AS contact_date,
           (visit_date - DATE '1970-01-01') * 2 AS k, visit_id AS row_id,
           consultant, nullif(lead_level, '') AS lead_level
    FROM traffic
    WHERE customer_id IS NOT NULL AND visit_date <= $as_of AND {store_clause()}
    UNION ALL
    SELECT store, customer_id, followup_date, (followup_date - DATE '1970-01-01') * 2 + 1,
           followup_id, consultant, nullif(lead_level, '')
    FROM followups
    WHERE customer_id IS NOT NULL AND followup_date <= $as_of AND {store_clause()}
)"""


def _leads_cte(with_consultant: bool = True) -> str:
    """Return the CTEs ending in ``open_leads``: one row per open lead as of $as_of.

    Columns: store, customer_id, consultant (None unless ``with_consultant``), lead_level,
    last_contact, cadence_days, overdue.

    The latest level is found with integer keys in one hash aggregate: per customer the
    greatest ``k * 8 + code(level)`` and ``k * 8 + 7 - code(level)`` over rows with a level
    give the latest k and the highest and lowest level code among that k's rows. When they
    agree (the usual case) the level is known; when several rows share the latest k with
    different levels, or when the consultant is wanted, the exact row (greatest id) is
    looked up in a second read joined to those customers only. A window or an arg_max over
    (date, source, id) tuples would cost several times more at millions of contacts.
    """
    code = "CASE lead_level " + " ".join(
        f"WHEN '{v}' THEN {i}" for i, v in enumerate(LEVEL_CODES, start=1)
    )
    code += " ELSE 7 END"
    decode = "CASE t.l_hi % 8 " + " ".join(
        f"WHEN {i} THEN '{v}'" for i, v in enumerate(LEVEL_CODES, start=1)
    )
    decode += " END"
    exact = "true" if with_consultant else "d.level_fast IS NULL"
    return f"""
cadence AS (
    SELECT unnest($cad_store) AS store, unnest($cad_level) AS level, unnest($cad_days) AS days
),
default_cadence AS (
    SELECT unnest($def_level) AS level, unnest($def_days) AS days
),
{_contacts("contacts")},
{_contacts("contacts_again")},
tops AS (
    SELECT store, customer_id, max(contact_date) AS last_contact, max(k) AS k_any,
           max(k * 8 + {code}) FILTER (WHERE lead_level IS NOT NULL) AS l_hi,
           max(k * 8 + 7 - {code}) FILTER (WHERE lead_level IS NOT NULL) AS l_lo
    FROM contacts
    GROUP BY store, customer_id
),
candidates AS (
    -- customers whose latest level may be O, H, A, B or C and who have not ordered
    SELECT t.store, t.customer_id, t.last_contact, t.k_any, t.l_hi // 8 AS k_lvl,
           CASE WHEN t.l_hi % 8 = 7 - t.l_lo % 8 THEN {decode} END AS level_fast
    FROM tops t
    WHERE (t.l_hi % 8 BETWEEN 1 AND 5 OR 7 - t.l_lo % 8 BETWEEN 1 AND 5)
      AND NOT EXISTS (
          SELECT 1 FROM orders o
          WHERE o.store = t.store AND o.customer_id = t.customer_id
            AND o.status <> 'cancelled' AND o.order_date <= $as_of
      )
),
resolved AS (
    SELECT c.store, c.customer_id,
           arg_max(c.lead_level, c.row_id) FILTER (
               WHERE c.k = d.k_lvl AND c.lead_level IS NOT NULL) AS lead_level,
           arg_max_null(c.consultant, c.row_id) FILTER (WHERE c.k = d.k_any) AS consultant
    FROM contacts_again c
    JOIN (SELECT * FROM candidates d WHERE {exact}) d
      ON d.store = c.store AND d.customer_id = c.customer_id AND c.k IN (d.k_any, d.k_lvl)
    GROUP BY c.store, c.customer_id
),
latest AS (
    SELECT d.store, d.customer_id, d.last_contact, r.consultant,
           coalesce(d.level_fast, r.lead_level) AS lead_level
    FROM candidates d
    LEFT JOIN resolved r ON r.store = d.store AND r.customer_id = d.customer_id
),
leads AS (
    SELECT l.store, l.customer_id, l.consultant, l.lead_level, l.last_contact,
           CAST(coalesce(k.days, d.days) AS INTEGER) AS cadence_days
    FROM latest l
    JOIN default_cadence d ON d.level = l.lead_level
    LEFT JOIN cadence k ON k.store = l.store AND k.level = l.lead_level
    WHERE l.lead_level IN ('O', 'H', 'A', 'B', 'C')
      AND {filter_clause("l.consultant", "consultant")}
),
open_leads AS (
    SELECT *, last_contact < $as_of - cadence_days AS overdue FROM leads
)"""


def _leads_params(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    return dict(scope.params) | _cadence_params(con)


def _grouped(
    con: duckdb.DuckDBPyConnection, scope: Scope, by: str | None
) -> dict[str, dict[str, Any]]:
    """Return the summary's counts and sums per group ('' when pooled), four queries."""
    group = "GROUP BY 1" if by else ""
    out: dict[str, dict[str, Any]] = {}

    def collect(sql: str, params: dict[str, Any], names: tuple[str, ...]) -> None:
        for row in _run(con, sql, params):
            out.setdefault(row[0], {}).update(zip(names, row[1:], strict=True))

    leads_sql = f"""
    WITH {_leads_cte(with_consultant=scope.consultant is not None)}
    SELECT {group_key("l", by)} AS grp, count(*) AS open_leads,
           count(*) FILTER (WHERE overdue) AS overdue_followups
    FROM open_leads l
    {group}
    """
    collect(leads_sql, _leads_params(con, scope), ("open_leads", "overdue_followups"))

    visits_sql = f"""
    WITH served AS (
        SELECT {group_key("o", by)} AS grp, o.store, o.customer_id,
               o.delivery_date AS served_date
        FROM orders o
        WHERE o.status = 'delivered' AND o.delivery_date BETWEEN $start AND $end
          AND {store_clause("o")} AND {filter_clause("o.consultant", "consultant")}
          AND $advisor::VARCHAR IS NULL AND $technician::VARCHAR IS NULL
        UNION ALL
        SELECT {group_key("r", by)}, r.store, r.customer_id, r.close_date
        FROM repair_orders r
        WHERE r.ro_type <> 'internal' AND r.close_date BETWEEN $start AND $end
          AND {store_clause("r")} AND {filter_clause("r.advisor", "advisor")}
          AND {filter_clause("r.technician", "technician")} AND $consultant::VARCHAR IS NULL
    ),
    flagged AS (
        SELECT s.grp, EXISTS (
                   SELECT 1 FROM followups f
                   WHERE f.store = s.store AND f.customer_id = s.customer_id
                     AND f.kind = 'return_visit'
                     AND f.followup_date BETWEEN s.served_date AND s.served_date + $window
                     -- uncorrelated bounds: only the period's follow-ups are looked at
                     AND f.followup_date BETWEEN $start AND $end + $window
               ) AS followed
        FROM served s
    )
    SELECT {"grp" if by else "''"}, count(*) FILTER (WHERE followed), count(*)
    FROM flagged
    {group}
    """
    p = dict(scope.params, window=RETURN_VISIT_WINDOW_DAYS)
    collect(visits_sql, p, ("followed", "served"))

    surveys_sql = f"""
    SELECT {group_key("v", by)},
           avg(score) FILTER (WHERE department = 'sales') * 10 AS csi_sales,
           avg(score) FILTER (WHERE department = 'service') * 10 AS csi_service,
           100.0 * (count(*) FILTER (WHERE recommend >= 9) - count(*) FILTER (WHERE recommend <= 6))
               / nullif(count(recommend), 0) AS nps
    FROM surveys v
    WHERE survey_date BETWEEN $start AND $end AND {store_clause("v")}
    {group}
    """
    collect(surveys_sql, scope.params, ("csi_sales", "csi_service", "nps"))

    complaints_sql = f"""
    SELECT {group_key("c", by)},
           CAST(count(*) FILTER (WHERE satisfied) AS DOUBLE) / nullif(count(satisfied), 0),
           avg(closed_date - opened_date)
    FROM complaints c
    WHERE closed_date BETWEEN $start AND $end AND {store_clause("c")}
    {group}
    """
    collect(complaints_sql, scope.params, ("complaint_satisfaction", "complaint_close_days"))
    return out


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
            k: _none(g.get(k))
            for k in (
                "csi_sales",
                "csi_service",
                "nps",
                "complaint_satisfaction",
                "complaint_close_days",
            )
        },
    }


SUMMARY_IDS = (
    "open_leads",
    "overdue_followups",
    "followup_compliance",
    "return_visit_rate",
    "csi_sales",
    "csi_service",
    "nps",
    "complaint_satisfaction",
    "complaint_close_days",
)


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


def by_store(con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store") -> pd.DataFrame:
    """Return every summary KPI per store (or per brand / region), one grouped pass each.

    Every group of the stores table in scope appears ('' for stores without a brand or
    region). Columns: ``by``, then the summary ids.
    """
    found = _grouped(con, scope, by)
    keys = sorted(set(groups(con, scope, by)) | set(found))
    rows = [{by: k, **_kpis(found.get(k, {}))} for k in keys]
    frame = pd.DataFrame(rows, columns=[by, *SUMMARY_IDS])
    return frame.astype(object).where(frame.notna(), None)


def open_leads_by_level(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return open leads as of as_of per store, consultant and level.

    Columns: store, consultant, level, open_leads (levels in the order O H A B C).
    """
    sql = f"""
    WITH {_leads_cte()}
    SELECT store, consultant, lead_level AS level, count(*) AS open_leads
    FROM open_leads
    GROUP BY store, consultant, lead_level
    ORDER BY store, consultant NULLS LAST,
             CASE lead_level WHEN 'O' THEN 0 WHEN 'H' THEN 1 WHEN 'A' THEN 2 WHEN 'B' THEN 3
                             ELSE 4 END
    """
    rows = _run(con, sql, _leads_params(con, scope))
    return pd.DataFrame(rows, columns=["store", "consultant", "level", "open_leads"])


def overdue_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return the open leads overdue for a follow-up as of as_of, most overdue first.

    Columns: store, customer_id, consultant, lead_level, last_contact, cadence_days,
    days_overdue (= as_of − last_contact − cadence_days, at least 1).
    """
    sql = f"""
    WITH {_leads_cte()}
    SELECT store, customer_id, consultant, lead_level, last_contact, cadence_days,
           CAST($as_of - last_contact AS INTEGER) - cadence_days AS days_overdue
    FROM open_leads
    WHERE overdue
    ORDER BY days_overdue DESC, store, customer_id
    """
    cols = ["store", "customer_id", "consultant", "lead_level", "last_contact", "cadence_days",
            "days_overdue"]  # fmt: skip
    return pd.DataFrame(_run(con, sql, _leads_params(con, scope)), columns=cols)


def csi_monthly(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13) -> pd.DataFrame:
    """Return csi_sales, csi_service and nps per calendar month ending with as_of's month.

    One row per month (a month without surveys has empty values).
    """
    last = month_start(scope.as_of)
    month_list = [f"{add_months(last, -k):%Y-%m}" for k in range(months - 1, -1, -1)]
    sql = f"""
    WITH months AS (SELECT unnest($months) AS month),
    s AS (
        SELECT strftime(survey_date, '%Y-%m') AS month,
               avg(score) FILTER (WHERE department = 'sales') * 10 AS csi_sales,
               avg(score) FILTER (WHERE department = 'service') * 10 AS csi_service,
               100.0 * (count(*) FILTER (WHERE recommend >= 9)
                        - count(*) FILTER (WHERE recommend <= 6))
                   / nullif(count(recommend), 0) AS nps
        FROM surveys
        WHERE survey_date BETWEEN $first AND $last AND {store_clause()}
        GROUP BY 1
    )
    SELECT m.month, s.csi_sales, s.csi_service, s.nps
    FROM months m LEFT JOIN s ON s.month = m.month
    ORDER BY m.month
    """
    p = dict(scope.params, months=month_list, first=add_months(last, -(months - 1)),
             last=month_end(last))  # fmt: skip
    frame = pd.DataFrame(_run(con, sql, p), columns=["month", "csi_sales", "csi_service", "nps"])
    for c in ("csi_sales", "csi_service", "nps"):
        frame[c] = frame[c].astype("float64")
    return frame


def complaints_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return complaints open as of as_of or closed in the period, open ones first.

    Columns: store, complaint_id, opened_date, closed_date, department, category, major,
    satisfied, status ('open' when not closed on or before as_of, else 'closed'), days_open
    (closed_date − opened_date when closed, as_of − opened_date when open).
    """
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
    return pd.DataFrame(_run(con, sql, scope.params), columns=cols)


def open_leads(con: duckdb.DuckDBPyConnection, scope: Scope) -> int:
    """Return the number of open leads as of as_of."""
    return summary(con, scope)["open_leads"]


def followup_compliance(con: duckdb.DuckDBPyConnection, scope: Scope) -> float | None:
    """Return the share of open leads followed up within their level's cadence."""
    return summary(con, scope)["followup_compliance"]
