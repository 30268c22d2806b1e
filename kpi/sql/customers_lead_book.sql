-- The CTEs ending in open_leads from the exact lead book (summary_lead_book): one row per open
-- lead and as_of date, its level, consultant, cadence and whether its follow-up is overdue
-- (kpi.customers._lead_book names the fragments in braces; values are bound parameters).
periods AS (
    SELECT unnest($p_i) AS i, unnest($p_as_of) AS as_of, unnest($p_sm) AS sm,
           CAST(unnest($p_cm) AS INTEGER) AS cm
),
cadence AS (
    SELECT unnest($cad_store) AS store, unnest($cad_level) AS level, unnest($cad_days) AS days
),
default_cadence AS (
    SELECT unnest($def_level) AS level, unnest($def_days) AS days
),
saved AS (
    -- the stored state after month sm: a row holds from its month until the next one (the
    -- held condition names the same months, so the scan skips most row groups); a customer
    -- who ordered on or before as_of is no lead
    SELECT p.i, d.store, d.customer_id, d.last_contact, d.level, d.consultant
    FROM summary_lead_book d
    JOIN periods p ON d.m <= p.sm AND (d.next_m IS NULL OR d.next_m > p.sm)
    WHERE {stored_store_filter} AND ({held})
      AND (d.first_order IS NULL OR d.first_order > p.as_of)
),
{month_contacts},
month_tops AS (
    -- the contacts of as_of's month up to as_of, when that month's state is not stored: its
    -- latest leveled row and latest row are later than any stored one
    SELECT p.i, p.as_of, c.store, c.customer_id, max(c.contact_date) AS last_contact,
           arg_max(c.lead_level, (c.k, c.row_id)) FILTER (
               WHERE c.lead_level IS NOT NULL) AS level,
           arg_max_null(c.consultant, (c.k, c.row_id)) AS consultant
    FROM month_contacts c
    JOIN periods p
      ON p.cm = year(c.contact_date) * 12 + month(c.contact_date) - 1
     AND c.contact_date <= p.as_of
    GROUP BY p.i, p.as_of, c.store, c.customer_id
),
buyers AS (
    -- the first orders of the customers contacted in those months only
    SELECT o.store, o.customer_id, min(o.order_date) AS first_order
    FROM orders o
    SEMI JOIN month_tops t ON t.store = o.store AND t.customer_id = o.customer_id
    WHERE o.status <> 'cancelled' AND o.customer_id IS NOT NULL AND {store_filter}
    GROUP BY o.store, o.customer_id
),
recent AS (
    SELECT t.i, t.store, t.customer_id, t.last_contact, t.level, t.consultant
    FROM month_tops t
    LEFT JOIN buyers b ON b.store = t.store AND b.customer_id = t.customer_id
    WHERE b.first_order IS NULL OR b.first_order > t.as_of
),
candidates AS (
    -- a month without (leveled) contacts keeps the stored level (and contact)
    SELECT coalesce(r.i, s.i) AS i, coalesce(r.store, s.store) AS store,
           coalesce(r.customer_id, s.customer_id) AS customer_id,
           greatest(s.last_contact, r.last_contact) AS last_contact,
           coalesce(r.level, s.level) AS lead_level,
           CASE WHEN r.i IS NULL THEN s.consultant ELSE r.consultant END AS consultant
    FROM saved s
    FULL JOIN recent r ON r.i = s.i AND r.store = s.store AND r.customer_id = s.customer_id
),
open_leads AS (
    SELECT d.i, d.store, d.customer_id, d.consultant, f.level AS lead_level, d.last_contact,
           CAST(coalesce(k.days, f.days) AS INTEGER) AS cadence_days,
           d.last_contact < p.as_of - CAST(coalesce(k.days, f.days) AS INTEGER) AS overdue
    FROM candidates d
    JOIN periods p ON p.i = d.i
    JOIN default_cadence f ON f.level = d.lead_level
    LEFT JOIN cadence k ON k.store = d.store AND k.level = f.level
    WHERE {consultant_filter}
)
