-- The stored points' inputs (derived_forecast_points; replaces {inputs} of forecast_points.sql):
-- every day of each refreshed store, from the month of its first order to its last order or
-- delivery date, with its month and `ref` (forecast_known.sql adds the orders). A point reads
-- nothing after its own origin (or the day before its month), so a point stored from all the
-- rows equals the point computed on its day.
origins AS (
    SELECT store, origin,
        date_trunc('month', origin)::DATE AS first_day,
        last_day(origin) AS last_day,
        (date_trunc('month', origin) - INTERVAL 1 DAY)::DATE AS ref
    FROM (
        SELECT o.store, unnest(generate_series(date_trunc('month', min(o.order_date)),
            greatest(max(o.order_date), max(o.delivery_date)), INTERVAL 1 DAY))::DATE AS origin
        FROM orders o
        WHERE o.order_date IS NOT NULL AND {where_o}
        GROUP BY o.store
    )
)
