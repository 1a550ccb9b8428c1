-- description: >
--   Orders created on each UTC day (deleted ones excluded), their distinct users, and USD
--   revenue at that day's exchange rate: gross (all statuses), refunded, and net = gross - refunded.
-- owner: team:analytics
-- partition_column: order_date
-- grain: [order_date]
-- checks:
--   non_negative: [orders, paying_users, gross_revenue_usd, refunded_usd, net_revenue_usd]
--   conditions:
--     net_is_gross_minus_refunded: net_revenue_usd = gross_revenue_usd - refunded_usd
--   reconcile:
--     gross_matches_raw_orders: |
--       SELECT summary.orders, summary.gross, raw_orders.orders, raw_orders.unconverted, raw_orders.gross
--       FROM (SELECT COALESCE(SUM(orders), 0) AS orders, COALESCE(SUM(gross_revenue_usd), 0) AS gross
--             FROM analytics.daily_revenue WHERE order_date >= :start AND order_date < :end) AS summary
--       CROSS JOIN (
--         SELECT COUNT(*) AS orders, COUNT(*) - COUNT(r.usd_per_unit) AS unconverted,
--                COALESCE(SUM(o.amount * r.usd_per_unit), 0) AS gross
--         FROM raw.orders AS o
--         LEFT JOIN raw.exchange_rates AS r
--           ON r.currency = o.currency AND r.rate_date = CAST(o.created_at AS DATE)
--         WHERE o.deleted_at IS NULL AND o.created_at >= :start AND o.created_at < :end) AS raw_orders
--       WHERE summary.orders <> raw_orders.orders OR raw_orders.unconverted > 0
--          OR ABS(summary.gross - raw_orders.gross) > 0.01 * (1 + (SELECT COUNT(*) FROM analytics.daily_revenue
--                WHERE order_date >= :start AND order_date < :end))
WITH converted AS (
    SELECT
        CAST(o.created_at AS DATE) AS order_date,
        o.user_id,
        o.status,
        o.amount * r.usd_per_unit AS amount_usd
    FROM raw.orders AS o
    JOIN raw.exchange_rates AS r
        ON r.currency = o.currency AND r.rate_date = CAST(o.created_at AS DATE)
    WHERE o.deleted_at IS NULL
      AND o.created_at >= :start
      AND o.created_at < :end
),
totals AS (
    SELECT
        order_date,
        CAST(COUNT(*) AS BIGINT) AS orders,
        CAST(COUNT(DISTINCT user_id) AS BIGINT) AS paying_users,
        CAST(ROUND(SUM(amount_usd), 2) AS DECIMAL(18, 2)) AS gross_revenue_usd,
        CAST(ROUND(COALESCE(SUM(CASE WHEN status = 'refunded' THEN amount_usd END), 0), 2) AS DECIMAL(18, 2))
            AS refunded_usd
    FROM converted
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
