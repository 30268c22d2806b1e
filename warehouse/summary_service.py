"""After-sales summary tables: the additive parts of the service KPIs per store and day.

kpi.service reads these instead of the 20 million repair orders of a large group wherever no
advisor filter applies (warehouse.derived refreshes them with every write, for the stores it
touched). The row conditions live here, below the KPI library, and kpi.service builds its
raw queries from the same strings, so both ways count the same rows:

- ``summary_service_days`` per (store, day, ro_type): ROs opened that day (ro_count, the
  first-time-fix base and its comebacks), ROs closed that day (revenue, gross, labour, parts
  cost) and ROs settled that day (``greatest(open_date, close_date)``: an RO is open on
  as_of when it opened by then and has not settled by then, so open_ros is a difference of
  two running counts).
- ``summary_service_visits`` per (store, day, previous visit day): each VIN's distinct visit
  days with the one before (churn: a VIN visited in (b, a] is counted once, on its first
  visit of the window, the one whose previous visit is at or before b).
- ``summary_service_parts`` per (store, snapshot month): parts stock value, its rows and its
  obsolete value (a snapshot's obsolete parts depend on its own month only).
- ``summary_service_tech_months`` per (store, close month, ro_type, technician): labour hours
  and revenue of the ROs closed (technician productivity and efficiency over whole months).
"""

from __future__ import annotations

# Internal ROs count nowhere (kpi.service's docstring).
SERVICE_RO = "r.ro_type <> 'internal'"
# The ROs the first-time-fix rate is over (opened in the period) and the warranty ROs.
FTF_TYPES = "r.ro_type IN ('repair', 'warranty')"
WARRANTY = "r.ro_type = 'warranty'"
# An RO's gross: labour and parts revenue less their cost (labour cost optional).
GROSS = "r.labor_revenue + r.parts_revenue - coalesce(r.labor_cost, 0) - r.parts_cost"
# A visit for churn: a non-internal RO with a VIN.
VISIT = f"{SERVICE_RO} AND r.vin IS NOT NULL"
# A snapshot is dated its month's last day (parts_stock.month is 'YYYY-MM'); a part is
# obsolete when it has not moved for more than OBSOLETE_DAYS before that day (a constant of
# the catalogue's definition, written into the condition: the summary's refresh binds none).
OBSOLETE_DAYS = 180
SNAPSHOT_END = (
    "CAST(CAST(p.month || '-01' AS DATE) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE)"
)
OBSOLETE = f"p.last_movement_date < {SNAPSHOT_END} - {OBSOLETE_DAYS}"

DAYS_DDL = """CREATE TABLE IF NOT EXISTS summary_service_days (
    store VARCHAR NOT NULL, day DATE NOT NULL, ro_type VARCHAR NOT NULL,
    ro_count BIGINT NOT NULL, ftf_base BIGINT NOT NULL, comebacks BIGINT NOT NULL,
    closed_ro_count BIGINT NOT NULL, service_revenue DOUBLE NOT NULL,
    service_gross DOUBLE NOT NULL, parts_gross DOUBLE NOT NULL, parts_revenue DOUBLE NOT NULL,
    labor_revenue DOUBLE NOT NULL, labor_hours DOUBLE NOT NULL, warranty_gross DOUBLE NOT NULL,
    parts_cost DOUBLE NOT NULL, settled BIGINT NOT NULL)"""


