{{ config(
    materialized="incremental",
    incremental_strategy="delete_insert_window",
    meta={"partition_column": "order_date"},
    indexes=[{"columns": ["order_date"]}],
) }}
WITH day_orders AS (
    SELECT order_date, user_id, status, amount_usd
    FROM {{ ref("orders_usd") }}
    WHERE deleted_at IS NULL AND {{ in_window("order_date") }}
),
totals AS (
    SELECT
        order_date,
        CAST(COUNT(*) AS BIGINT) AS orders,
        CAST(COUNT(DISTINCT user_id) AS BIGINT) AS paying_users,
        CAST(ROUND(SUM(amount_usd), 2) AS DECIMAL(18, 2)) AS gross_revenue_usd,
        CAST(ROUND(COALESCE(SUM(CASE WHEN status = 'refunded' THEN amount_usd END), 0), 2) AS DECIMAL(18, 2))
            AS refunded_usd
    FROM day_orders
    GROUP BY order_date
)
SELECT
    order_date,
    orders,
    paying_users,
    gross_revenue_usd,
    refunded_usd,
    CAST(gross_revenue_usd - refunded_usd AS DECIMAL(18, 2)) AS net_revenue_usd
FROM totals
