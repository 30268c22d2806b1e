-- The labour of the ROs closed in the period, with the month they closed in (kpi.service
-- names the fragments in braces): the whole calendar months inside it from
-- summary_service_tech_months (r.month, their first day), the days before them (start to
-- head_end) and after them (tail_start to end) from the ROs. Each day range is one BETWEEN,
-- which the scan of the ROs applies itself.
SELECT r.month AS close_month, r.store, r.technician, r.labor_hours, r.labor_revenue
FROM summary_service_tech_months r
WHERE {tech_months_filter} AND r.month BETWEEN $w_first AND $w_last
UNION ALL
SELECT date_trunc('month', r.close_date), r.store, r.technician, r.labor_hours,
       r.labor_revenue
FROM repair_orders r
WHERE {ro_filter} AND r.close_date BETWEEN $start AND $head_end
UNION ALL
SELECT date_trunc('month', r.close_date), r.store, r.technician, r.labor_hours,
       r.labor_revenue
FROM repair_orders r
WHERE {ro_filter} AND r.close_date BETWEEN $tail_start AND $end
