"""Lead capture and lost leads (留档率, 战败): capture rate, lost leads, lost rate and reasons.

KPI-CATALOGUE.md, "Customers". Per store and customer_id (a row without a customer_id is an
anonymous walk-in: it counts in lead capture's denominator only, and is no lead):

- lead_capture_rate: first-visit walk-ins of the period with a customer_id ÷ first-visit
  walk-ins of the period (to as_of while the period runs).
- A customer is lost in the period when the latest known level as of as_of is F and the row
  that carries it is dated in the period (from its start to as_of). The latest known level
  follows kpi.customers' lead book: among traffic rows and followups dated on or before as_of
  that carry a level (an empty level is no information), the latest by date, then a followup
  after a traffic row of the same day, then the greater id. An F set before the period (and
  not set again in it) is not counted; a later level (the customer came back) undoes it.
- lost_reasons: the lost leads by the lost_reason of the row that set F: a followup's
  lost_reason, ``unknown`` when it is empty or F was set on a visit (traffic has no reason).
  Only reasons that occur are keyed.
- lost_rate: lost_leads ÷ (lost_leads + distinct customers with a non-cancelled order dated in
  the period); no lost lead and no order: no value.

Filters: the consultant filter applies to the first-visit walk-ins, to the row that set F and
to the orders; the model and channel filters apply to lead capture (traffic's model_interest
and channel) like the sales module's traffic counts, not to lost leads. Only the candidates'
rows are read: customers with an F row dated in the period. The module loads no pandas unless
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
READS: frozenset[str] = frozenset({"followups", "orders", "traffic"})

if TYPE_CHECKING:
    import pandas as pd

# The scalar KPIs summary() returns: the catalogue's for this module, in its order.
SUMMARY_IDS = summary_ids("leads")
UNKNOWN_REASON = "unknown"

# The first visits lead_capture_rate divides by (kpi.drill lists the same rows), and those
# it counts captured.
FIRST_VISITS = f"""kind = 'walk_in' AND first_visit AND visit_date BETWEEN $start AND $end
  AND {store_clause()} AND {filter_clause("consultant", "consultant")}
  AND {filter_clause("model_interest", "model")} AND {filter_clause("channel", "channel")}"""
CAPTURED = "customer_id IS NOT NULL"
_CAPTURE_SQL = f"""
SELECT count(*) FILTER (WHERE {CAPTURED}) AS captured, count(*) AS first_visits
FROM traffic
WHERE {FIRST_VISITS}
"""

_CAPTURE_BY_CONSULTANT_SQL = f"""
SELECT store, consultant,
       count(*) FILTER (WHERE customer_id IS NOT NULL) AS captured, count(*) AS first_visits,
       count(*) FILTER (WHERE customer_id IS NOT NULL) / count(*) AS lead_capture_rate
FROM traffic
WHERE kind = 'walk_in' AND first_visit AND visit_date BETWEEN $start AND $end
  AND {store_clause()} AND {filter_clause("consultant", "consultant")}
GROUP BY store, consultant
ORDER BY store, consultant NULLS LAST
"""

# Rows with a level, ordered within a customer by (day, src, row_id): src 1 (a followup) is
# later than src 0 (a visit) of the same day; the greater id is the later of one kind.
_LEVEL_ROWS = f"""
    SELECT store, customer_id, visit_date AS day, 0 AS src, visit_id AS row_id, consultant,
           nullif(lead_level, '') AS lead_level, CAST(NULL AS VARCHAR) AS lost_reason,
           CAST(NULL AS VARCHAR) AS lost_to
    FROM traffic
    WHERE customer_id IS NOT NULL AND nullif(lead_level, '') IS NOT NULL AND {store_clause()}
    UNION ALL
    SELECT store, customer_id, followup_date, 1, followup_id, consultant,
           nullif(lead_level, ''), lost_reason, nullif(lost_to, '')
    FROM followups
    WHERE customer_id IS NOT NULL AND nullif(lead_level, '') IS NOT NULL AND {store_clause()}
