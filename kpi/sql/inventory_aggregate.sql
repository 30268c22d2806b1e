-- The inventory KPIs of each period row p, pooled, per model or per store group
-- (kpi.inventory._aggregate_query names the fragments in braces; values are bound $parameters).
WITH p AS (
    SELECT {period_columns}
),
veh AS (
    SELECT p.grp, {vehicle_key}
           count(*) FILTER (WHERE {in_stock}) AS stock_units,
           count(*) FILTER (WHERE {in_transit}) AS in_transit_units,
           count(*) FILTER (WHERE {in_transit} AND (v.eta IS NULL OR v.eta <= p.horizon))
               AS in_transit_by_horizon,
           sum(p.as_of - v.arrival_date) FILTER (WHERE {in_stock}) AS age_days_sum,
           count(*) FILTER (WHERE {aged_90}) AS aged_units_90,
           {bucket_counts}
           coalesce(sum(v.cost) FILTER (WHERE {in_stock}), 0) AS capital_tied_up,
           coalesce(sum({floorplan_cost})
                    FILTER (WHERE v.arrival_date IS NOT NULL), 0) AS floorplan_cost
    FROM v_vehicles v
    LEFT JOIN stores s ON s.store = v.store
    {vehicle_periods}
    WHERE {vehicle_filter} {vehicles_used}
    {vehicle_group}
),
sales AS (
    SELECT p.grp, {order_key}
           count(*) FILTER (
               WHERE {delivered} AND o.delivery_date BETWEEN p.s3_start AND p.s3_end
           ) AS sales_3m,
           count(*) FILTER (
               WHERE {delivered} AND o.delivery_date BETWEEN p.mtd_start AND p.as_of
           ) AS sales_mtd,
           count(*) FILTER (
               WHERE {delivered} AND o.delivery_date > p.d90_start
                 AND o.delivery_date <= p.as_of
           ) AS sales_90d
    FROM orders o
    {order_periods}
    -- Open orders only widen the by-model list (a model on order is worth planning).
    WHERE o.status <> 'cancelled' AND {order_filter} {orders_used}
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
