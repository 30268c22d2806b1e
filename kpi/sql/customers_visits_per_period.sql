-- return_visit_rate's counts of several periods from the rows (kpi.customers._flows_per_period
-- names the fragments in braces; values are bound parameters): periods p (grp, s, e, h the
-- horizon), the served events of each, and each customer's return visits in reach (rs/re).
WITH {periods},
served AS (
    SELECT p.grp, o.store, o.customer_id, o.delivery_date AS served_date, p.h
    FROM orders o JOIN periods p ON o.delivery_date BETWEEN p.s AND p.e
    WHERE {delivered} AND {order_store_filter}
      AND {consultant_filter}
      AND $advisor::VARCHAR IS NULL AND $technician::VARCHAR IS NULL
    UNION ALL
    SELECT p.grp, r.store, r.customer_id, r.close_date, p.h
    FROM repair_orders r JOIN periods p ON r.close_date BETWEEN p.s AND p.e
    WHERE {served_ro} AND {ro_store_filter}
      AND {advisor_filter}
      AND {technician_filter} AND $consultant::VARCHAR IS NULL
),
visits AS (
    -- each customer's return-visit dates in reach of the periods, as one list: the
    -- join below then gives one row per served event (no duplicates to remove)
    SELECT store, customer_id, list(followup_date) AS days
    FROM followups f
    WHERE {return_visit} AND {store_filter} AND ({in_reach})
    GROUP BY store, customer_id
)
SELECT s.grp,
       count(*) FILTER (WHERE len(list_filter(
           v.days, lambda d: d BETWEEN s.served_date
                                   AND least(s.served_date + $window, s.h))) > 0),
       count(*)
FROM served s
LEFT JOIN visits v ON v.store = s.store AND v.customer_id = s.customer_id
GROUP BY s.grp
