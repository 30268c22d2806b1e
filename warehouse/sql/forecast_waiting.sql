-- Orders waiting (fragment {waiting} of forecast_points.sql): per (store, origin), the
-- orders placed but not delivered on the origin x P(delivered by month end | waited so far).
waits AS (
    -- each order's waiting days: from its order date to the day before its delivery
    SELECT store, order_date,
        CASE WHEN delivered THEN delivery_date - 1 ELSE $bound END AS wait_end
    FROM known
    WHERE order_date >= $first - ($history - 1)
),
wait_months AS (
    SELECT w.store, w.order_date, w.wait_end, m.month
    FROM waits w, LATERAL (SELECT unnest(generate_series(date_trunc('month', w.order_date),
        date_trunc('month', w.wait_end), INTERVAL 1 MONTH))::DATE AS month) m
    WHERE w.wait_end >= w.order_date
),
backlog AS MATERIALIZED (
    -- orders waiting on the origin: waited `age` days, delivered by month end = within `span`
    SELECT o.store, o.origin, o.ref,
        least(o.origin - w.order_date, $history - 1) AS age,
        least(o.last_day - w.order_date, $history - 1) AS span
    FROM origins o
    JOIN wait_months w ON w.store = o.store AND w.month = o.first_day
        AND o.origin BETWEEN w.order_date AND w.wait_end
        AND w.order_date >= o.origin - ($history - 1)
),
aged AS MATERIALIZED (
    -- one survival lookup per waiting order, then the other: joined in one step, DuckDB 2.0
    -- pushed the sum below the join and paired every two lags of a store (7 s for 10 stores)
    SELECT w.store, w.origin, w.ref, w.span, a.s AS s_age
    FROM backlog w
    JOIN survival a ON a.store = w.store AND a.ref = w.ref AND a.k = w.age
),
waiting AS (
    SELECT w.store, w.origin, sum(1 - b.s / nullif(w.s_age, 0)) AS n
    FROM aged w
    JOIN survival b ON b.store = w.store AND b.ref = w.ref AND b.k = w.span
    GROUP BY w.store, w.origin
)
