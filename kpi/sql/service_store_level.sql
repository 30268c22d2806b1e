-- The parts KPIs and the churn rate of each group, store level (kpi.service._store_level
-- names the fragments in braces; values are bound parameters).
WITH r AS (
    SELECT {rkey} AS grp, r.store, r.vin, r.open_date, r.close_date, r.parts_cost
    FROM repair_orders r
    WHERE {ro_store_filter}
      AND ({visits_window}r.close_date > $year_ago
           OR r.close_date BETWEEN $s3_start AND $s3_end)
),
costs AS (
    SELECT {grp},
           coalesce(sum(parts_cost) FILTER (
               WHERE close_date > $year_ago AND close_date <= $as_of), 0) AS cost_12m,
           coalesce(sum(parts_cost) FILTER (
               WHERE close_date BETWEEN $s3_start AND $s3_end), 0) AS cost_3m
    FROM r {group}
),
visits AS (
    SELECT grp, store, vin, max(open_date) AS last_open
    FROM r
    WHERE vin IS NOT NULL AND open_date > $churn_base AND open_date <= $as_of
    GROUP BY grp, store, vin
),
churn AS ({churn}),
month_stock AS (
    SELECT {month_grp}, p.month, sum(p.qty * p.unit_cost) AS stock_value
    FROM parts_stock p
    WHERE {parts_store_filter} AND p.month BETWEEN $pt_lo AND $pt_hi
    {month_group}
),
turn AS (SELECT {turn_grp}, avg(stock_value) AS avg_stock FROM month_stock {turn_group}),
latest AS ({latest_snapshots}),
snap AS (
    SELECT {snap_grp}, count(*) AS snapshot_rows,
           coalesce(sum(p.qty * p.unit_cost), 0) AS stock_value,
           coalesce(sum(p.qty * p.unit_cost) FILTER (
               WHERE {obsolete}), 0)
               AS obsolete_value
    FROM parts_stock p
    JOIN latest l ON l.store = p.store AND l.month = p.month
    {snap_group}
),
{kpis}
