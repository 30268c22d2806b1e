"""Summary tables of the customer KPIs: return visits, surveys and complaints per store and day.

The additive parts of kpi.customers' flows, written with the data (warehouse.derived):

- ``summary_customer_visits``: served events (deliveries and closed non-internal repair
  orders) per store and day served (``served``), and ``lag0`` .. ``lag7`` those whose first
  'return_visit' follow-up of the same store and customer came that many days after (none
  within the window, or no customer: counted in ``served`` only). An event of a period
  with lag L is followed iff ``day + L <= $horizon``: the raw query's other bounds
  (follow-ups from the period's start to its end plus the window) hold for every follow-up
  between the event and the window's end, since the event lies inside the period.
- ``summary_customer_surveys``: per store and survey day, the sums and counts of the scores
  of each department (CSI = sum / count × 10) and the promoters, detractors and answers of
  the recommend question (NPS).
- ``summary_customer_complaints``: per store and closing day, satisfied answers among the
  answered ones and the days taken to close (complaint satisfaction and close days).

The row conditions live here and kpi.customers imports them (the store package imports
nothing from the KPI library).
"""

from __future__ import annotations

# A follow-up within this many days after a served event is a return visit (catalogue).
RETURN_VISIT_WINDOW_DAYS = 7
# Served events: orders (o) delivered and repair orders (r) that are not internal.
DELIVERED = "o.status = 'delivered'"
SERVED_RO = "r.ro_type <> 'internal'"
# The follow-ups (f) that count as a return visit.
RETURN_VISIT = "f.kind = 'return_visit'"
# Surveys' departments and the recommend answers NPS counts (no alias: inside FILTER).
SALES_SURVEY = "department = 'sales'"
SERVICE_SURVEY = "department = 'service'"
PROMOTER = "recommend >= 9"
DETRACTOR = "recommend <= 6"

LAGS = range(RETURN_VISIT_WINDOW_DAYS + 1)
VISITS_DDL = f"""CREATE TABLE IF NOT EXISTS summary_customer_visits (
    store VARCHAR NOT NULL, day DATE NOT NULL, served BIGINT NOT NULL,
    {", ".join(f"lag{n} BIGINT NOT NULL" for n in LAGS)})"""

SURVEYS_DDL = """CREATE TABLE IF NOT EXISTS summary_customer_surveys (
    store VARCHAR NOT NULL, day DATE NOT NULL,
    sales_score_sum DOUBLE, sales_scores BIGINT NOT NULL,
    service_score_sum DOUBLE, service_scores BIGINT NOT NULL,
    promoters BIGINT NOT NULL, detractors BIGINT NOT NULL, recommends BIGINT NOT NULL)"""

COMPLAINTS_DDL = """CREATE TABLE IF NOT EXISTS summary_customer_complaints (
    store VARCHAR NOT NULL, day DATE NOT NULL, satisfied BIGINT NOT NULL,
    answered BIGINT NOT NULL, close_days_sum BIGINT, close_days_n BIGINT NOT NULL)"""


def visits_select(where: str) -> str:
    """Return the SELECT filling ``summary_customer_visits``; ``where`` a template on {t}.store.

    Each customer's served events and return-visit days in one sorted window (latest first, a
    visit before an event of its day): the least visit day up to an event's row is the first
    return visit on or after it. A window sorts and spills to disk where a join of millions
    of events with millions of visits would hold them all in memory.
    """
    return f"""
    WITH marks AS (
        SELECT o.store, o.customer_id, o.delivery_date AS day, true AS served
        FROM orders o
        WHERE {DELIVERED} AND o.delivery_date IS NOT NULL AND {where.format(t="o")}
        UNION ALL
        SELECT r.store, r.customer_id, r.close_date, true
        FROM repair_orders r
        WHERE {SERVED_RO} AND r.close_date IS NOT NULL AND {where.format(t="r")}
        UNION ALL
        SELECT DISTINCT f.store, f.customer_id, f.followup_date, false
        FROM followups f
        WHERE {RETURN_VISIT} AND f.customer_id IS NOT NULL AND f.followup_date IS NOT NULL
          AND {where.format(t="f")}
    ),
    nexts AS (
        SELECT store, day, served,
               min(CASE WHEN NOT served THEN day END) OVER (
                   PARTITION BY store, customer_id ORDER BY day DESC, served
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS next_visit
        FROM marks
    )
    SELECT store, day, count(*) AS served,
           {", ".join(f"count(*) FILTER (WHERE next_visit = day + {n})" for n in LAGS)}
    FROM nexts
    WHERE served
    GROUP BY store, day
    """


