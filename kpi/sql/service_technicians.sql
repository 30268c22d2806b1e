-- by_technician()'s rows, per month or not (kpi.service._technicians names the fragments in
-- braces): the roster sums and the labour sold of each (month, store, technician), joined.
-- Months group as dates and become text after the sums (cheaper than text per row); the
-- grouping set without the month gives the totals, its month NULL, then ''.
WITH roster AS (
    SELECT {month_t} AS month, t.store, t.technician,
           sum(t.available_hours) AS available_hours,
           sum(t.clocked_hours) AS clocked_hours,
           sum(t.training_required) AS training_required,
           sum(t.training_passed) AS training_passed
    FROM technicians t
    WHERE {roster_filter}
    {t_group}
),
work AS (
    SELECT coalesce(strftime(mth, '%Y-%m'), '') AS month, store, technician,
           labor_hours_sold, labor_revenue
    FROM (
        SELECT {mth} AS mth, r.store, r.technician,
               sum(r.labor_hours) AS labor_hours_sold,
               sum(r.labor_revenue) AS labor_revenue
        FROM ({labour_rows}) r
        {r_group}
    )
),
joined AS (
    SELECT month, technician, store,
           coalesce(available_hours, 0) AS available_hours,
           coalesce(clocked_hours, 0) AS clocked_hours,
           coalesce(labor_hours_sold, 0) AS labor_hours_sold,
           coalesce(labor_revenue, 0) AS labor_revenue,
           coalesce(training_required, 0) AS training_required,
           coalesce(training_passed, 0) AS training_passed
    FROM roster FULL JOIN work USING (month, store, technician)
)
SELECT month, technician, store, available_hours, clocked_hours, labor_hours_sold,
       clocked_hours / nullif(available_hours, 0) AS tech_productivity,
       labor_hours_sold / nullif(clocked_hours, 0) AS tech_efficiency,
       labor_hours_sold / nullif(available_hours, 0) AS tech_proficiency,
       labor_revenue,
       CAST(training_passed AS DOUBLE) / nullif(training_required, 0) AS training_compliance
FROM joined
