-- The repair-order KPIs from the rows (kpi.service._ro_query names the fragments in braces;
-- values are bound parameters): each group's sums over the ROs opened or closed in the
-- period or open on as_of, joined to its first-time-fix counts (the ftf CTE).
-- Every aggregate below counts one of three kinds of RO (opened or closed in the period, open
-- on as_of): the rest are skipped early. DuckDB checks a condition on one column while it
-- scans, before it reads the others, so the ROs come in two disjoint parts: those not closed
-- before $ro_lo (every RO closed in the period or open on as_of, and most of those opened;
-- kpi.service.UNSETTLED) and the others opened in the period.
WITH r AS (
    SELECT r.*, {closed} AS closed, {opened} AS opened
    FROM repair_orders r
    WHERE {ro_filter} AND {unsettled}
      AND ({opened} OR {closed} OR ({open_on_as_of}))
    UNION ALL
    SELECT r.*, false AS closed, true AS opened
    FROM repair_orders r
    WHERE {ro_filter} AND NOT {unsettled} AND {opened}
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
