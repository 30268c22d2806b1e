"""Summary tables and derived state of the lead KPIs (kpi.leads, and kpi.customers' lead book).

Written with the data (warehouse.derived), for the stores a write touched:

- ``summary_lead_capture``: per store, visit day and consultant, the first-visit walk-ins
  (``first_visits``) and those with a customer_id (``captured``): lead capture rate is
  sum(captured) ÷ sum(first_visits) over the period's days (additive), per consultant too.
- ``summary_lead_lost``: lost leads are not additive (a customer's latest level as of a
  date), so this is derived state at lead level: one row per customer and day whose last
  leveled row (by date, a follow-up after a visit of the same day, then the greater id) sets
  F, with the day of the customer's next leveled row (``next_day``, NULL if none) and that
  row's consultant, lost_reason and lost_to. The row is the customer's latest level from its
  day until the day before ``next_day``: a customer is lost in a period as of as_of exactly
  when a row has its day in the period (start to as_of) and no next_day on or before as_of.
- ``summary_lead_book``: the lead book of ``derived_lead_months`` (warehouse.leadbook) with
  the exact latest level, the consultant of the latest contact after each month and the
  customer's first order, so a read of the open leads looks up neither the rows behind a
  state nor the orders (but those of the customers contacted in as_of's month, when that
  month's state is not the stored one).

The row conditions live here and kpi.leads imports them (the store package imports nothing
from the KPI library).
"""

from __future__ import annotations

# The traffic rows lead_capture_rate divides by (no alias: kpi.leads adds the period and the
# filters), and those it counts captured.
FIRST_VISIT = "kind = 'walk_in' AND first_visit"
CAPTURED = "customer_id IS NOT NULL"
# The level that means lost (战败).
LOST_LEVEL = "F"

CAPTURE_DDL = """CREATE TABLE IF NOT EXISTS summary_lead_capture (
    store VARCHAR NOT NULL, day DATE NOT NULL, consultant VARCHAR, captured BIGINT NOT NULL,
    first_visits BIGINT NOT NULL)"""

LOST_DDL = """CREATE TABLE IF NOT EXISTS summary_lead_lost (
    store VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, day DATE NOT NULL, next_day DATE,
    consultant VARCHAR, lost_reason VARCHAR, lost_to VARCHAR)"""

BOOK_DDL = """CREATE TABLE IF NOT EXISTS summary_lead_book (
    store VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, m INTEGER NOT NULL, next_m INTEGER,
    last_contact DATE, level VARCHAR, consultant VARCHAR, first_order DATE)"""


def capture_select(where: str) -> str:
    """Return the SELECT filling ``summary_lead_capture`` (``where`` on {t}.store)."""
    return f"""
    SELECT t.store, t.visit_date AS day, t.consultant, count(*) FILTER (WHERE {CAPTURED}),
           count(*)
    FROM traffic t
    WHERE {FIRST_VISIT} AND t.visit_date IS NOT NULL AND {where.format(t="t")}
    GROUP BY 1, 2, 3
    -- in day order: a period's read skips most row groups
    ORDER BY 2
    """


def level_rows(where: str) -> str:
    """Return the SELECT of every traffic row and follow-up with a customer and a level.

    Columns: store, customer_id, day, src (0 a visit, 1 a follow-up), row_id, consultant,
    lead_level, lost_reason (a follow-up's; NULL on a visit), lost_to (empty as NULL). Within
    a customer the rows are ordered by (day, src, row_id). ``where`` is a condition template
    on ``{t}.store`` (kpi.leads passes its store filter).
    """
    return f"""
    SELECT t.store, t.customer_id, t.visit_date AS day, 0 AS src, t.visit_id AS row_id,
           t.consultant, nullif(t.lead_level, '') AS lead_level,
           CAST(NULL AS VARCHAR) AS lost_reason, CAST(NULL AS VARCHAR) AS lost_to
    FROM traffic t
    WHERE t.customer_id IS NOT NULL AND nullif(t.lead_level, '') IS NOT NULL
      AND {where.format(t="t")}
    UNION ALL
    SELECT f.store, f.customer_id, f.followup_date, 1, f.followup_id, f.consultant,
           nullif(f.lead_level, ''), f.lost_reason, nullif(f.lost_to, '')
    FROM followups f
    WHERE f.customer_id IS NOT NULL AND nullif(f.lead_level, '') IS NOT NULL
      AND {where.format(t="f")}
    """


def lost_select(where: str) -> str:
    """Return the SELECT filling ``summary_lead_lost`` (``where`` on {t}.store).

    A leveled row that is the last of its customer's day (the next leveled row is dated
    later, or there is none) and sets F, with that next row's day.
    """
    return f"""
    WITH ranked AS (
        SELECT store, customer_id, day, consultant, lead_level, lost_reason, lost_to,
               lead(day) OVER (
                   PARTITION BY store, customer_id ORDER BY day, src, row_id) AS next_day
        FROM ({level_rows(where)})
    )
    SELECT store, customer_id, day, next_day, consultant, lost_reason, lost_to
    FROM ranked
    WHERE lead_level = '{LOST_LEVEL}' AND day IS NOT NULL
      AND (next_day IS NULL OR next_day > day)
    -- in day order: a period's read skips most row groups
    ORDER BY day
    """
