{#-
  One row per (event, experiment) from `raw.events.experiments`: expanding a JSON object's
  keys differs between PostgreSQL (jsonb) and Redshift (SUPER), so each gets its own.
  Columns: event_id, ts, event_date, user_id, experiment_id, variant.
-#}
{% macro event_experiments(events) %}
  {{ return(adapter.dispatch("event_experiments")(events)) }}
{% endmacro %}

{% macro default__event_experiments(events) %}
  SELECT e.event_id, e.ts, e.event_date, e.user_id, x.key AS experiment_id, x.value AS variant
  FROM {{ events }} AS e
  CROSS JOIN LATERAL jsonb_each_text(e.experiments) AS x
{% endmacro %}

{% macro redshift__event_experiments(events) %}
  SELECT e.event_id, e.ts, e.event_date, e.user_id, experiment_id, CAST(variant AS VARCHAR) AS variant
  FROM {{ events }} AS e, UNPIVOT e.experiments AS variant AT experiment_id
{% endmacro %}
