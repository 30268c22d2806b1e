-- The CTEs ending in open_leads: one row per open lead and as_of date, its level, cadence
-- and whether its follow-up is overdue (kpi.customers._lead_book; see its docstring).
cadence AS (
    SELECT unnest($cad_store) AS store, unnest($cad_level) AS level, unnest($cad_days) AS days
),
default_cadence AS (
    SELECT unnest($def_level) AS level, unnest($def_days) AS days
),
{lead_state},
{month_contacts},
month_tops AS (
    -- the contacts of as_of's month up to as_of, when that month's state is not stored
    SELECT p.i, p.as_of, c.store, c.customer_id, max(c.contact_date) AS last_contact,
           max(c.k * 8 + {code}) FILTER (WHERE c.lead_level IS NOT NULL) AS l_hi,
           max(c.k * 8 + 7 - {code}) FILTER (WHERE c.lead_level IS NOT NULL) AS l_lo
    FROM month_contacts c
    JOIN periods p
      ON p.cm = year(c.contact_date) * 12 + month(c.contact_date) - 1
     AND c.contact_date <= p.as_of
    GROUP BY p.i, p.as_of, c.store, c.customer_id
),
recent AS (
    SELECT t.i, t.store, t.customer_id, t.last_contact, t.l_hi, t.l_lo
    FROM month_tops t
    LEFT JOIN buyers b ON b.store = t.store AND b.customer_id = t.customer_id
    WHERE b.first_order IS NULL OR b.first_order > t.as_of
),
tops AS (
    -- greatest() skips NULLs: a month without (leveled) contacts keeps the stored values
    SELECT coalesce(r.i, s.i) AS i, coalesce(r.store, s.store) AS store,
           coalesce(r.customer_id, s.customer_id) AS customer_id,
           greatest(s.last_contact, r.last_contact) AS last_contact,
           greatest(s.l_hi, r.l_hi) AS l_hi, greatest(s.l_lo, r.l_lo) AS l_lo
    FROM saved s
    FULL JOIN recent r ON r.i = s.i AND r.store = s.store AND r.customer_id = s.customer_id
),
candidates AS (
    -- customers whose latest level may be O, H, A, B or C (both sides dropped buyers)
    SELECT t.i, t.store, t.customer_id, t.last_contact, p.as_of, t.l_hi // 8 AS k_lvl,
           CASE WHEN t.l_hi % 8 = 7 - t.l_lo % 8 THEN {decode} END AS level_fast
    FROM tops t
    JOIN periods p ON p.i = t.i
    WHERE {candidate_maybe_open}
),
to_resolve AS (SELECT * FROM candidates WHERE {to_resolve}),
wanted AS (
    -- the dates of the latest contact and of the latest leveled rows (k // 2 is the day)
    SELECT DISTINCT store, customer_id,
           unnest([last_contact, DATE '1970-01-01' + CAST(k_lvl // 2 AS INTEGER)]) AS day
    FROM to_resolve
),
exact_contacts AS (
    -- joined per table: each scan then gets the join's date range as a filter
    SELECT t.store, t.customer_id, t.visit_date AS contact_date,
           (t.visit_date - DATE '1970-01-01') * 2 AS k, t.visit_id AS row_id, t.consultant,
           nullif(t.lead_level, '') AS lead_level
    FROM traffic t
    JOIN wanted w ON w.store = t.store AND w.customer_id = t.customer_id AND w.day = t.visit_date
    WHERE t.visit_date >= $exact_from
    UNION ALL
    SELECT f.store, f.customer_id, f.followup_date,
           (f.followup_date - DATE '1970-01-01') * 2 + 1, f.followup_id, f.consultant,
           nullif(f.lead_level, '')
    FROM followups f
    JOIN wanted w
      ON w.store = f.store AND w.customer_id = f.customer_id AND w.day = f.followup_date
    WHERE f.followup_date >= $exact_from
),
resolved AS (
    SELECT d.i, d.store, d.customer_id,
           arg_max(c.lead_level, c.row_id) FILTER (
               WHERE c.k = d.k_lvl AND c.lead_level IS NOT NULL) AS lead_level,
           arg_max_null(c.consultant, (c.k, c.row_id)) FILTER (
               WHERE c.contact_date = d.last_contact) AS consultant
    FROM exact_contacts c
    JOIN to_resolve d ON d.store = c.store AND d.customer_id = c.customer_id
    GROUP BY d.i, d.store, d.customer_id
),
open_leads AS (
    SELECT d.i, d.store, d.customer_id, r.consultant, f.level AS lead_level, d.last_contact,
           CAST(coalesce(k.days, f.days) AS INTEGER) AS cadence_days,
           d.last_contact < d.as_of - CAST(coalesce(k.days, f.days) AS INTEGER) AS overdue
    FROM candidates d
    LEFT JOIN resolved r ON r.i = d.i AND r.store = d.store AND r.customer_id = d.customer_id
    JOIN default_cadence f ON f.level = coalesce(d.level_fast, r.lead_level)
    LEFT JOIN cadence k ON k.store = d.store AND k.level = f.level
    WHERE {consultant_filter}
)
