{{ config(meta={"dagster": {"ref": {"name": "daily_revenue"}}}) }}
-- daily_revenue's orders and gross in the window agree with raw.orders converted at raw.exchange_rates.
SELECT summary.orders, summary.gross, raw_orders.orders AS raw_orders, raw_orders.gross AS raw_gross
FROM (
    SELECT COALESCE(SUM(orders), 0) AS orders, COALESCE(SUM(gross_revenue_usd), 0) AS gross, COUNT(*) AS days
    FROM {{ ref("daily_revenue") }} WHERE {{ in_window("order_date") }}
) AS summary
CROSS JOIN (
    SELECT COUNT(*) AS orders, COALESCE(SUM(o.amount * r.usd_per_unit), 0) AS gross
    FROM {{ source("raw", "orders") }} AS o
    LEFT JOIN {{ source("raw", "exchange_rates") }} AS r
        ON r.currency = o.currency AND r.rate_date = CAST(o.created_at AS DATE)
    WHERE o.deleted_at IS NULL AND {{ in_window("o.created_at") }}
) AS raw_orders
WHERE summary.orders <> raw_orders.orders
   OR ABS(summary.gross - raw_orders.gross) > 0.01 * (1 + summary.days)
