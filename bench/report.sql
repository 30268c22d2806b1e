-- Sales, inventory and after-sales KPIs (KPI-CATALOGUE.md) for one period, all stores pooled,
-- hand-written as one DuckDB query: the yardstick `make bench` holds `python -m kpi report` to.
-- Bound parameters: $start and $end (the period), $as_of. One row, one column per KPI id;
-- bench/run.py checks every value against the report's.
WITH w AS (
    SELECT
        $start::DATE AS start_d,
        $end::DATE AS end_d,
        $as_of::DATE AS as_of,
        -- the 3 complete months before as_of's month (a month-end as_of completes its month)
        CAST(date_trunc('month', $as_of::DATE)
             - CASE WHEN $as_of::DATE = last_day($as_of::DATE)
                    THEN INTERVAL 2 MONTH ELSE INTERVAL 3 MONTH END AS DATE) AS s3_start,
        CASE WHEN $as_of::DATE = last_day($as_of::DATE) THEN $as_of::DATE
             ELSE CAST(date_trunc('month', $as_of::DATE) AS DATE) - 1 END AS s3_end,
        CAST(date_trunc('month', $as_of::DATE) AS DATE) AS mtd_start,
        $as_of::DATE - 90 AS d90_start,
        last_day(CAST(date_trunc('month', $as_of::DATE) + INTERVAL 1 MONTH AS DATE)) AS horizon,
        CAST($as_of::DATE - INTERVAL 12 MONTH AS DATE) AS year_ago,
        CAST($as_of::DATE - INTERVAL 24 MONTH AS DATE) AS churn_base
),
-- ---------------------------------------------------------------- sales and showroom
traffic_counts AS (
    SELECT count(*) FILTER (WHERE t.kind = 'walk_in') AS walk_in_batches,
           count(*) FILTER (WHERE t.kind = 'walk_in' AND t.first_visit) AS first_visit_batches,
           count(*) FILTER (WHERE t.kind = 'phone') AS phone_batches,
           count(*) FILTER (WHERE t.kind = 'walk_in' AND t.test_drive) AS test_drives,
           count(*) FILTER (WHERE t.kind = 'walk_in'
                            AND (nullif(t.event_id, '') IS NOT NULL
                                 OR t.channel IN ('outdoor_event', 'showroom_event')))
               AS event_walk_ins
    FROM traffic t, w
    WHERE t.visit_date BETWEEN w.start_d AND w.end_d
),
order_rows AS (
    SELECT o.*,
           o.order_date BETWEEN w.start_d AND w.end_d AS ordered,
           o.status = 'delivered' AND o.delivery_date BETWEEN w.start_d AND w.end_d AS delivered
    FROM orders o, w
    WHERE o.order_date BETWEEN w.start_d AND w.end_d
       OR o.delivery_date BETWEEN w.start_d AND w.end_d
),
order_counts AS (
    SELECT count(*) FILTER (WHERE ordered AND status <> 'cancelled') AS orders,
           count(*) FILTER (WHERE ordered AND status <> 'cancelled' AND sale_type = 'retail')
               AS retail_orders,
           count(*) FILTER (WHERE ordered) AS all_orders,
           count(*) FILTER (WHERE ordered AND status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE delivered) AS deliveries,
           count(*) FILTER (WHERE delivered AND sale_type = 'fleet') AS fleet,
           count(*) FILTER (WHERE delivered AND buyer_type = 'corporate') AS corporate,
           count(*) FILTER (WHERE delivered AND sale_type = 'retail') AS retail_deliveries,
           count(*) FILTER (WHERE delivered AND sale_type = 'retail' AND finance) AS financed,
           count(*) FILTER (WHERE delivered AND sale_type = 'retail' AND insurance) AS insured,
           count(*) FILTER (WHERE delivered AND sale_type = 'retail' AND trade_in) AS traded_in,
           sum(coalesce(sale_price, 0) - coalesce(vehicle_cost, 0)) FILTER (WHERE delivered)
               AS front_gross,
           sum(coalesce(sale_price, 0) - coalesce(vehicle_cost, 0) + coalesce(rebate, 0)
               + coalesce(fi_income, 0) + coalesce(accessories_revenue, 0)
               - coalesce(accessories_cost, 0)) FILTER (WHERE delivered) AS total_gross,
           sum(coalesce(accessories_revenue, 0)) FILTER (WHERE delivered) AS accessories_revenue,
           sum(coalesce(accessories_revenue, 0) - coalesce(accessories_cost, 0))
               FILTER (WHERE delivered) AS accessories_gross
    FROM order_rows
),
first_visits AS (
    SELECT DISTINCT t.store, t.customer_id, t.visit_date
    FROM traffic t, w
    WHERE t.kind = 'walk_in' AND t.first_visit AND t.visit_date BETWEEN w.start_d AND w.end_d
      AND nullif(t.customer_id, '') IS NOT NULL
),
visit_cohort AS (
    SELECT count(DISTINCT (f.store, f.customer_id)) AS visit_customers,
           count(DISTINCT (f.store, f.customer_id)) FILTER (WHERE o.order_id IS NOT NULL)
               AS closed_customers
    FROM first_visits f
    LEFT JOIN orders o
      ON o.store = f.store AND o.customer_id = f.customer_id AND o.status <> 'cancelled'
     AND o.order_date BETWEEN f.visit_date AND f.visit_date + 30
),
first_calls AS (
    SELECT DISTINCT t.store, t.customer_id, t.visit_date
    FROM traffic t, w
    WHERE t.kind = 'phone' AND t.first_visit AND t.visit_date BETWEEN w.start_d AND w.end_d
      AND nullif(t.customer_id, '') IS NOT NULL
),
call_cohort AS (
    SELECT count(DISTINCT (c.store, c.customer_id)) AS call_customers,
           count(DISTINCT (c.store, c.customer_id)) FILTER (WHERE v.visit_id IS NOT NULL)
               AS visited_customers
    FROM first_calls c
    LEFT JOIN traffic v
      ON v.store = c.store AND v.customer_id = c.customer_id AND v.kind = 'walk_in'
     AND v.visit_date BETWEEN c.visit_date AND c.visit_date + 30
),
consultants AS (
    SELECT count(*) AS consultants FROM (
        SELECT t.store, t.consultant FROM traffic t, w
        WHERE t.kind = 'walk_in' AND t.visit_date BETWEEN w.start_d AND w.end_d
          AND nullif(t.consultant, '') IS NOT NULL
        UNION
        SELECT store, consultant FROM order_rows
        WHERE delivered AND nullif(consultant, '') IS NOT NULL
    )
),
-- ---------------------------------------------------------------- vehicle inventory
sold AS (
    SELECT store, vin, min(delivery_date) AS delivery_date
    FROM orders
    WHERE status = 'delivered' AND vin IS NOT NULL AND delivery_date IS NOT NULL
    GROUP BY store, vin
),
vehicle_rows AS (
    SELECT v.arrival_date, v.ordered_date, v.eta, v.cost,
           coalesce(v.sold_date, s.delivery_date) AS sold_date,
           coalesce(v.floorplan_rate, st.floorplan_rate, 0.05) AS rate
    FROM vehicles v
    LEFT JOIN sold s ON s.store = v.store AND s.vin = v.vin
    LEFT JOIN stores st ON st.store = v.store
),
stock AS (
    SELECT count(*) FILTER (WHERE in_stock) AS stock_units,
           count(*) FILTER (WHERE in_transit) AS in_transit_units,
           sum(w.as_of - arrival_date) FILTER (WHERE in_stock) AS age_days_sum,
           count(*) FILTER (WHERE in_stock AND w.as_of - arrival_date > 90) AS aged_units_90,
           coalesce(sum(cost) FILTER (WHERE in_stock), 0) AS capital_tied_up,
           coalesce(sum(cost * rate / 365
                        * greatest(0, least(coalesce(sold_date, w.as_of + 1), w.as_of + 1)
                                      - greatest(arrival_date, w.start_d)))
                    FILTER (WHERE arrival_date IS NOT NULL), 0) AS floorplan_cost
    FROM (
        SELECT vr.*,
               arrival_date <= w.as_of AND (sold_date IS NULL OR sold_date > w.as_of)
                   AS in_stock,
               (ordered_date IS NULL OR ordered_date <= w.as_of)
               AND (arrival_date IS NULL OR arrival_date > w.as_of)
               AND (sold_date IS NULL OR sold_date > w.as_of) AS in_transit
        FROM vehicle_rows vr, w
    ) x, w
),
vehicle_sales AS (
    SELECT count(*) FILTER (WHERE o.delivery_date BETWEEN w.s3_start AND w.s3_end) AS sales_3m,
           count(*) FILTER (WHERE o.delivery_date BETWEEN w.mtd_start AND w.as_of) AS sales_mtd,
           count(*) FILTER (WHERE o.delivery_date > w.d90_start AND o.delivery_date <= w.as_of)
               AS sales_90d
    FROM orders o, w
    WHERE o.status = 'delivered'
),
-- ---------------------------------------------------------------- after-sales
ro AS (
    SELECT r.*,
           r.open_date BETWEEN w.start_d AND w.end_d AS opened,
           r.close_date BETWEEN w.start_d AND w.end_d AS closed
    FROM repair_orders r, w
    WHERE r.ro_type <> 'internal'
),
ro_figures AS (
    SELECT count(*) FILTER (WHERE opened) AS ro_count,
           count(*) FILTER (WHERE closed) AS closed_ros,
           coalesce(sum(labor_revenue + parts_revenue) FILTER (WHERE closed), 0)
               AS service_revenue,
           coalesce(sum(labor_revenue + parts_revenue - coalesce(labor_cost, 0) - parts_cost)
                    FILTER (WHERE closed), 0) AS service_gross,
           sum(parts_revenue - parts_cost) FILTER (WHERE closed) AS parts_gross,
           sum(parts_revenue) FILTER (WHERE closed) AS parts_revenue,
           coalesce(sum(labor_revenue) FILTER (WHERE closed), 0) AS labor_revenue,
           coalesce(sum(labor_hours) FILTER (WHERE closed), 0) AS labor_hours,
           coalesce(sum(labor_revenue + parts_revenue - coalesce(labor_cost, 0) - parts_cost)
                    FILTER (WHERE closed AND ro_type = 'warranty'), 0) AS warranty_gross,
           count(*) FILTER (WHERE opened AND ro_type IN ('repair', 'warranty')) AS ftf_base,
           count(*) FILTER (WHERE opened AND ro_type IN ('repair', 'warranty') AND comeback)
               AS flagged_comebacks,
           count(*) FILTER (WHERE open_date <= w.as_of
                            AND (close_date IS NULL OR close_date > w.as_of)) AS open_ros,
           coalesce(sum(parts_cost) FILTER (WHERE close_date > w.year_ago
                                            AND close_date <= w.as_of), 0) AS parts_cost_12m,
           coalesce(sum(parts_cost) FILTER (WHERE close_date BETWEEN w.s3_start AND w.s3_end), 0)
               AS parts_cost_3m
    FROM ro, w
),
-- A repair or warranty RO opened in the period with no comeback flag is a comeback when an
-- earlier repair or warranty RO of the same VIN closed within the 30 days before it opened.
derived_comebacks AS (
    SELECT count(*) AS n FROM (
        SELECT DISTINCT r.store, r.ro_id
        FROM repair_orders r
        CROSS JOIN w
        JOIN repair_orders e
          ON e.store = r.store AND e.vin = r.vin AND e.ro_id <> r.ro_id
         AND e.ro_type IN ('repair', 'warranty')
         AND e.close_date <= r.open_date AND r.open_date <= e.close_date + 30
         AND (e.open_date < r.open_date OR (e.open_date = r.open_date AND e.ro_id < r.ro_id))
        WHERE r.open_date BETWEEN w.start_d AND w.end_d AND r.comeback IS NULL
          AND r.ro_type IN ('repair', 'warranty')
          AND e.close_date BETWEEN w.start_d - 30 AND w.end_d
    )
),
roster AS (
    SELECT coalesce(sum(available_hours), 0) AS available_hours,
           coalesce(sum(clocked_hours), 0) AS clocked_hours,
           coalesce(sum(training_required), 0) AS training_required,
           coalesce(sum(training_passed), 0) AS training_passed,
           count(DISTINCT (store, technician)) AS technicians
    FROM technicians, w
    WHERE month BETWEEN strftime(w.start_d, '%Y-%m') AND strftime(w.end_d, '%Y-%m')
),
snapshots AS (
    SELECT p.store, p.month, p.qty * p.unit_cost AS value_cny,
           p.last_movement_date < last_day(CAST(p.month || '-01' AS DATE)) - 180 AS obsolete,
           last_day(CAST(p.month || '-01' AS DATE)) AS snapshot_day
    FROM parts_stock p
),
parts AS (
    SELECT
        (SELECT avg(v) FROM (
            SELECT sum(value_cny) AS v FROM snapshots, w
            WHERE snapshot_day > w.year_ago AND snapshot_day <= w.as_of
            GROUP BY month)) AS avg_stock,
        sum(value_cny) AS latest_value,
        sum(value_cny) FILTER (WHERE obsolete) AS obsolete_value,
        count(*) AS latest_rows
    FROM snapshots s
    WHERE (s.store, s.month) IN (
        SELECT (store, max(month)) FROM parts_stock, w
        WHERE month <= strftime(w.as_of, '%Y-%m') GROUP BY store)
),
churn AS (
    SELECT count(*) AS base,
           count(*) FILTER (WHERE last_open < CAST(w.as_of - INTERVAL 12 MONTH AS DATE))
               AS churned
    FROM (
        SELECT store, vin, max(open_date) AS last_open
        FROM repair_orders, w
        WHERE ro_type <> 'internal' AND vin IS NOT NULL AND open_date <= w.as_of
        GROUP BY store, vin
    ), w
    WHERE last_open > w.churn_base
)
SELECT
    -- sales and showroom
    t.walk_in_batches,
    t.first_visit_batches,
    t.phone_batches,
    t.walk_in_batches / nullif(greatest(0, w.as_of - w.start_d + 1), 0) AS daily_walk_ins,
    t.test_drives,
    t.test_drives / nullif(t.walk_in_batches, 0) AS test_drive_rate,
    o.orders,
    o.deliveries,
    o.retail_orders / nullif(t.first_visit_batches, 0) AS close_rate,
    vc.closed_customers / nullif(vc.visit_customers, 0) AS cohort_close_rate,
    cc.visited_customers / nullif(cc.call_customers, 0) AS phone_to_visit_rate,
    o.cancelled / nullif(o.all_orders, 0) AS cancellation_rate,
    o.fleet / nullif(o.deliveries, 0) AS fleet_share,
    o.corporate / nullif(o.deliveries, 0) AS corporate_share,
    t.event_walk_ins / nullif(t.walk_in_batches, 0) AS event_traffic_share,
    o.front_gross / nullif(o.deliveries, 0) AS front_gross_per_unit,
    o.total_gross / nullif(o.deliveries, 0) AS total_gross_per_unit,
    o.financed / nullif(o.retail_deliveries, 0) AS finance_penetration,
    o.insured / nullif(o.retail_deliveries, 0) AS insurance_penetration,
    o.traded_in / nullif(o.retail_deliveries, 0) AS trade_in_rate,
    o.accessories_revenue / nullif(o.deliveries, 0) AS accessories_per_unit,
    o.accessories_gross / nullif(o.accessories_revenue, 0) AS accessories_margin,
    o.deliveries / nullif(k.consultants, 0) AS units_per_consultant,
    -- vehicle inventory
    s.stock_units,
    s.in_transit_units,
    vs.sales_3m / 3.0 AS avg_monthly_sales_3m,
    s.stock_units / nullif(vs.sales_3m / 3.0, 0) AS inventory_months,
    s.stock_units / nullif(vs.sales_mtd, 0) AS inventory_coefficient,
    s.stock_units / nullif(vs.sales_90d / 90.0, 0) AS days_supply,
    s.age_days_sum / nullif(s.stock_units, 0) AS avg_days_in_stock,
    s.aged_units_90,
    s.capital_tied_up,
    s.floorplan_cost,
    -- after-sales
    r.ro_count,
    r.service_revenue,
    r.service_revenue / nullif(r.closed_ros, 0) AS avg_ro_value,
    r.service_gross,
    r.service_gross / nullif(r.service_revenue, 0) AS service_gross_margin,
    r.parts_gross / nullif(r.parts_revenue, 0) AS parts_gross_margin,
    r.labor_revenue / nullif(r.labor_hours, 0) AS effective_labor_rate,
    r.warranty_gross,
    1 - (r.flagged_comebacks + dc.n) / nullif(r.ftf_base, 0) AS first_time_fix_rate,
    r.open_ros,
    r.labor_revenue / nullif(ro_staff.technicians, 0) AS revenue_per_technician,
    ro_staff.clocked_hours / nullif(ro_staff.available_hours, 0) AS tech_productivity,
    r.labor_hours / nullif(ro_staff.clocked_hours, 0) AS tech_efficiency,
    r.labor_hours / nullif(ro_staff.available_hours, 0) AS tech_proficiency,
    ro_staff.training_passed / nullif(ro_staff.training_required, 0) AS training_compliance,
    r.parts_cost_12m / nullif(p.avg_stock, 0) AS parts_turnover,
    CASE WHEN p.latest_rows > 0 THEN p.latest_value / nullif(r.parts_cost_3m / 3.0, 0) END
        AS parts_months_supply,
    CASE WHEN p.latest_rows > 0 THEN coalesce(p.obsolete_value, 0) END AS obsolete_parts_value,
    ch.churned / nullif(ch.base, 0) AS customer_churn_rate
FROM w, traffic_counts t, order_counts o, visit_cohort vc, call_cohort cc, consultants k,
     stock s, vehicle_sales vs, ro_figures r, derived_comebacks dc, roster ro_staff, parts p,
     churn ch
