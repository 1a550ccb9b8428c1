{#-
  Generic tests on a partitioned (incremental) model check the run's window only, like the
  write: a bad old day does not block today, and a backfill checks every day it wrote.
  A test's own `where` config still applies on top.
-#}
{% macro default__get_where_subquery(relation) -%}
  {%- set filters = [] -%}
  {%- set column = window_column_of(relation) -%}
  {%- if column -%}{%- do filters.append(in_window(adapter.quote(column))) -%}{%- endif -%}
  {%- if config.get("where") -%}{%- do filters.append("(" ~ config.get("where") ~ ")") -%}{%- endif -%}
  {%- if filters -%}
    {%- do return("(select * from " ~ relation ~ " where " ~ filters | join(" and ") ~ ") dbt_subquery") -%}
  {%- else -%}
    {%- do return(relation) -%}
  {%- endif -%}
{%- endmacro %}

{#- The partition column of the incremental model behind `relation`, if any. -#}
{% macro window_column_of(relation) -%}
  {%- if execute -%}
    {%- for node in graph.nodes.values() -%}
      {%- if node.resource_type == "model" and node.alias == relation.identifier
            and node.schema == relation.schema and node.config.materialized == "incremental" -%}
        {%- do return(node.config.meta.get("partition_column")) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- do return(none) -%}
{%- endmacro %}
