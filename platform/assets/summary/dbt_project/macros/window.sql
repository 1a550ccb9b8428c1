{#-
  The run's window, half-open [start, end): Dagster sets PLATFORM_DBT_WINDOW_START and
  PLATFORM_DBT_WINDOW_END (YYYY-MM-DD) per partition range; without them every day is in it.
  They are read only when the SQL runs (`execute`), never while dbt parses: the parsed
  project is then the same for every window, so each run reuses the last run's parse
  (dbt's partial parsing) instead of parsing the whole project again (~2 s a run). A window
  passed as `--vars` would force that full parse, because dbt re-parses when vars change.
-#}

{#- A bound of the window as YYYY-MM-DD: `bound` is "START" or "END". -#}
{% macro window_day(bound) -%}
  {%- set default = {"START": "1970-01-01", "END": "2200-01-01"}[bound] -%}
  {{ return(env_var("PLATFORM_DBT_WINDOW_" ~ bound, default) if execute else default) }}
{%- endmacro %}

{% macro window_start() -%}
  CAST('{{ window_day("START") }} 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)
{%- endmacro %}

{% macro window_end() -%}
  CAST('{{ window_day("END") }} 00:00:00+00' AS TIMESTAMP WITH TIME ZONE)
{%- endmacro %}

{#- `column` (a timestamp or a date) lies in the window. -#}
{% macro in_window(column) -%}
  ({{ column }} >= {{ window_start() }} AND {{ column }} < {{ window_end() }})
{%- endmacro %}

{#- Every session-level statement runs in UTC, so CAST(ts AS DATE) is the UTC day. -#}
{% macro utc_session() -%}
  SET TIME ZONE 'UTC'
{%- endmacro %}
