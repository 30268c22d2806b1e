-- service_store_level.sql's figures from the summary tables (kpi.service._store_level names
-- the fragments in braces): parts cost per close day, parts snapshots per month, and the
-- churn CTE from the VINs' visit days.
WITH costs AS (
    SELECT {grp},
           coalesce(sum(parts_cost) FILTER (
               WHERE close_date > $year_ago AND close_date <= $as_of), 0) AS cost_12m,
           coalesce(sum(parts_cost) FILTER (
               WHERE close_date BETWEEN $s3_start AND $s3_end), 0) AS cost_3m
    FROM (SELECT {rkey} AS grp, r.day AS close_date, r.parts_cost
          FROM summary_service_days r
          WHERE {ro_store_filter}
            AND (r.day > $year_ago OR r.day BETWEEN $s3_start AND $s3_end)) days
    {group}
),
churn AS ({churn}),
month_stock AS (
    SELECT {month_grp}, p.month, sum(p.stock_value) AS stock_value
    FROM summary_service_parts p
    WHERE {parts_store_filter} AND p.month BETWEEN $pt_lo AND $pt_hi
    {month_group}
),
turn AS (SELECT {turn_grp}, avg(stock_value) AS avg_stock FROM month_stock {turn_group}),
latest AS (
    SELECT p.store, max(p.month) AS month
    FROM summary_service_parts p
    WHERE {parts_store_filter} AND p.month <= $as_of_month
    GROUP BY p.store
),
snap AS (
    SELECT {snap_grp}, coalesce(sum(p.snapshot_rows), 0) AS snapshot_rows,
           coalesce(sum(p.stock_value), 0) AS stock_value,
           coalesce(sum(p.obsolete_value), 0) AS obsolete_value
    FROM summary_service_parts p
    JOIN latest l ON l.store = p.store AND l.month = p.month
    {snap_group}
),
{kpis}
