-- Lead times (fragment {lead_times} of forecast_points.sql): per (store, ref), s = P(an order
-- is not delivered within k days), Kaplan-Meier over the orders of the $history days to ref.
hist AS (
    -- each order of the 365 days up to ref: days to its delivery, or days waited by ref
    SELECT r.store, r.ref,
        k.delivered AND k.delivery_date <= r.ref AS done,
        greatest(CASE WHEN k.delivered AND k.delivery_date <= r.ref THEN k.delivery_date
                      ELSE r.ref END - k.order_date, 0) AS days
    FROM refs r JOIN known k ON k.store = r.store
    WHERE k.order_date BETWEEN r.ref - ($history - 1) AND r.ref
),
exits AS (
    SELECT store, ref, days, count(*) AS n, count(*) FILTER (WHERE done) AS e
    FROM hist GROUP BY store, ref, days
),
lags AS (
    SELECT r.store, r.ref, t.k FROM (SELECT DISTINCT store, ref FROM hist) r,
        range(0, $history) t(k)
),
hazard AS (
    SELECT l.store, l.ref, l.k, coalesce(x.e, 0) AS e,
        sum(coalesce(x.n, 0)) OVER (PARTITION BY l.store, l.ref ORDER BY l.k DESC) AS at_risk
    FROM lags l LEFT JOIN exits x ON x.store = l.store AND x.ref = l.ref AND x.days = l.k
),
survival AS MATERIALIZED (
    -- s = P(lead time > k days), Kaplan–Meier over the orders of the window
    SELECT store, ref, k,
        exp(sum(ln(greatest(1 - CASE WHEN at_risk > 0 THEN e / at_risk ELSE 0 END, 1e-12)))
            OVER (PARTITION BY store, ref ORDER BY k)) AS s
    FROM hazard
)
