-- return_visit_rate's counts from the rows (kpi.customers._flows_from_rows names the
-- fragments in braces; values are bound parameters): the period's deliveries and served ROs,
-- each flagged when a return-visit follow-up of the same customer came within the window.
WITH served AS (
    SELECT {order_key} AS grp, o.store, o.customer_id, o.delivery_date AS served_date
    FROM orders o
    WHERE {delivered} AND o.delivery_date BETWEEN $start AND $end
      AND {order_store_filter} AND {consultant_filter}
      AND $advisor::VARCHAR IS NULL AND $technician::VARCHAR IS NULL
    UNION ALL
    SELECT {ro_key}, r.store, r.customer_id, r.close_date
    FROM repair_orders r
    WHERE {served_ro} AND r.close_date BETWEEN $start AND $end
      AND {ro_store_filter} AND {advisor_filter}
      AND {technician_filter} AND $consultant::VARCHAR IS NULL
),
flagged AS (
    SELECT s.grp, EXISTS (
               SELECT 1 FROM followups f
               WHERE f.store = s.store AND f.customer_id = s.customer_id
                 AND {return_visit}
                 AND f.followup_date BETWEEN s.served_date AND s.served_date + $window
                 -- uncorrelated bounds: only the period's follow-ups are looked at, up
                 -- to as_of while the period runs (the horizon)
                 AND f.followup_date BETWEEN $start AND least($end + $window, $horizon)
           ) AS followed
    FROM served s
)
SELECT {grp}, count(*) FILTER (WHERE followed), count(*)
FROM flagged
{group}
