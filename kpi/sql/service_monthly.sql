-- monthly()'s figures from the rows (kpi.service names the fragments in braces): the span's
-- ROs keyed by the month they opened (ro_count) and closed (revenue, gross), and the repair
-- and warranty ROs opened in it by their open month with their comeback flags (first-time
-- fix). Integer month keys (year * 100 + month): cheaper to compute and group than text.
WITH r AS (
    SELECT year(r.open_date) * 100 + month(r.open_date) AS om,
           year(r.close_date) * 100 + month(r.close_date) AS cm,
           r.open_date BETWEEN $start AND $end AS opened,
           r.close_date BETWEEN $start AND $end AS closed,
           r.labor_revenue + r.parts_revenue AS revenue, {gross} AS gross
    FROM repair_orders r
    WHERE {ro_filter}
      AND (r.open_date BETWEEN $start AND $end OR r.close_date BETWEEN $start AND $end)
),
o AS (SELECT om AS m, count(*) AS ro_count FROM r WHERE opened GROUP BY 1),
c AS (
    SELECT cm AS m, sum(revenue) AS service_revenue, sum(gross) AS service_gross
    FROM r WHERE closed GROUP BY 1
),
f AS (
    SELECT year(r.open_date) * 100 + month(r.open_date) AS m, count(*) AS ftf_base,
           count(*) FILTER (WHERE r.comeback) AS comebacks
    FROM v_repair_orders r
    WHERE {ro_filter} AND r.open_date BETWEEN $start AND $end
      AND r.ro_type IN ('repair', 'warranty')
    GROUP BY 1
),
k AS (SELECT m FROM o UNION SELECT m FROM c UNION SELECT m FROM f)
SELECT k.m, ro_count, service_revenue, service_gross,
       service_gross / nullif(service_revenue, 0) AS service_gross_margin,
       1 - CAST(coalesce(comebacks, 0) AS DOUBLE) / nullif(coalesce(ftf_base, 0), 0)
           AS first_time_fix_rate
FROM k LEFT JOIN o USING (m) LEFT JOIN c USING (m) LEFT JOIN f USING (m)
