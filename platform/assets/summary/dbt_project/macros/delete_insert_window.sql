{#-
  Incremental strategy `delete_insert_window`: delete+insert by the partition column,
  replacing exactly the run's window. dbt's own `delete+insert` deletes only the keys
  present in the new rows, so a day whose rows all disappeared would keep its old ones.
  The materialization runs this inside its one transaction: readers see the old window or
  the new one. Rows outside the window are refused (the next rerun would not delete them).
-#}
{% macro get_incremental_delete_insert_window_sql(arg_dict) %}
  {%- set target = arg_dict["target_relation"] -%}
  {%- set temp = arg_dict["temp_relation"] -%}
  {%- set column = partition_column() -%}
  {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
  {%- do assert_rows_in_window(temp, column) -%}
  {{ lock_for_window_write(target) }};
  DELETE FROM {{ target }} WHERE {{ in_window(adapter.quote(column)) }};
  INSERT INTO {{ target }} ({{ columns }}) SELECT {{ columns }} FROM {{ temp }}
{% endmacro %}

{% macro assert_rows_in_window(relation, column) %}
  {%- if execute -%}
    {%- set query -%}
      SELECT COUNT(*) FROM {{ relation }} WHERE NOT {{ in_window(adapter.quote(column)) }} OR {{ adapter.quote(column) }} IS NULL
    {%- endset -%}
    {%- set outside = run_query(query).columns[0].values()[0] -%}
    {%- if outside > 0 -%}
      {{ exceptions.raise_compiler_error(
          outside ~ " rows of " ~ model.original_file_path ~ " fall outside [" ~ window_day("START") ~ ", " ~ window_day("END")
          ~ "); filter with `{{ in_window('...') }}` on the column " ~ column) }}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}

{#-
  Writers of one table serialise: two runs of overlapping windows must not interleave their
  deletes and inserts, and the archive must not count a day while it is rebuilt. On
  PostgreSQL this is the warehouse engine's own lock (transaction-scoped, advisory, keyed on
  `schema.table`), taken by every model's pre-hook; Redshift locks the table.
-#}
{% macro write_lock() %}
  {{ return(adapter.dispatch("write_lock")()) }}
{% endmacro %}

{% macro default__write_lock() -%}
  SELECT pg_advisory_xact_lock(hashtextextended('{{ this.schema }}.{{ this.identifier }}', 0))
{%- endmacro %}

{% macro redshift__write_lock() -%}{%- endmacro %}

{% macro lock_for_window_write(relation) %}
  {{ return(adapter.dispatch("lock_for_window_write")(relation)) }}
{% endmacro %}

{% macro default__lock_for_window_write(relation) -%}
  {{ default__write_lock() }}
{%- endmacro %}

{% macro redshift__lock_for_window_write(relation) -%}
  LOCK {{ relation }}
{%- endmacro %}

{#- The partition column an incremental model declares in `meta`. -#}
{% macro partition_column() %}
  {%- set column = (config.get("meta") or {}).get("partition_column") -%}
  {%- if not column -%}
    {{ exceptions.raise_compiler_error(model.original_file_path ~ ": an incremental model declares meta.partition_column") }}
  {%- endif -%}
  {{ return(column) }}
{% endmacro %}

{#-
  The first run of an incremental model (or a full refresh) creates the table from the
  model's rows directly, without the strategy above: its window is checked in a post-hook,
  still inside the transaction, so a refused table is never committed. Whether the table
  is new is noted by the pre-hook, before the model runs (the post-hook would see it).
-#}
{% macro note_new_table() %}
  {%- if execute -%}
    {%- do model.update({"window_check_whole_table": not is_incremental()}) -%}
  {%- endif -%}
{% endmacro %}

{% macro assert_new_table_in_window() %}
  {%- if execute and model.config.materialized == "incremental" and model.get("window_check_whole_table") -%}
    {%- do assert_rows_in_window(this, partition_column()) -%}
  {%- endif -%}
{% endmacro %}
