-- description: >
--   A/B tests: per experiment and variant, the users assigned (the variant on a user's
--   earliest event carrying the experiment), converters (users with at least one order
--   not deleted), conversion rate, lift vs `control` (rate / control rate - 1) and the
--   two-sided p-value of a pooled two-proportion z-test vs `control`; both null on control.
-- owner: team:analytics
-- grain: [experiment_id, variant]
-- post_step: p_value_from_z_score
-- checks:
--   non_negative: [users, converters]
--   conditions:
--     converters_within_users: converters <= users
--     control_has_no_test: variant <> 'control' OR (lift_vs_control IS NULL AND p_value IS NULL)
--     p_value_is_probability: p_value IS NULL OR (p_value >= 0 AND p_value <= 1)
WITH ranked AS (
    SELECT
        experiment_id,
        user_id,
        variant,
        ROW_NUMBER() OVER (
            PARTITION BY experiment_id, user_id ORDER BY first_seen_at, first_event_id
        ) AS exposure_rank
    FROM analytics.experiment_exposures
),
converters AS (
    SELECT DISTINCT user_id FROM raw.orders WHERE deleted_at IS NULL
),
variants AS (
    SELECT
        a.experiment_id,
        a.variant,
        CAST(COUNT(*) AS BIGINT) AS users,
        CAST(COUNT(c.user_id) AS BIGINT) AS converters,
        CAST(COUNT(c.user_id) AS DOUBLE PRECISION) / CAST(COUNT(*) AS DOUBLE PRECISION) AS conversion_rate
    FROM ranked AS a
    LEFT JOIN converters AS c ON c.user_id = a.user_id
    WHERE a.exposure_rank = 1
    GROUP BY a.experiment_id, a.variant
),
compared AS (
    SELECT
        v.*,
        c.users AS control_users,
        c.conversion_rate AS control_rate,
        CAST(v.converters + c.converters AS DOUBLE PRECISION)
            / CAST(v.users + c.users AS DOUBLE PRECISION) AS pooled_rate
    FROM variants AS v
    LEFT JOIN variants AS c ON c.experiment_id = v.experiment_id AND c.variant = 'control'
),
tested AS (
    SELECT
        compared.*,
        SQRT(pooled_rate * (1 - pooled_rate)
             * (1.0 / CAST(users AS DOUBLE PRECISION) + 1.0 / CAST(control_users AS DOUBLE PRECISION))
        ) AS standard_error
    FROM compared
)
SELECT
    experiment_id,
    variant,
    users,
    converters,
    conversion_rate,
    CASE WHEN variant = 'control' OR control_rate = 0 THEN NULL
         ELSE conversion_rate / control_rate - 1
    END AS lift_vs_control,
    CASE WHEN variant = 'control' OR standard_error = 0 THEN NULL
         ELSE (conversion_rate - control_rate) / standard_error
    END AS z_score,
    CAST(NULL AS DOUBLE PRECISION) AS p_value
FROM tested
