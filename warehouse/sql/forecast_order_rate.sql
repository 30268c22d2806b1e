-- The order rate (fragment {order_rate} of forecast_points.sql): per (store, ref), expected
-- orders on a day = the daily mean of the history x its weekday x its part-of-month factor.
since AS (
    SELECT r.store, r.ref, greatest(min(k.order_date), r.ref - ($history - 1)) AS since
    FROM refs r JOIN known k ON k.store = r.store AND k.order_date <= r.ref
    GROUP BY r.store, r.ref
),
daily AS (
    SELECT store, order_date AS day, count(*) AS n FROM known GROUP BY store, order_date
),
hist_days AS (
    SELECT s.store, s.ref, h.day::DATE AS day
    FROM since s, LATERAL (SELECT unnest(generate_series(s.since, s.ref, INTERVAL 1 DAY)) AS day) h
),
hist_counts AS (
    SELECT h.store, h.ref, h.day, isodow(h.day) AS dow,
        least((day(h.day) - 1) // 10, 2) AS part, coalesce(d.n, 0) AS n
    FROM hist_days h LEFT JOIN daily d ON d.store = h.store AND d.day = h.day
),
base AS (
    SELECT store, ref, avg(n) AS rate FROM hist_counts GROUP BY store, ref
),
dow_shape AS (
    SELECT c.store, c.ref, c.dow, coalesce(avg(c.n) / nullif(b.rate, 0), 1) AS f
    FROM hist_counts c JOIN base b USING (store, ref) GROUP BY c.store, c.ref, c.dow, b.rate
),
part_shape AS (
    SELECT c.store, c.ref, c.part, coalesce(avg(c.n) / nullif(b.rate, 0), 1) AS f
    FROM hist_counts c JOIN base b USING (store, ref) GROUP BY c.store, c.ref, c.part, b.rate
),
expected_day AS (
    -- expected orders on a day from the ref's history: rate × weekday × part of month
    SELECT b.store, b.ref, w.dow, p.part, b.rate * w.f * p.f AS n
    FROM base b JOIN dow_shape w USING (store, ref) JOIN part_shape p USING (store, ref)
)
