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

Summary tables (warehouse.summary_leads, issue 15): lead capture (and capture by consultant)
is summed from per store, day and consultant counts unless a model or channel filter is set;
lost leads (not additive: a customer's latest level) are read from the derived rows of
summary_lead_lost, one per F that was a customer's latest level for a while (the consultant
filter applies to its row), unless inside query.raw_rows(). The buyers of lost_rate
(distinct customers) stay a bounded query.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import duckdb

from kpi import query
from kpi.catalogue import summary_ids
from kpi.scope import Scope, add_months, filter_clause, month_end, month_start, store_clause
from warehouse.summary_leads import CAPTURED, FIRST_VISIT, LOST_LEVEL, level_rows

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
FIRST_VISITS = f"""{FIRST_VISIT} AND visit_date BETWEEN $start AND $end
  AND {store_clause()} AND {filter_clause("consultant", "consultant")}
  AND {filter_clause("model_interest", "model")} AND {filter_clause("channel", "channel")}"""
# The capture filters the summary cannot apply (it keeps the consultant, not these).
CAPTURE_FILTERS = ("model", "channel")
_CAPTURE_SQL = f"""
SELECT count(*) FILTER (WHERE {CAPTURED}) AS captured, count(*) AS first_visits
FROM traffic
WHERE {FIRST_VISITS}
"""
_CAPTURE_SUMMED = f"""
SELECT CAST(coalesce(sum(s.captured), 0) AS BIGINT),
       CAST(coalesce(sum(s.first_visits), 0) AS BIGINT)
FROM summary_lead_capture s
WHERE s.day BETWEEN $start AND $end AND {store_clause("s")}
  AND {filter_clause("s.consultant", "consultant")}
"""

_CAPTURE_BY_CONSULTANT_SQL = f"""
SELECT store, consultant,
       count(*) FILTER (WHERE {CAPTURED}) AS captured, count(*) AS first_visits,
       count(*) FILTER (WHERE {CAPTURED}) / count(*) AS lead_capture_rate
FROM traffic
WHERE {FIRST_VISIT} AND visit_date BETWEEN $start AND $end
  AND {store_clause()} AND {filter_clause("consultant", "consultant")}
GROUP BY store, consultant
ORDER BY store, consultant NULLS LAST
"""
_CAPTURE_BY_CONSULTANT_SUMMED = f"""
SELECT store, consultant, captured, first_visits, captured / first_visits AS lead_capture_rate
FROM (
    SELECT s.store, s.consultant, CAST(sum(s.captured) AS BIGINT) AS captured,
           CAST(sum(s.first_visits) AS BIGINT) AS first_visits
    FROM summary_lead_capture s
    WHERE s.day BETWEEN $start AND $end AND {store_clause("s")}
      AND {filter_clause("s.consultant", "consultant")}
    GROUP BY s.store, s.consultant
)
ORDER BY store, consultant NULLS LAST
"""

# Rows with a level, ordered within a customer by (day, src, row_id): src 1 (a followup) is
# later than src 0 (a visit) of the same day; the greater id is the later of one kind.
_LEVEL_ROWS = level_rows(store_clause("{t}"))

_LOST_CTE = f"""
level_rows AS ({_LEVEL_ROWS}),
candidates AS (
    SELECT DISTINCT store, customer_id FROM level_rows
    WHERE lead_level = '{LOST_LEVEL}' AND day BETWEEN $start AND $end
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
    WHERE lead_level = '{LOST_LEVEL}' AND day BETWEEN $start AND $end
      AND {filter_clause("consultant", "consultant")}
)"""

# The same lost leads from summary_lead_lost: an F row of the period that no later leveled row
# dated on or before as_of replaced.
_LOST_STORED = f"""
lost AS (
    SELECT store, customer_id, day AS lost_date, consultant,
           coalesce(lost_reason, $unknown) AS lost_reason, lost_to
    FROM summary_lead_lost
    WHERE day BETWEEN $start AND $end AND (next_day IS NULL OR next_day > $as_of)
      AND {store_clause()} AND {filter_clause("consultant", "consultant")}
)"""


def _lost_cte() -> str:
    """Return the CTE ``lost`` (and the ones it needs): the stored rows, or the raw rows."""
    return _LOST_STORED if query.summaries_allowed_any() else _LOST_CTE


# The orders whose customers are lost_rate's buyers (kpi.drill lists the same customers).
BUYER_ORDERS = f"""status <> 'cancelled' AND order_date BETWEEN $start AND $end
      AND customer_id IS NOT NULL AND {store_clause()}
      AND {filter_clause("consultant", "consultant")}"""

_LOST_SQL = """
WITH {lost},
buyers AS (
    SELECT count(DISTINCT (store, customer_id)) AS n
    FROM orders
    WHERE {buyer_orders}
)
SELECT (SELECT count(*) FROM lost) AS lost, (SELECT n FROM buyers) AS buyers
"""

_REASONS_SQL = """
WITH {lost}
SELECT lost_reason, count(*) AS n FROM lost GROUP BY lost_reason ORDER BY n DESC, lost_reason
"""

_LOST_LIST_SQL = """
WITH {lost}
SELECT store, customer_id, lost_date, consultant, lost_reason, lost_to FROM lost
ORDER BY store, lost_date, customer_id
"""


def _params(scope: Scope) -> dict[str, Any]:
    return {**scope.params, "unknown": UNKNOWN_REASON}


