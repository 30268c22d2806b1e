-- service_ro_summary.sql's pooled KPIs for several periods in one query (kpi.service.
-- _ro_periods names the fragments in braces): each period's days summed by a join with the
-- periods (they may overlap), the days of any period being one condition the scan checks;
-- the ROs open on each period's as_of (opened minus settled up to it) in one pass.
WITH periods (i, lo, hi) AS (VALUES {periods}),
sums AS (
    SELECT p.i,
           sum(s.ro_count) AS ro_count,
           sum(s.closed_ro_count) AS closed_ro_count,
           sum(s.service_revenue) AS service_revenue,
           sum(s.service_gross) AS service_gross,
           sum(s.parts_gross) AS parts_gross,
           sum(s.parts_revenue) AS parts_revenue,
           sum(s.labor_revenue) AS labor_revenue,
           sum(s.labor_hours) AS labor_hours,
           sum(s.warranty_gross) AS warranty_gross,
           sum(s.ftf_base) AS ftf_base,
           sum(s.comebacks) AS comebacks
    FROM summary_service_days s
    JOIN periods p ON s.day BETWEEN p.lo AND p.hi
    WHERE {days_filter} AND ({any_day})
    GROUP BY p.i
),
opens AS (
    SELECT {opens}
    FROM summary_service_days s
    WHERE {days_filter}
),
a AS (
    SELECT p.i,
           CAST(coalesce(s.ro_count, 0) AS BIGINT) AS ro_count,
           CAST(coalesce(s.closed_ro_count, 0) AS BIGINT) AS closed_ro_count,
           coalesce(s.service_revenue, 0) AS service_revenue,
           coalesce(s.service_gross, 0) AS service_gross,
           coalesce(s.parts_gross, 0) AS parts_gross,
           coalesce(s.parts_revenue, 0) AS parts_revenue,
           coalesce(s.labor_revenue, 0) AS labor_revenue,
           coalesce(s.labor_hours, 0) AS labor_hours,
           coalesce(s.warranty_gross, 0) AS warranty_gross,
           CAST(coalesce({open_ros}, 0) AS BIGINT) AS open_ros,
           CAST(coalesce(s.ftf_base, 0) AS BIGINT) AS ftf_base,
           CAST(coalesce(s.comebacks, 0) AS BIGINT) AS comebacks
    FROM periods p
    LEFT JOIN sums s ON s.i = p.i
    CROSS JOIN opens o
)
SELECT {kpis}
FROM a
ORDER BY a.i
