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
- ``summary_service_churn`` per (store, day): how the churn counts of an as_of change on
  that day. Churn is not additive over days (a VIN counts once however often it came), but
  it is a function of the store and as_of alone: a VIN visited in the 24 months (b, a] is
  counted once, on its first visit of them (the one whose previous visit is at or before b),
  and each visit counts so for an interval of as_of dates. The table keeps +1 where such an
  interval starts and -1 after it ends, so a store's count on as_of is the sum of its rows
  up to that day (likewise the VINs seen in the last 12 months, and first visits).
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
# A visit for churn: a non-internal RO with a VIN. A VIN is in the churn base on as_of when
# it visited in the CHURN_BASE_MONTHS to as_of, lost when not in the last CHURN_MONTHS.
VISIT = f"{SERVICE_RO} AND r.vin IS NOT NULL"
CHURN_MONTHS = 12
CHURN_BASE_MONTHS = 24
# A snapshot is dated its month's last day (parts_stock.month is 'YYYY-MM'); a part is
# obsolete when it has not moved for more than OBSOLETE_DAYS before that day (a constant of
# the catalogue's definition, written into the condition: the summary's refresh binds none).
OBSOLETE_DAYS = 180
SNAPSHOT_END = (
    "CAST(CAST(p.month || '-01' AS DATE) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE)"
)
OBSOLETE = f"p.last_movement_date < {SNAPSHOT_END} - {OBSOLETE_DAYS}"

DAYS_DDL = """CREATE TABLE IF NOT EXISTS summary_service_days (
    store VARCHAR NOT NULL, day DATE, ro_type VARCHAR,
    ro_count BIGINT, ftf_base BIGINT, comebacks BIGINT,
    closed_ro_count BIGINT, service_revenue DOUBLE,
    service_gross DOUBLE, parts_gross DOUBLE, parts_revenue DOUBLE,
    labor_revenue DOUBLE, labor_hours DOUBLE, warranty_gross DOUBLE,
    parts_cost DOUBLE, settled BIGINT)"""


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
        FROM r WHERE close_date IS NOT NULL AND open_date IS NOT NULL GROUP BY 1, 2, 3
    )
    SELECT store, day, ro_type, sum(ro_count), sum(ftf_base), sum(comebacks),
           sum(closed_ro_count), sum(service_revenue), sum(service_gross), sum(parts_gross),
           sum(parts_revenue), sum(labor_revenue), sum(labor_hours), sum(warranty_gross),
           sum(parts_cost), sum(settled)
    FROM days GROUP BY store, day, ro_type
    """


CHURN_DDL = """CREATE TABLE IF NOT EXISTS summary_service_churn (
    store VARCHAR NOT NULL, day DATE, base_delta BIGINT,
    kept_delta BIGINT, first_visits BIGINT)"""


def _first_as_of(t: str, months: int) -> str:
    """Return SQL for the first as_of a with a - ``months`` months >= t (months clamp their
    day as kpi.scope.add_months does: t + months, or the day after when t was clamped)."""
    x = f"CAST({t} + INTERVAL {months} MONTH AS DATE)"
    return f"CASE WHEN {x} - INTERVAL {months} MONTH >= {t} THEN {x} ELSE {x} + 1 END"


def churn_select(where: str) -> str:
    """Return the SELECT of summary_service_churn (see the module's docstring).

    A visit on day d of a VIN last seen on p (NULL: never) is the VIN's first of the window
    (b, a], b = a - 24 months, for a in [max(d, first a with b >= p), (first a with b >= d) - 1];
    its first since c = a - 12 months for a in [max(d, first a with c >= p + 1), (first a with
    c >= d + 1) - 1]. ``base_delta`` and ``kept_delta`` open (+1) and close (-1) them.

    Half the cost of a window over the visits on a group's 3 million ROs: each VIN's visit
    days as one sorted list (p is the day before in it), the month arithmetic once per
    calendar day (``cal``), and the visits counted per opening day and per visit day (one
    grouping-sets pass) before the deltas, not one delta row per visit and bound.
    """
    base, kept = CHURN_BASE_MONTHS, CHURN_MONTHS
    return f"""
    WITH visited AS (
        SELECT r.store, list_sort(list_distinct(list(r.open_date))) AS days
        FROM repair_orders r
        WHERE {VISIT} AND r.open_date IS NOT NULL AND {where.format(t="r")}
        GROUP BY r.store, r.vin
    ),
    v AS (
        SELECT store, unnest(days) AS day,
               unnest(list_prepend(NULL, list_slice(days, 1, len(days) - 1))) AS prev
        FROM visited
    ),
    -- per calendar day d: the first as_of whose 24-month bound reaches d, and whose
    -- 12-month bound reaches d + 1
    span AS (
        SELECT min(r.open_date) AS lo, max(r.open_date) AS hi
        FROM repair_orders r
        WHERE {VISIT} AND {where.format(t="r")}
    ),
    cal AS (
        SELECT d AS day, {_first_as_of("d", base)} AS base_at,
               {_first_as_of("d + 1", kept)} AS kept_at
        FROM (SELECT lo + CAST(i AS INTEGER) AS d FROM span, range(hi - lo + 1) t(i))
    ),
    w AS (
        SELECT v.store, v.day, v.prev IS NULL AS first,
               CASE WHEN v.prev IS NULL THEN v.day ELSE greatest(v.day, p.base_at) END
                   AS base_from,
               d.base_at AS base_end,
               CASE WHEN v.prev IS NULL THEN v.day ELSE greatest(v.day, p.kept_at) END
                   AS kept_from,
               d.kept_at AS kept_end
        FROM v
        JOIN cal d ON d.day = v.day
        LEFT JOIN cal p ON p.day = v.prev
    ),
    -- how many visits open an interval per day, and how many close one per visit day (its
    -- end is a function of the day)
    counted AS (
        SELECT store, base_from, kept_from, day,
               count(*) FILTER (WHERE base_from < base_end) AS base_n,
               count(*) FILTER (WHERE kept_from < kept_end) AS kept_n,
               count(*) FILTER (WHERE first) AS first_n,
               any_value(base_end) AS base_end, any_value(kept_end) AS kept_end
        FROM w
        GROUP BY GROUPING SETS ((store, base_from), (store, kept_from), (store, day))
    ),
    deltas AS (
        SELECT store, base_from AS day, base_n AS base, 0 AS kept, 0 AS firsts
        FROM counted WHERE base_from IS NOT NULL
        UNION ALL
        SELECT store, kept_from, 0, kept_n, 0 FROM counted WHERE kept_from IS NOT NULL
        UNION ALL
        SELECT store, base_end, -base_n, 0, 0 FROM counted WHERE day IS NOT NULL
        UNION ALL
        SELECT store, kept_end, 0, -kept_n, 0 FROM counted WHERE day IS NOT NULL
        UNION ALL
        SELECT store, day, 0, 0, first_n FROM counted WHERE day IS NOT NULL
    )
    SELECT store, day, sum(base), sum(kept), sum(firsts)
    FROM deltas
    GROUP BY store, day
    HAVING sum(base) <> 0 OR sum(kept) <> 0 OR sum(firsts) <> 0
    """


PARTS_DDL = """CREATE TABLE IF NOT EXISTS summary_service_parts (
    store VARCHAR NOT NULL, month VARCHAR, snapshot_rows BIGINT,
    stock_value DOUBLE, obsolete_value DOUBLE)"""


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
    store VARCHAR NOT NULL, month DATE, ro_type VARCHAR, technician VARCHAR,
    labor_hours DOUBLE, labor_revenue DOUBLE)"""


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
