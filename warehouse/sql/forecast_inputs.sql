-- The forecast's inputs (fragment {inputs} of forecast_points.sql): each (store, origin) with
-- its month and `ref`, the day before that month; the non-cancelled orders known by $bound.
origins AS (
    SELECT DISTINCT store, origin,
        date_trunc('month', origin)::DATE AS first_day,
        last_day(origin) AS last_day,
        (date_trunc('month', origin) - INTERVAL 1 DAY)::DATE AS ref
    FROM (SELECT unnest($stores::VARCHAR[]) AS store, unnest($origins::DATE[]) AS origin)
),
refs AS (
    SELECT DISTINCT store, ref FROM origins
),
known AS (
    -- non-cancelled orders placed by the latest origin: nothing later is ever read
    SELECT store, order_date, delivery_date, status = 'delivered' AS delivered
    FROM orders
    WHERE status <> 'cancelled' AND order_date <= $bound
      AND store IN (SELECT DISTINCT store FROM refs)
)
