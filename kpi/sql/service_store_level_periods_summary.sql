-- service_store_level_summary.sql's pooled parts KPIs for several periods in one query
-- (kpi.service._store_levels names the fragments in braces; the churn rate comes from
-- _churn_rates): each CTE keyed by the period's number (grp) instead of one query per
-- period, the parts cost of any period's days read in one scan and summed per day.
WITH periods (i, as_of, year_ago, s3_start, s3_end, pt_lo, pt_hi, as_of_month) AS (
    VALUES {periods}
),
costs AS (
    SELECT p.i AS grp,
           coalesce(sum(r.parts_cost) FILTER (
               WHERE r.day > p.year_ago AND r.day <= p.as_of), 0) AS cost_12m,
           coalesce(sum(r.parts_cost) FILTER (
               WHERE r.day BETWEEN p.s3_start AND p.s3_end), 0) AS cost_3m
    FROM periods p
    LEFT JOIN (SELECT r.day, sum(r.parts_cost) AS parts_cost
               FROM summary_service_days r
               WHERE {ro_store_filter} AND ({any_window})
               GROUP BY r.day) r
        ON r.day > p.year_ago OR r.day BETWEEN p.s3_start AND p.s3_end
    GROUP BY p.i
),
churn AS (
    SELECT NULL::INTEGER AS grp, 0 AS churn_base, 0 AS churned, NULL::DATE AS first_open
    WHERE false
),
month_stock AS (
    SELECT p.i AS grp, s.month, sum(s.stock_value) AS stock_value
    FROM summary_service_parts s
    JOIN periods p ON s.month BETWEEN p.pt_lo AND p.pt_hi
    WHERE {parts_store_filter}
    GROUP BY 1, 2
),
turn AS (SELECT grp, avg(stock_value) AS avg_stock FROM month_stock GROUP BY grp),
latest AS (
    SELECT p.i, s.store, max(s.month) AS month
    FROM summary_service_parts s
    JOIN periods p ON s.month <= p.as_of_month
    WHERE {parts_store_filter}
    GROUP BY p.i, s.store
),
snap AS (
    SELECT l.i AS grp, coalesce(sum(s.snapshot_rows), 0) AS snapshot_rows,
           coalesce(sum(s.stock_value), 0) AS stock_value,
           coalesce(sum(s.obsolete_value), 0) AS obsolete_value
    FROM summary_service_parts s
    JOIN latest l ON l.store = s.store AND l.month = s.month
    GROUP BY l.i
),
{kpis}
ORDER BY k.grp
