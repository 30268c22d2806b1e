-- service_churn.sql's churn base, churned VINs and first visit of each group from
-- summary_service_churn: a store's counts on as_of are the sums of its changes up to as_of
-- (warehouse.summary_service); churned = in the base but not seen in the last 12 months.
SELECT {grp},
       coalesce(sum(base_delta), 0) AS churn_base,
       coalesce(sum(base_delta) - sum(kept_delta), 0) AS churned,
       min(day) FILTER (WHERE first_visits > 0) AS first_open
FROM (SELECT {rkey} AS grp, r.day, r.base_delta, r.kept_delta, r.first_visits
      FROM summary_service_churn r
      WHERE {ro_store_filter} AND r.day <= $as_of) v
{group}
