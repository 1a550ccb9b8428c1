{#-
  Statistics neither PostgreSQL nor Redshift has built in, in portable SQL.
  erfc(x) for x >= 0: Numerical Recipes' `erfcc` (fractional error below 1.2e-7 everywhere).
-#}
{% macro erfc(x) -%}
  (CASE WHEN ({{ x }}) > 26 THEN 0.0 ELSE
    (1.0 / (1.0 + 0.5 * ({{ x }}))) * EXP(
      -({{ x }}) * ({{ x }}) - 1.26551223 + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (1.00002368
      + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (0.37409196 + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (0.09678418
      + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (-0.18628806 + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (0.27886807
      + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (-1.13520398 + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (1.48851587
      + (1.0 / (1.0 + 0.5 * ({{ x }}))) * (-0.82215223 + (1.0 / (1.0 + 0.5 * ({{ x }}))) * 0.17087277))))))))
    )
  END)
{%- endmacro %}

{#- P(|Z| >= |z|) for a standard normal Z. -#}
{% macro two_sided_normal_p(z) -%}
  {{ erfc("ABS(" ~ z ~ ") / SQRT(2.0)") }}
{%- endmacro %}

{#-
  P(X >= x) for X chi-square with `df` degrees of freedom: exact for df = 1 (two variants),
  the Wilson–Hilferty normal approximation above that (ample for a 0.001 threshold).
-#}
{% macro chi_square_p(x, df) -%}
  (CASE
    WHEN ({{ df }}) < 1 THEN NULL
    WHEN ({{ df }}) = 1 THEN {{ erfc("SQRT(" ~ x ~ " / 2.0)") }}
    ELSE 0.5 * {{ erfc(
      "GREATEST(0.0, (POWER(" ~ x ~ " / (" ~ df ~ "), 1.0 / 3) - (1 - 2.0 / (9 * (" ~ df ~ "))))"
      ~ " / SQRT(2.0 / (9 * (" ~ df ~ "))) / SQRT(2.0))") }}
  END)
{%- endmacro %}
