-- The forecast's inputs (fragment {inputs} of forecast_points.sql): each (store, origin) with
-- its month and `ref`, the day before that month (forecast_known.sql adds the orders).
origins AS (
    SELECT DISTINCT store, origin,
        date_trunc('month', origin)::DATE AS first_day,
        last_day(origin) AS last_day,
        (date_trunc('month', origin) - INTERVAL 1 DAY)::DATE AS ref
    FROM (SELECT unnest($stores::VARCHAR[]) AS store, unnest($origins::DATE[]) AS origin)
)
