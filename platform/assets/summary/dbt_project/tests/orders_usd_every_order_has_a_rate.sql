{{ config(meta={"dagster": {"ref": {"name": "orders_usd"}}}) }}
-- Blocking: an order (not deleted) whose currency has no rate on its day. The failing rows
-- name the orders, so the fix (load the rate, or correct the order) is clear.
SELECT order_id, currency, order_date, amount
FROM {{ ref("orders_usd") }}
WHERE amount_usd IS NULL AND deleted_at IS NULL AND {{ in_window("order_date") }}
