-- The stored lead state after each period's month: one row per customer who may be an open
-- lead (kpi.customers._lead_book names the fragments in braces; values are bound parameters).
periods AS (
    SELECT unnest($p_i) AS i, unnest($p_as_of) AS as_of, unnest($p_sm) AS sm,
           CAST(unnest($p_cm) AS INTEGER) AS cm
),
buyers AS (
    SELECT store, customer_id, min(order_date) AS first_order
    FROM orders
    WHERE status <> 'cancelled' AND customer_id IS NOT NULL AND {store_filter}
    GROUP BY store, customer_id
),
stored AS (
    -- a customer who ordered before a state's month is no lead at any later as_of (one who
    -- ordered during it still is as of a date before the order: saved tests the date); the
    -- level test only matters for tables stored before states were filtered by it
    SELECT d.store, d.customer_id, d.m, d.next_m, d.last_contact, d.l_hi, d.l_lo,
           b.first_order
    FROM derived_lead_months d
    LEFT JOIN buyers b ON b.store = d.store AND b.customer_id = d.customer_id
    WHERE {stored_store_filter} AND ({held}) AND {stored_maybe_open}
      AND (b.first_order IS NULL OR year(b.first_order) * 12 + month(b.first_order) - 1 >= d.m)
),
saved AS (
    -- the stored state after month sm: a row holds from its month until the next one
    SELECT p.i, s.store, s.customer_id, s.last_contact, s.l_hi, s.l_lo
    FROM stored s
    JOIN periods p ON s.m <= p.sm AND (s.next_m IS NULL OR s.next_m > p.sm)
    WHERE s.first_order IS NULL OR s.first_order > p.as_of
)
