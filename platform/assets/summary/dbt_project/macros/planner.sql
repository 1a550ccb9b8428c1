{#-
  PostgreSQL estimates "the first row per key" (a window function's rank filter) and an
  anti-join as a handful of rows, and then joins that result with a nested loop that
  rescans the other side once per row: quadratic on a real day of sessions (minutes instead
  of seconds on ten days of 200k events). Hash joins are right for every join of such a
  model, so its transaction turns nested loops off. Redshift plans its own joins: nothing.
-#}
{% macro hash_joins_only() %}
  {{ return(adapter.dispatch("hash_joins_only")()) }}
{% endmacro %}

{% macro default__hash_joins_only() -%}
  SET LOCAL enable_nestloop = off
{%- endmacro %}

{% macro redshift__hash_joins_only() -%}{%- endmacro %}
