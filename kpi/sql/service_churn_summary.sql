-- service_churn.sql's churn base, churned VINs and first visit of each group from
-- summary_service_visits: a VIN visiting in the 24 months (churn_base, as_of] counts once, on
-- its first visit of them (the one whose previous visit is at or before churn_base); it is
-- kept when it visited since churn_cut (counted on its first visit since then), else lost.
SELECT {grp},
       coalesce(sum(visits) FILTER (WHERE {in_base}), 0) AS churn_base,
       coalesce(sum(visits) FILTER (WHERE {in_base}), 0)
           - coalesce(sum(visits) FILTER (WHERE {in_kept}), 0) AS churned,
       min(day) AS first_open
FROM (SELECT {rkey} AS grp, r.day, r.prev_day, r.visits
      FROM summary_service_visits r
      WHERE {ro_store_filter} AND r.day <= $as_of) v
{group}
