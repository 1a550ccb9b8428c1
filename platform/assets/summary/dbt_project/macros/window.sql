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

{#-
  A model that needs history keeps to a bound the data's own contract gives it. Sessions: a
  session spans at most one day (the shipper cuts sessions at midnight UTC; web analytics
  tools end them after 30 min idle), tested by `sessions_span_at_most_a_day`. So "did this
  session begin before the window?" reads the one day before the window, not all history;
  the model declares it (`meta.reads_behind: {events: 1}`), and Dagster rebuilds its day D
  when events of D-1 change.
-#}
{% macro session_max_days() -%}1{%- endmacro %}

{#- The day `days` before the window's first day, as a DATE literal. -#}
{% macro day_before_window(days) -%}
  {%- set start = modules.datetime.date.fromisoformat(window_day("START")) -%}
  CAST('{{ (start - modules.datetime.timedelta(days=days | int)).isoformat() }}' AS DATE)
{%- endmacro %}

{#- The window's last day plus `days`, exclusive end, as a DATE literal. -#}
{% macro day_after_window(days) -%}
  {%- set end = modules.datetime.date.fromisoformat(window_day("END")) -%}
  CAST('{{ (end + modules.datetime.timedelta(days=days | int)).isoformat() }}' AS DATE)
{%- endmacro %}

{#- `column` (a date) lies in the `days` before the window. -#}
{% macro in_lookback(column, days) -%}
  ({{ column }} >= {{ day_before_window(days) }} AND {{ column }} < CAST('{{ window_day("START") }}' AS DATE))
{%- endmacro %}
