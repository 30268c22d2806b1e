-- service_ro.sql's KPIs from summary_service_days (kpi.service._ro_query names the fragments
-- in braces): the period's days, and the ROs open on as_of (opened minus settled up to it)
-- summed first per store and ro_type (all the days before as_of).
WITH days AS (
    SELECT s.store, s.ro_type, s.ro_count, s.closed_ro_count, s.service_revenue,
           s.service_gross, s.parts_gross, s.parts_revenue, s.labor_revenue,
           s.labor_hours, s.warranty_gross, 0 AS open_ros, {ftf_base} AS ftf_base,
           {comebacks} AS comebacks
    FROM summary_service_days s
    WHERE {days_filter} AND s.day BETWEEN $start AND $end
    UNION ALL
    SELECT s.store, s.ro_type, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
           sum(s.ro_count - s.settled), 0, 0
    FROM summary_service_days s
    WHERE {days_filter} AND s.day <= $as_of
    GROUP BY s.store, s.ro_type
),
agg AS (
    SELECT {key_select}
        CAST(coalesce(sum(s.ro_count), 0) AS BIGINT) AS ro_count,
        CAST(coalesce(sum(s.closed_ro_count), 0) AS BIGINT) AS closed_ro_count,
        coalesce(sum(s.service_revenue), 0) AS service_revenue,
        coalesce(sum(s.service_gross), 0) AS service_gross,
        coalesce(sum(s.parts_gross), 0) AS parts_gross,
        coalesce(sum(s.parts_revenue), 0) AS parts_revenue,
        coalesce(sum(s.labor_revenue), 0) AS labor_revenue,
        coalesce(sum(s.labor_hours), 0) AS labor_hours,
        coalesce(sum(s.warranty_gross), 0) AS warranty_gross,
        CAST(coalesce(sum(s.open_ros), 0) AS BIGINT) AS open_ros,
        CAST(coalesce(sum(s.ftf_base), 0) AS BIGINT) AS ftf_base,
        CAST(coalesce(sum(s.comebacks), 0) AS BIGINT) AS comebacks
    FROM days s
    {group}
    {having}
)
SELECT {key_names} {kpis}
FROM agg a
{order}