"""

_LOST_CTE = f"""
level_rows AS ({_LEVEL_ROWS}),
candidates AS (
    SELECT DISTINCT store, customer_id FROM level_rows
    WHERE lead_level = 'F' AND day BETWEEN $start AND $end
),
latest AS (
    SELECT r.*
    FROM level_rows r SEMI JOIN candidates c
      ON c.store = r.store AND c.customer_id = r.customer_id
    WHERE r.day <= $as_of
    QUALIFY row_number() OVER (
        PARTITION BY r.store, r.customer_id ORDER BY r.day DESC, r.src DESC, r.row_id DESC
    ) = 1
),
lost AS (
    SELECT store, customer_id, day AS lost_date, consultant,
           coalesce(lost_reason, $unknown) AS lost_reason, lost_to
    FROM latest
    WHERE lead_level = 'F' AND day BETWEEN $start AND $end
      AND {filter_clause("consultant", "consultant")}
)"""

# The orders whose customers are lost_rate's buyers (kpi.drill lists the same customers).
BUYER_ORDERS = f"""status <> 'cancelled' AND order_date BETWEEN $start AND $end
      AND customer_id IS NOT NULL AND {store_clause()}
      AND {filter_clause("consultant", "consultant")}"""

_LOST_SQL = f"""
WITH {_LOST_CTE},
buyers AS (
    SELECT count(DISTINCT (store, customer_id)) AS n
    FROM orders
    WHERE {BUYER_ORDERS}
)
SELECT (SELECT count(*) FROM lost) AS lost, (SELECT n FROM buyers) AS buyers
"""

_REASONS_SQL = f"""
WITH {_LOST_CTE}
SELECT lost_reason, count(*) AS n FROM lost GROUP BY lost_reason ORDER BY n DESC, lost_reason
"""

_LOST_LIST_SQL = f"""
WITH {_LOST_CTE}
SELECT store, customer_id, lost_date, consultant, lost_reason, lost_to FROM lost
ORDER BY store, lost_date, customer_id
"""


def _params(scope: Scope) -> dict[str, Any]:
    return {**scope.params, "unknown": UNKNOWN_REASON}


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return lead_capture_rate, lost_leads and lost_rate (None over a zero denominator)."""
    p = _params(scope)
    captured, first_visits = query.rows(con, _CAPTURE_SQL, p)[0]
    lost, buyers = query.rows(con, _LOST_SQL, p)[0]
    lost, buyers = int(lost or 0), int(buyers or 0)
    return {
        "lead_capture_rate": captured / first_visits if first_visits else None,
        "lost_leads": lost,
        "lost_rate": lost / (lost + buyers) if lost + buyers else None,
    }


def tables(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict[str, int]]:
    """Return lost_reasons: lost leads per reason (``unknown`` when none), most frequent first."""
    found = query.rows(con, _REASONS_SQL, _params(scope))
    return {"lost_reasons": {reason: int(n) for reason, n in found}}


def report(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return summary() and tables(): what the report prints for these KPIs."""
    return {**summary(con, scope), **tables(con, scope)}


def lost_records(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, Any]]:
    """Return each lost lead: store, customer_id, lost_date, consultant, lost_reason, lost_to."""
    return query.records(con, _LOST_LIST_SQL, _params(scope))


def lost_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return lost_records() as a DataFrame (reasons and competitors on the Customers page)."""
    import pandas as pd

    cols = ["store", "customer_id", "lost_date", "consultant", "lost_reason", "lost_to"]
    return pd.DataFrame(lost_records(con, scope), columns=cols)


def capture_by_consultant(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return lead capture per (store, consultant): captured, first_visits, lead_capture_rate."""
    return query.frame(con, _CAPTURE_BY_CONSULTANT_SQL, scope.params)
