{{ config(
    materialized="incremental",
    incremental_strategy="delete_insert_window",
    meta={"partition_column": "event_date"},
    indexes=[{"columns": ["event_date"]}],
) }}
-- Each user's first event carrying each experiment, per day: the variant it shows.
WITH pairs AS (
    {{ event_experiments(source("raw", "events")) }}
    WHERE {{ in_window("e.event_date") }}
),
ranked AS (
    SELECT
        pairs.*,
        ROW_NUMBER() OVER (
            PARTITION BY event_date, user_id, experiment_id ORDER BY ts, event_id
        ) AS exposure_rank
    FROM pairs
)
SELECT
    event_date,
    CAST(user_id AS BIGINT) AS user_id,
    CAST(experiment_id AS VARCHAR(256)) AS experiment_id,
    CAST(variant AS VARCHAR(256)) AS variant,
    ts AS first_seen_at,
    CAST(event_id AS VARCHAR(256)) AS first_event_id
FROM ranked
WHERE exposure_rank = 1
