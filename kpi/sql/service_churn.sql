-- The churn base, churned customers and first visit of each group (the churn CTE of
-- service_store_level.sql). first_open: the group's earliest visit ever; with none before
-- the cut nobody can have been lost yet, and the rate is no value rather than 0.
SELECT c.*, f.first_open FROM (
    SELECT {grp}, count(*) AS churn_base,
           count(*) FILTER (WHERE last_open < $churn_cut) AS churned
    FROM visits {group}
) c
LEFT JOIN (
    SELECT {grp}, min(first_open) AS first_open
    FROM (SELECT {rkey} AS grp, min(r.open_date) AS first_open
          FROM repair_orders r
          WHERE {ro_store_filter} AND r.vin IS NOT NULL AND r.open_date <= $as_of
          GROUP BY 1) firsts
    {group}
) f USING (grp)
