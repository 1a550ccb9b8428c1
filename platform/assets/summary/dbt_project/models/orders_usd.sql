{{ config(
    materialized="incremental",
    incremental_strategy="delete_insert_window",
    meta={"partition_column": "order_date"},
    indexes=[{"columns": ["order_date"]}],
) }}
-- Every order with its amount in USD at the rate of its created_at (UTC) date: the one
-- conversion every summary and the user features read. No rate: amount_usd is NULL and
-- the blocking test `orders_usd_every_order_has_a_rate` names the order.
SELECT
    o.order_id,
    o.user_id,
    o.session_id,
    o.status,
    o.currency,
    o.amount,
    r.usd_per_unit,
    o.amount * r.usd_per_unit AS amount_usd,
    o.created_at,
    CAST(o.created_at AS DATE) AS order_date,
    o.deleted_at
FROM {{ source("raw", "orders") }} AS o
LEFT JOIN {{ source("raw", "exchange_rates") }} AS r
    ON r.currency = o.currency AND r.rate_date = CAST(o.created_at AS DATE)
WHERE {{ in_window("o.created_at") }}
