{{ config(materialized="table") }}
-- A/B tests, rebuilt in full and swapped in. A user's variant and exposure come from their
-- earliest event carrying the experiment; a converter has a paid, non-deleted order at or
-- after that exposure.
WITH exposures AS (
    SELECT
        experiment_id,
        user_id,
        variant,
        first_seen_at,
        ROW_NUMBER() OVER (
            PARTITION BY experiment_id, user_id ORDER BY first_seen_at, first_event_id
        ) AS exposure_rank
    FROM {{ ref("experiment_exposures") }}
),
assigned AS (
    SELECT experiment_id, user_id, variant, first_seen_at AS exposed_at
    FROM exposures
    WHERE exposure_rank = 1
),
converted AS (
    SELECT DISTINCT a.experiment_id, a.user_id
    FROM assigned AS a
    JOIN {{ ref("orders_usd") }} AS o
        ON o.user_id = a.user_id AND o.created_at >= a.exposed_at
    WHERE o.status = 'paid' AND o.deleted_at IS NULL
),
variants AS (
    SELECT
        a.experiment_id,
        a.variant,
        CAST(COUNT(*) AS BIGINT) AS users,
        CAST(COUNT(c.user_id) AS BIGINT) AS converters,
        CAST(COUNT(c.user_id) AS DOUBLE PRECISION) / CAST(COUNT(*) AS DOUBLE PRECISION) AS conversion_rate
    FROM assigned AS a
    LEFT JOIN converted AS c ON c.experiment_id = a.experiment_id AND c.user_id = a.user_id
    GROUP BY a.experiment_id, a.variant
),
experiments AS (
    -- the planned split is equal between an experiment's variants
    SELECT
        experiment_id,
        CAST(SUM(users) AS DOUBLE PRECISION) / COUNT(*) AS expected_users,
        COUNT(*) - 1 AS degrees_of_freedom
    FROM variants
    GROUP BY experiment_id
),
sample_ratio AS (
    SELECT
        v.experiment_id,
        SUM((v.users - e.expected_users) * (v.users - e.expected_users) / e.expected_users) AS srm_chi_square,
        MAX(e.degrees_of_freedom) AS degrees_of_freedom
    FROM variants AS v
    JOIN experiments AS e ON e.experiment_id = v.experiment_id
    GROUP BY v.experiment_id
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
        ) AS pooled_error,
        SQRT(conversion_rate * (1 - conversion_rate) / CAST(users AS DOUBLE PRECISION)
             + control_rate * (1 - control_rate) / CAST(control_users AS DOUBLE PRECISION)
        ) AS difference_error,
        CASE WHEN variant = 'control' THEN NULL ELSE conversion_rate - control_rate END AS difference
    FROM compared
),
scored AS (
    SELECT
        tested.*,
        CASE WHEN variant = 'control' OR pooled_error = 0 THEN NULL
             ELSE (conversion_rate - control_rate) / pooled_error
        END AS z_score
    FROM tested
)
SELECT
    s.experiment_id,
    s.variant,
    s.users,
    s.converters,
    s.conversion_rate,
    CASE WHEN s.variant = 'control' OR s.control_rate = 0 THEN NULL
         ELSE s.conversion_rate / s.control_rate - 1
    END AS lift_vs_control,
    s.z_score,
    CAST({{ two_sided_normal_p("s.z_score") }} AS DOUBLE PRECISION) AS p_value,
    s.difference AS difference_vs_control,
    -- 95% interval for the difference (unpooled normal approximation)
    s.difference - 1.959963984540054 * s.difference_error AS difference_ci_low,
    s.difference + 1.959963984540054 * s.difference_error AS difference_ci_high,
    r.srm_chi_square,
    CAST({{ chi_square_p("r.srm_chi_square", "r.degrees_of_freedom") }} AS DOUBLE PRECISION) AS srm_p_value
FROM scored AS s
JOIN sample_ratio AS r ON r.experiment_id = s.experiment_id
