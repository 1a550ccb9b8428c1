{{ config(meta={"dagster": {"ref": {"name": "channel_summary"}}}) }}
-- channel_summary's sessions in the window equal the sessions starting in it in raw.events
-- (a session's earlier events lie within session_max_days() before the window: the bound
-- `sessions_span_at_most_a_day` tests).
SELECT summary.sessions AS summary_sessions, raw_starts.sessions AS raw_sessions
FROM (
    SELECT COALESCE(SUM(sessions), 0) AS sessions FROM {{ ref("channel_summary") }}
    WHERE {{ in_window("event_date") }}
) AS summary
CROSS JOIN (
    SELECT COUNT(*) AS sessions
    FROM (
        SELECT session_id, MIN(ts) AS started_at FROM {{ source("raw", "events") }}
        WHERE event_date >= {{ day_before_window(session_max_days()) }} AND event_date < {{ day_after_window(0) }}
        GROUP BY session_id
    ) AS starts
    WHERE started_at >= {{ window_start() }}
) AS raw_starts
WHERE summary.sessions <> raw_starts.sessions
