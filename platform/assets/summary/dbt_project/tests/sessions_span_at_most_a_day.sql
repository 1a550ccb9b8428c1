{{ config(meta={"dagster": {"ref": {"name": "channel_summary"}}}) }}
-- The bound the session models keep to (session_max_days(), macros/window.sql): no session
-- with an event in the window has events further apart than that. Sessions read from the
-- window and the look-back before it; a longer session would make channel_summary count its
-- start twice.
SELECT session_id, MIN(ts) AS first_event, MAX(ts) AS last_event
FROM {{ source("raw", "events") }}
WHERE event_date >= {{ day_before_window(session_max_days()) }} AND event_date < {{ day_after_window(0) }}
    AND session_id IN (
        SELECT session_id FROM {{ source("raw", "events") }} WHERE {{ in_window("event_date") }}
    )
GROUP BY session_id
HAVING MAX(ts) - MIN(ts) > INTERVAL '{{ session_max_days() }} day'
