{{ config(
    materialized="incremental",
    incremental_strategy="delete_insert_window",
    meta={"partition_column": "event_date", "reads_ahead": {"orders_usd": 1}, "reads_behind": {"events": 1}},
    pre_hook="{{ hash_joins_only() }}",
    indexes=[{"columns": ["event_date"]}],
) }}
-- reads_ahead: a session starting before midnight buys after it, so day D also reads the
-- orders of D+1, and Dagster rebuilds D when orders_usd D+1 changes.
-- reads_behind: whether a session began before D is in the day before D (a session spans
-- at most session_max_days(), macros/window.sql), so day D reads events of D-1 and D only:
-- a day costs the same in a warehouse of a week or of years.
WITH window_events AS (
    SELECT session_id, user_id, channel, ts, event_id
    FROM {{ source("raw", "events") }}
    WHERE {{ in_window("event_date") }} AND session_id IS NOT NULL
),
earlier_sessions AS (
    -- a session with an event before the window began on an earlier day: it is not counted
    -- here. One hash anti-join against the look-back's events.
    SELECT DISTINCT e.session_id
    FROM {{ source("raw", "events") }} AS e
    JOIN (SELECT DISTINCT session_id FROM window_events) AS w ON w.session_id = e.session_id
    WHERE {{ in_lookback("e.event_date", session_max_days()) }}
),
ranked AS (
    -- the remaining sessions start in the window, at their first event in it
    SELECT
        w.session_id,
        w.user_id,
        w.channel,
        w.ts,
        ROW_NUMBER() OVER (PARTITION BY w.session_id ORDER BY w.ts, w.event_id) AS event_rank
    FROM window_events AS w
    LEFT JOIN earlier_sessions AS p ON p.session_id = w.session_id
    WHERE p.session_id IS NULL
),
sessions AS (
    SELECT session_id, user_id, channel, CAST(ts AS DATE) AS event_date
    FROM ranked
    WHERE event_rank = 1
),
session_orders AS (
    SELECT o.session_id, o.user_id, o.status, o.amount_usd
    FROM {{ ref("orders_usd") }} AS o
    JOIN sessions AS s ON s.session_id = o.session_id
    WHERE o.deleted_at IS NULL
        AND o.order_date >= CAST('{{ window_day("START") }}' AS DATE) AND o.order_date < {{ day_after_window(1) }}
),
totals AS (
    SELECT
        s.event_date,
        s.channel,
        CAST(COUNT(DISTINCT s.session_id) AS BIGINT) AS sessions,
        CAST(COUNT(DISTINCT s.user_id) AS BIGINT) AS unique_users,
        CAST(COUNT(DISTINCT o.user_id) AS BIGINT) AS paid_users,
        CAST(ROUND(COALESCE(SUM(o.amount_usd), 0), 2) AS DECIMAL(18, 2)) AS gross_revenue_usd,
        CAST(ROUND(COALESCE(SUM(CASE WHEN o.status = 'paid' THEN o.amount_usd END), 0), 2) AS DECIMAL(18, 2))
            AS net_revenue_usd
    FROM sessions AS s
    LEFT JOIN session_orders AS o ON o.session_id = s.session_id
    GROUP BY s.event_date, s.channel
)
SELECT
    event_date,
    channel,
    sessions,
    unique_users,
    paid_users,
    CASE WHEN unique_users = 0 THEN NULL
         ELSE CAST(paid_users AS DOUBLE PRECISION) / CAST(unique_users AS DOUBLE PRECISION)
    END AS conversion_rate,
    gross_revenue_usd,
    net_revenue_usd
FROM totals
