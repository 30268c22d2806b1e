-- The inventory KPIs of each period row p, pooled, per model or per store group
-- (kpi.inventory._aggregate_query names the fragments in braces; values are bound $parameters).
WITH p AS (
    SELECT {period_columns}
),
vehicles AS (
    SELECT {vehicle_raw_key} v.arrival_date, v.sold_date,
           coalesce(v.ordered_date, DATE '0001-01-01') AS ordered_date,
           coalesce(v.eta, DATE '0001-01-01') AS eta,
           v.cost,
           {floorplan_day} AS floorplan_day
    FROM v_vehicles v
    LEFT JOIN stores s ON s.store = v.store
    WHERE {vehicle_filter} {vehicles_used}
),
-- Vehicles that count alike in every period, one row with their number and sums: the order
-- date and eta are only compared with the periods' as_of and horizon dates, so each is
-- replaced by the first of those on or after it (a later date than them all by 9999-12-31).
alike AS (
    SELECT {vehicle_raw_group} arrival_date, sold_date,
           {ordered_bucket} AS ordered_date,
           {eta_bucket} AS eta,
           count(*) AS n, sum(cost) AS cost, sum(floorplan_day) AS floorplan_day
    FROM vehicles
    GROUP BY ALL
),
veh AS (
    SELECT p.grp, {vehicle_key}
           sum(v.n) FILTER (WHERE {in_stock})::BIGINT AS stock_units,
           sum(v.n) FILTER (WHERE {in_transit})::BIGINT AS in_transit_units,
           sum(v.n) FILTER (WHERE {in_transit} AND (v.eta IS NULL OR v.eta <= p.horizon))::BIGINT
               AS in_transit_by_horizon,
           sum(v.n * (p.as_of - v.arrival_date)) FILTER (WHERE {in_stock}) AS age_days_sum,
           sum(v.n) FILTER (WHERE {aged_90})::BIGINT AS aged_units_90,
           {bucket_counts}
           coalesce(sum(v.cost) FILTER (WHERE {in_stock}), 0) AS capital_tied_up,
           coalesce(sum(v.floorplan_day * {floorplan_days})
                    FILTER (WHERE v.arrival_date IS NOT NULL), 0) AS floorplan_cost
    FROM alike v
    {vehicle_periods}
    {vehicle_group}
),
-- Deliveries (and, for a model list, open orders) counted per day before meeting the periods.
order_days AS (
    SELECT {order_raw_key} o.delivery_date, o.status, count(*) AS n
    FROM orders o
    -- Open orders only widen the by-model list (a model on order is worth planning).
    WHERE o.status <> 'cancelled' AND {order_filter} {orders_used}
    GROUP BY ALL
),
sales AS (
    SELECT p.grp, {order_key}
           sum(o.n) FILTER (
               WHERE {delivered} AND o.delivery_date BETWEEN p.s3_start AND p.s3_end
           )::BIGINT AS sales_3m,
           sum(o.n) FILTER (
               WHERE {delivered} AND o.delivery_date BETWEEN p.mtd_start AND p.as_of
           )::BIGINT AS sales_mtd,
           sum(o.n) FILTER (
               WHERE {delivered} AND o.delivery_date > p.d90_start
                 AND o.delivery_date <= p.as_of
           )::BIGINT AS sales_90d
    FROM order_days o
    {order_periods}
    {order_group}
),
pooled AS (
    SELECT grp, {model_column}
           coalesce(stock_units, 0) AS stock_units,
           coalesce(in_transit_units, 0) AS in_transit_units,
           coalesce(in_transit_by_horizon, 0) AS in_transit_by_horizon,
           age_days_sum,
           coalesce(aged_units_90, 0) AS aged_units_90,
           {bucket_columns}
           coalesce(capital_tied_up, 0) AS capital_tied_up,
           coalesce(floorplan_cost, 0) AS floorplan_cost,
           coalesce(sales_3m, 0) AS sales_3m,
           coalesce(sales_mtd, 0) * p.mtd_scale AS sales_month_projected,
           coalesce(sales_90d, 0) AS sales_90d
    FROM p LEFT JOIN (veh FULL JOIN sales USING ({join_keys})) USING (grp)
)
SELECT grp, {model_column}
       stock_units,
       in_transit_units,
       in_transit_by_horizon,
       sales_3m / 3.0 AS avg_monthly_sales_3m,
       CAST(stock_units AS DOUBLE) / nullif(sales_3m / 3.0, 0) AS inventory_months,
       CAST(stock_units AS DOUBLE) / nullif(sales_month_projected, 0)
           AS inventory_coefficient,
       CAST(stock_units AS DOUBLE) / nullif(sales_90d / {sales_window_days}, 0)
           AS days_supply,
       CAST(age_days_sum AS DOUBLE) / nullif(stock_units, 0) AS avg_days_in_stock,
       aged_units_90,
       {bucket_names}
       capital_tied_up,
       floorplan_cost
FROM pooled
{model_rows}
ORDER BY grp{model_order}
