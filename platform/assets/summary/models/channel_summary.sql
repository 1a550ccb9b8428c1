-- description: >
--   Sessions by the UTC day of their start and their channel (both from the session's
--   earliest event), with their distinct users, the distinct users of their orders
--   (not deleted), conversion (paid_users / unique_users), and USD revenue at the rate of
--   each order's created_at date: gross (all statuses) and net (status 'paid').
-- owner: team:analytics
-- partition_column: event_date
-- grain: [event_date, channel]
-- reads_ahead: {raw.orders: 1, raw.exchange_rates: 1}   # a session's orders may come after midnight
-- checks:
--   non_negative: [sessions, unique_users, paid_users, gross_revenue_usd, net_revenue_usd]
--   conditions:
--     funnel_order: sessions >= unique_users AND unique_users >= paid_users
--     net_within_gross: net_revenue_usd <= gross_revenue_usd
--   reconcile:
--     sessions_match_raw_events: |
--       SELECT summary.sessions, raw_starts.sessions
--       FROM (SELECT COALESCE(SUM(sessions), 0) AS sessions FROM analytics.channel_summary
--             WHERE event_date >= :start AND event_date < :end) AS summary
--       CROSS JOIN (
--         SELECT COUNT(*) AS sessions
--         FROM (SELECT session_id, MIN(ts) AS started_at FROM raw.events
--               WHERE ts < :end GROUP BY session_id) AS starts
--         WHERE started_at >= :start) AS raw_starts
--       WHERE summary.sessions <> raw_starts.sessions
WITH window_sessions AS (
    -- every session with an event in the window; its earlier events still decide its start
    SELECT DISTINCT session_id FROM raw.events WHERE ts >= :start AND ts < :end
),
ranked AS (
    SELECT
        e.session_id,
        e.user_id,
        e.channel,
        e.ts,
        ROW_NUMBER() OVER (PARTITION BY e.session_id ORDER BY e.ts, e.event_id) AS event_rank
    FROM raw.events AS e
    JOIN window_sessions AS w ON w.session_id = e.session_id
    WHERE e.ts < :end
),
sessions AS (
    SELECT session_id, user_id, channel, CAST(ts AS DATE) AS event_date
    FROM ranked
    WHERE event_rank = 1 AND ts >= :start
),
session_orders AS (
    SELECT
        o.session_id,
        o.user_id,
        o.status,
        o.amount * r.usd_per_unit AS amount_usd
    FROM raw.orders AS o
    JOIN raw.exchange_rates AS r
        ON r.currency = o.currency AND r.rate_date = CAST(o.created_at AS DATE)
    JOIN sessions AS s ON s.session_id = o.session_id
    WHERE o.deleted_at IS NULL
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
