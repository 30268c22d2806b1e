-- service_monthly.sql's figures from summary_service_days s (kpi.service names the fragment
-- in braces): each day's ROs opened and closed are in its month.
SELECT year(s.day) * 100 + month(s.day) AS m, sum(s.ro_count) AS ro_count,
       sum(s.service_revenue) AS service_revenue, sum(s.service_gross) AS service_gross,
       sum(s.service_gross) / nullif(sum(s.service_revenue), 0) AS service_gross_margin,
       1 - CAST(sum(s.comebacks) AS DOUBLE) / nullif(sum(s.ftf_base), 0)
           AS first_time_fix_rate
FROM summary_service_days s
WHERE {days_filter} AND s.day BETWEEN $start AND $end
GROUP BY 1