def days_select(where: str) -> str:
    """Return the SELECT of summary_service_days (``where``: a condition on ``{t}.store``).

    Three passes keyed by the day each figure takes (open, close, settle), then merged.
    """
    return f"""
    WITH r AS (
        SELECT r.store, r.ro_type, r.open_date, r.close_date, r.comeback,
               r.labor_revenue + r.parts_revenue AS revenue, {GROSS} AS gross,
               r.parts_revenue - r.parts_cost AS parts_gross, r.parts_revenue,
               r.labor_revenue, r.labor_hours, r.parts_cost,
               {FTF_TYPES} AS ftf, {WARRANTY} AS warranty
        FROM v_repair_orders r
        WHERE {SERVICE_RO} AND {where.format(t="r")}
    ),
    days AS (
        SELECT store, open_date AS day, ro_type, count(*) AS ro_count,
               count(*) FILTER (WHERE ftf) AS ftf_base,
               count(*) FILTER (WHERE ftf AND comeback) AS comebacks,
               0 AS closed_ro_count, 0.0 AS service_revenue, 0.0 AS service_gross,
               0.0 AS parts_gross, 0.0 AS parts_revenue, 0.0 AS labor_revenue,
               0.0 AS labor_hours, 0.0 AS warranty_gross, 0.0 AS parts_cost, 0 AS settled
        FROM r GROUP BY 1, 2, 3
        UNION ALL
        SELECT store, close_date, ro_type, 0, 0, 0, count(*), sum(revenue), sum(gross),
               sum(parts_gross), sum(parts_revenue), sum(labor_revenue), sum(labor_hours),
               coalesce(sum(gross) FILTER (WHERE warranty), 0), sum(parts_cost), 0
        FROM r WHERE close_date IS NOT NULL GROUP BY 1, 2, 3
        UNION ALL
        SELECT store, greatest(open_date, close_date), ro_type, 0, 0, 0, 0, 0.0, 0.0, 0.0,
               0.0, 0.0, 0.0, 0.0, 0.0, count(*)
        FROM r WHERE close_date IS NOT NULL GROUP BY 1, 2, 3
    )
    SELECT store, day, ro_type, sum(ro_count), sum(ftf_base), sum(comebacks),
           sum(closed_ro_count), sum(service_revenue), sum(service_gross), sum(parts_gross),
           sum(parts_revenue), sum(labor_revenue), sum(labor_hours), sum(warranty_gross),
           sum(parts_cost), sum(settled)
    FROM days GROUP BY store, day, ro_type
    """


VISITS_DDL = """CREATE TABLE IF NOT EXISTS summary_service_visits (
    store VARCHAR NOT NULL, day DATE NOT NULL, prev_day DATE, visits BIGINT NOT NULL)"""


def visits_select(where: str) -> str:
    """Return the SELECT of summary_service_visits: per (store, day, previous visit day) the
    number of VINs visiting that day whose visit before was that day (NULL: none before)."""
    return f"""
    SELECT store, day, prev_day, count(*)
    FROM (
        SELECT store, day, lag(day) OVER (PARTITION BY store, vin ORDER BY day) AS prev_day
        FROM (
            SELECT DISTINCT r.store, r.vin, r.open_date AS day
            FROM repair_orders r
            WHERE {VISIT} AND {where.format(t="r")}
        )
    )
    GROUP BY store, day, prev_day
    """


PARTS_DDL = """CREATE TABLE IF NOT EXISTS summary_service_parts (
    store VARCHAR NOT NULL, month VARCHAR NOT NULL, snapshot_rows BIGINT NOT NULL,
    stock_value DOUBLE NOT NULL, obsolete_value DOUBLE NOT NULL)"""


def parts_select(where: str) -> str:
    """Return the SELECT of summary_service_parts: each snapshot's value, rows, obsolete value."""
    return f"""
    SELECT p.store, p.month, count(*), coalesce(sum(p.qty * p.unit_cost), 0),
           coalesce(sum(p.qty * p.unit_cost) FILTER (WHERE {OBSOLETE}), 0)
    FROM parts_stock p
    WHERE {where.format(t="p")}
    GROUP BY p.store, p.month
    """


TECH_MONTHS_DDL = """CREATE TABLE IF NOT EXISTS summary_service_tech_months (
    store VARCHAR NOT NULL, month DATE NOT NULL, ro_type VARCHAR NOT NULL, technician VARCHAR,
    labor_hours DOUBLE NOT NULL, labor_revenue DOUBLE NOT NULL)"""


def tech_months_select(where: str) -> str:
    """Return the SELECT of summary_service_tech_months: labour of the ROs closed per month
    (its first day), ro_type and main technician."""
    return f"""
    SELECT r.store, CAST(date_trunc('month', r.close_date) AS DATE), r.ro_type, r.technician,
           sum(r.labor_hours), sum(r.labor_revenue)
    FROM repair_orders r
    WHERE {SERVICE_RO} AND r.close_date IS NOT NULL AND {where.format(t="r")}
    GROUP BY 1, 2, 3, 4
    """
