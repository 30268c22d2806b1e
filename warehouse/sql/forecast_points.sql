-- One row per (store, origin): deliveries of the origin's month up to the origin, and the
-- expected deliveries still to come from waiting orders and from orders not yet placed.
-- Every read of orders is bounded by the origin (or the day before its month, `ref`).
-- warehouse.forecast_points fills each stage in braces from its own file (forecast_<stage>.sql).
WITH {inputs},
{lead_times},
{order_rate},
{new_orders},
{waiting},
delivered AS (
    SELECT o.store, o.origin, count(k.store) AS n
    FROM origins o
    LEFT JOIN (SELECT store, order_date, delivery_date,
                      date_trunc('month', delivery_date)::DATE AS month
               FROM known WHERE delivered) k
        ON k.store = o.store AND k.month = o.first_day
        AND k.delivery_date <= o.origin AND k.order_date <= o.origin
    GROUP BY o.store, o.origin
)
SELECT o.store, o.origin, d.n AS delivered,
    h.store IS NOT NULL AS has_history,
    coalesce(w.n, 0) AS waiting, coalesce(n.n, 0) AS new_orders
FROM origins o
JOIN delivered d ON d.store = o.store AND d.origin = o.origin
LEFT JOIN (SELECT DISTINCT store, ref FROM hist) h ON h.store = o.store AND h.ref = o.ref
LEFT JOIN waiting w ON w.store = o.store AND w.origin = o.origin
LEFT JOIN new_orders n ON n.store = o.store AND n.origin = o.origin
