-- The repair-order KPIs from the rows (kpi.service._ro_query names the fragments in braces;
-- values are bound parameters): each group's sums over the ROs opened or closed in the
-- period or open on as_of, joined to its first-time-fix counts (the ftf CTE).
WITH r AS (
    SELECT r.*, {closed} AS closed, {opened} AS opened
    FROM repair_orders r
    WHERE {ro_filter}
      -- Every aggregate below counts one of these three kinds of RO: skip the rest early.
      AND ({opened} OR {closed} OR ({open_on_as_of}))
),
agg AS (
    SELECT {key_select}
        count(*) FILTER (WHERE opened) AS ro_count,
        count(*) FILTER (WHERE closed) AS closed_ro_count,
        coalesce(sum(r.labor_revenue + r.parts_revenue) FILTER (WHERE closed), 0)
            AS service_revenue,
        coalesce(sum({gross}) FILTER (WHERE closed), 0) AS service_gross,
        coalesce(sum(r.parts_revenue - r.parts_cost) FILTER (WHERE closed), 0)
            AS parts_gross,
        coalesce(sum(r.parts_revenue) FILTER (WHERE closed), 0) AS parts_revenue,
        coalesce(sum(r.labor_revenue) FILTER (WHERE closed), 0) AS labor_revenue,
        coalesce(sum(r.labor_hours) FILTER (WHERE closed), 0) AS labor_hours,
        coalesce(sum({gross}) FILTER (WHERE closed AND {warranty}), 0)
            AS warranty_gross,
        count(*) FILTER (WHERE {open_on_as_of}) AS open_ros
    FROM r
    {group}
    {having}
),
ftf AS ({ftf})
SELECT {key_names} {kpis}
FROM agg a {join}
{order}