def surveys_select(where: str) -> str:
    """Return the SELECT filling ``summary_customer_surveys`` (``where`` on {t}.store)."""
    return f"""
    SELECT v.store, v.survey_date AS day,
           sum(score) FILTER (WHERE {SALES_SURVEY}),
           count(score) FILTER (WHERE {SALES_SURVEY}),
           sum(score) FILTER (WHERE {SERVICE_SURVEY}),
           count(score) FILTER (WHERE {SERVICE_SURVEY}),
           count(*) FILTER (WHERE {PROMOTER}), count(*) FILTER (WHERE {DETRACTOR}),
           count(recommend)
    FROM surveys v
    WHERE v.survey_date IS NOT NULL AND {where.format(t="v")}
    GROUP BY 1, 2
    """


def complaints_select(where: str) -> str:
    """Return the SELECT filling ``summary_customer_complaints`` (``where`` on {t}.store)."""
    return f"""
    SELECT c.store, c.closed_date AS day,
           count(*) FILTER (WHERE satisfied), count(satisfied),
           sum(closed_date - opened_date), count(closed_date - opened_date)
    FROM complaints c
    WHERE c.closed_date IS NOT NULL AND {where.format(t="c")}
    GROUP BY 1, 2
    """


# The catalogue's default follow-up cadence in days per open lead level (kpi.catalogue's
# DEFAULT_CADENCE, which kpi.customers checks it against): the lead summary is computed with
# it, so it serves only stores without cadence overrides.
LEAD_CADENCE_DAYS = (("O", 7), ("H", 2), ("A", 7), ("B", 14), ("C", 30))

LEADS_DDL = """CREATE TABLE IF NOT EXISTS summary_customer_leads (
    store VARCHAR NOT NULL, day DATE NOT NULL, opened BIGINT NOT NULL, overdue BIGINT NOT NULL)"""


def leads_select(where: str) -> str:
    """Return the SELECT filling ``summary_customer_leads`` (``where`` on {t}.store).

    The changes, per store and day, of the number of open leads and of overdue ones (default
    cadence): the open leads as of a date are the sum of ``opened`` over the days up to it,
    the overdue ones the sum of ``overdue``. Each customer's state after a day with a contact
    (its latest leveled row so far by date, a follow-up after a visit of the day, then id;
    last contact that day) holds until its next contact day; while its level is O, H, A, B
    or C and the customer has no non-cancelled order dated on or before the date, it is an
    open lead, and overdue from the day after last contact + cadence. Open levels and their
    cadence are the catalogue's (kpi.customers documents the lead book).
    """
    cadence = ", ".join(f"('{level}', {days})" for level, days in LEAD_CADENCE_DAYS)
    return f"""
    WITH contacts AS (
        SELECT t.store, t.customer_id, t.visit_date AS day,
               (t.visit_date - DATE '1970-01-01') * 2 AS k, t.visit_id AS row_id,
               nullif(t.lead_level, '') AS lead_level
        FROM traffic t
        WHERE t.customer_id IS NOT NULL AND {where.format(t="t")}
        UNION ALL
        SELECT f.store, f.customer_id, f.followup_date,
               (f.followup_date - DATE '1970-01-01') * 2 + 1, f.followup_id,
               nullif(f.lead_level, '')
        FROM followups f
        WHERE f.customer_id IS NOT NULL AND {where.format(t="f")}
    ),
    contact_days AS (
        SELECT store, customer_id, day,
               arg_max(lead_level, (k, row_id)) FILTER (WHERE lead_level IS NOT NULL) AS level
        FROM contacts
        GROUP BY store, customer_id, day
    ),
    buyers AS (
        SELECT o.store, o.customer_id, min(o.order_date) AS first_order
        FROM orders o
        WHERE o.status <> 'cancelled' AND o.customer_id IS NOT NULL AND {where.format(t="o")}
        GROUP BY o.store, o.customer_id
    ),
    states AS (
        SELECT store, customer_id, day,
               lead(day) OVER (PARTITION BY store, customer_id ORDER BY day) AS next_day,
               last_value(level IGNORE NULLS) OVER (
                   PARTITION BY store, customer_id ORDER BY day
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level
        FROM contact_days
    ),
    spans AS (
        -- open from the contact day until the next one or the first order (exclusive)
        SELECT s.store, s.day AS start, least(s.next_day, b.first_order) AS stop,
               s.day + c.days + 1 AS late
        FROM states s
        JOIN (VALUES {cadence}) c(level, days) ON c.level = s.level
        LEFT JOIN buyers b ON b.store = s.store AND b.customer_id = s.customer_id
        WHERE b.first_order IS NULL OR b.first_order > s.day
    ),
    changes AS (
        SELECT store, start AS day, 1 AS opened, 0 AS overdue FROM spans
        UNION ALL
        SELECT store, stop, -1, 0 FROM spans WHERE stop IS NOT NULL
        UNION ALL
        SELECT store, late, 0, 1 FROM spans WHERE stop IS NULL OR late < stop
        UNION ALL
        SELECT store, stop, 0, -1 FROM spans WHERE late < stop
    )
    SELECT store, day, sum(opened) AS opened, sum(overdue) AS overdue
    FROM changes
    GROUP BY store, day
    HAVING sum(opened) <> 0 OR sum(overdue) <> 0
    """
