{{ config(meta={"dagster": {"ref": {"name": "ab_test_results"}}}) }}
-- Blocking: an experiment whose users per variant stray from the planned (equal) split
-- (chi-square p below 0.001) is broken at assignment; its results must not be read.
SELECT experiment_id, variant, users, srm_chi_square, srm_p_value
FROM {{ ref("ab_test_results") }}
WHERE srm_p_value < 0.001
