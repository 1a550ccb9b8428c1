{#- The run's window, half-open [start, end), from the vars Dagster passes per partition range. -#}

{% macro window_start() -%}
  CAST('{{ var("start") }} 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)
{%- endmacro %}

{% macro window_end() -%}
  CAST('{{ var("end") }} 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)
{%- endmacro %}

{#- `column` (a timestamp or a date) lies in the window. -#}
{% macro in_window(column) -%}
  ({{ column }} >= {{ window_start() }} AND {{ column }} < {{ window_end() }})
{%- endmacro %}

{#- Every session-level statement runs in UTC, so CAST(ts AS DATE) is the UTC day. -#}
{% macro utc_session() -%}
  SET TIME ZONE 'UTC'
{%- endmacro %}
