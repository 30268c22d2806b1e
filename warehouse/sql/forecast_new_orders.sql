-- Orders not yet placed (fragment {new_orders} of forecast_points.sql): per (store, origin),
-- the month's remaining expected orders x P(delivered by month end), scaled by the last
-- $level days' orders against their expectation (shrunk towards 1 by $prior).
window_days AS (
    -- from LEVEL_DAYS before the month to its end, each day's orders placed and expected
    -- (none before the store's first order); running sums give any origin's last LEVEL_DAYS
    SELECT s.store, s.ref, w.day, w.day >= s.since AS seen
    FROM since s, LATERAL (SELECT unnest(generate_series(s.ref - ($level - 1),
        last_day(s.ref + 1), INTERVAL 1 DAY))::DATE AS day) w
),
window_sums AS (
    SELECT w.store, w.ref, w.day,
        sum(CASE WHEN w.seen THEN coalesce(d.n, 0) ELSE 0 END) OVER run AS placed,
        sum(CASE WHEN w.seen THEN e.n ELSE 0 END) OVER run AS expected
    FROM window_days w
    JOIN expected_day e ON e.store = w.store AND e.ref = w.ref
        AND e.dow = isodow(w.day) AND e.part = least((day(w.day) - 1) // 10, 2)
    LEFT JOIN daily d ON d.store = w.store AND d.day = w.day
    WINDOW run AS (PARTITION BY w.store, w.ref ORDER BY w.day)
),
recent AS (
    -- the last LEVEL_DAYS days up to the origin: orders placed against orders expected
    SELECT o.store, o.origin, a.placed - b.placed AS placed, a.expected - b.expected AS expected
    FROM origins o
    JOIN window_sums a ON a.store = o.store AND a.ref = o.ref AND a.day = o.origin
    JOIN window_sums b ON b.store = o.store AND b.ref = o.ref AND b.day = o.origin - $level
),
month_days AS (
    -- each day of the month: its expected orders × P(delivered within the days left)
    SELECT w.store, w.ref, w.day, e.n * (1 - v.s) AS n
    FROM window_days w
    JOIN expected_day e ON e.store = w.store AND e.ref = w.ref
        AND e.dow = isodow(w.day) AND e.part = least((day(w.day) - 1) // 10, 2)
    JOIN survival v ON v.store = w.store AND v.ref = w.ref
        AND v.k = least(last_day(w.ref + 1) - w.day, $history - 1)
    WHERE w.day > w.ref
),
to_come AS (
    -- summed over the days after each day
    SELECT store, ref, day, coalesce(sum(n) OVER (PARTITION BY store, ref ORDER BY day DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS n
    FROM month_days
),
new_orders AS (
    SELECT o.store, o.origin, c.n * (r.placed + $prior) / (r.expected + $prior) AS n
    FROM origins o
    JOIN recent r ON r.store = o.store AND r.origin = o.origin
    JOIN to_come c ON c.store = o.store AND c.ref = o.ref AND c.day = o.origin
)
