-- The store-level KPIs from the CTEs costs, churn, turn and snap: the shared tail of
-- service_store_level.sql and service_store_level_summary.sql (their kpis placeholder).
keys AS (
    SELECT grp FROM costs UNION SELECT grp FROM churn UNION SELECT grp FROM turn
    UNION SELECT grp FROM snap
)
SELECT k.grp,
       coalesce(cost_12m, 0) / nullif(avg_stock, 0) AS parts_turnover,
       CASE WHEN snapshot_rows > 0
            THEN stock_value / nullif(coalesce(cost_3m, 0) / 3.0, 0) END
           AS parts_months_supply,
       CASE WHEN snapshot_rows > 0 THEN obsolete_value END AS obsolete_parts_value,
       CASE WHEN first_open < $churn_cut
            THEN CAST(churned AS DOUBLE) / nullif(churn_base, 0) END AS customer_churn_rate
FROM keys k
LEFT JOIN costs USING (grp) LEFT JOIN churn USING (grp) LEFT JOIN turn USING (grp)
LEFT JOIN snap USING (grp)
