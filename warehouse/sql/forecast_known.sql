-- The refs of the origins (fragment after {inputs}' origins) and the non-cancelled orders of
-- their stores known by the bound (the latest origin): nothing later is ever read.
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