def _lost_sql(template: str) -> str:
    """Return one of the lost-lead queries over the stored or the raw lost leads."""
    return template.format(lost=_lost_cte(), buyer_orders=BUYER_ORDERS)


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return lead_capture_rate, lost_leads and lost_rate (None over a zero denominator)."""
    p = _params(scope)
    summed = query.summaries_allowed(scope, CAPTURE_FILTERS)
    captured, first_visits = query.rows(con, _CAPTURE_SUMMED if summed else _CAPTURE_SQL, p)[0]
    lost, buyers = query.rows(con, _lost_sql(_LOST_SQL), p)[0]
    lost, buyers = int(lost or 0), int(buyers or 0)
    return {
        "lead_capture_rate": captured / first_visits if first_visits else None,
        "lost_leads": lost,
        "lost_rate": lost / (lost + buyers) if lost + buyers else None,
    }


def summaries(
    con: duckdb.DuckDBPyConnection, scope: Scope, shifts: tuple[int, ...] = (0, -1, -12)
) -> list[dict[str, float | int | None]]:
    """Return summary() of the scope shifted by each number of months (Scope.shifted): the
    KPI cards' this period, previous one and last year's in one cached call."""
    return [summary(con, scope.shifted(n) if n else scope) for n in shifts]


def tables(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict[str, int]]:
    """Return lost_reasons: lost leads per reason (``unknown`` when none), most frequent first."""
    found = query.rows(con, _lost_sql(_REASONS_SQL), _params(scope))
    return {"lost_reasons": {reason: int(n) for reason, n in found}}


def report(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return summary() and tables(): what the report prints for these KPIs."""
    return {**summary(con, scope), **tables(con, scope)}


def lost_records(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, Any]]:
    """Return each lost lead: store, customer_id, lost_date, consultant, lost_reason, lost_to."""
    return query.records(con, _lost_sql(_LOST_LIST_SQL), _params(scope))


def month_scopes(scope: Scope, months: int) -> list[Scope]:
    """Return the scopes of the ``months`` calendar months ending with as_of's, oldest first:
    each a whole month as of its end (as_of for the running one), filters kept."""
    last = month_start(scope.as_of)
    out = []
    for n in range(months - 1, -1, -1):
        first = add_months(last, -n)
        end = month_end(first)
        out.append(replace(scope, start=first, end=end, as_of=min(end, scope.as_of),
                           horizon_at=None))  # fmt: skip
    return out


TALLY_COLUMNS = ["month", "lost_reason", "lost_to", "lost_leads"]
_TALLY_SQL = """
SELECT '' AS month, lost_reason, lost_to, count(*) AS lost_leads
FROM lost
GROUP BY ALL
ORDER BY ALL NULLS LAST
"""

# The stored lost leads counted per month: each period is a calendar month (or the part of it
# up to as_of) starting on its first day, so a row finds its period by its month, and the
# scan reads the days from the first period's start to the last one's end only.
_TALLY_STORED = f"""
WITH periods AS (
    SELECT unnest($p_month) AS month, unnest($p_start) AS s, unnest($p_end) AS e,
           unnest($p_as_of) AS a
)
SELECT p.month, coalesce(l.lost_reason, $unknown) AS lost_reason, l.lost_to,
       count(*) AS lost_leads
FROM summary_lead_lost l
JOIN periods p ON p.s = date_trunc('month', l.day)
WHERE l.day BETWEEN $lo AND $hi AND l.day BETWEEN p.s AND p.e
  AND (l.next_day IS NULL OR l.next_day > p.a) AND {store_clause("l")}
  AND {filter_clause("l.consultant", "consultant")}
GROUP BY ALL
ORDER BY ALL NULLS LAST
"""


def lost_tally(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 0) -> pd.DataFrame:
    """Return the lost leads counted per month, lost_reason and lost_to (the chart's and the
    competitors' figures without listing every lead).

    ``months`` 0: the scope's own period, month ''. Otherwise each of the ``months`` calendar
    months ending with as_of's (month_scopes), each its own period, month 'YYYY-MM'; as many
    as lost_records() lists for it. Columns: month, lost_reason, lost_to, lost_leads.
    """
    import pandas as pd

    tally = f"WITH {_lost_cte()} {_TALLY_SQL}"
    if months == 0:
        rows = query.rows(con, tally, _params(scope))
    elif query.summaries_allowed_any():
        periods = month_scopes(scope, months)
        p = _params(scope) | {
            "p_month": [f"{s.start:%Y-%m}" for s in periods],
            "p_start": [s.start for s in periods],
            "p_end": [s.upto for s in periods],
            "p_as_of": [s.as_of for s in periods],
            "lo": periods[0].start,
            "hi": periods[-1].upto,
        }
        rows = query.rows(con, _TALLY_STORED, p)
    else:  # each month's own query, in month order (as ORDER BY ALL sorts them)
        rows = []
        for s in month_scopes(scope, months):
            month = f"{s.start:%Y-%m}"
            rows += [(month, *r[1:]) for r in query.rows(con, tally, _params(s))]
    frame = pd.DataFrame(rows, columns=TALLY_COLUMNS)
    frame["lost_leads"] = frame["lost_leads"].astype("int64")
    return frame


def lost_list(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return lost_records() as a DataFrame (reasons and competitors on the Customers page)."""
    import pandas as pd

    cols = ["store", "customer_id", "lost_date", "consultant", "lost_reason", "lost_to"]
    return pd.DataFrame(lost_records(con, scope), columns=cols)


def capture_by_consultant(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return lead capture per (store, consultant): captured, first_visits, lead_capture_rate."""
    # the model and channel filters do not apply here (either way)
    summed = query.summaries_allowed(scope)
    sql = _CAPTURE_BY_CONSULTANT_SUMMED if summed else _CAPTURE_BY_CONSULTANT_SQL
    return query.frame(con, sql, scope.params)
