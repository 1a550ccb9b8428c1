{#- No two rows share the `columns` (the model's grain). -#}
{% test unique_grain(model, columns) %}
  SELECT {{ columns | join(", ") }}, COUNT(*) AS copies
  FROM {{ model }}
  GROUP BY {{ columns | join(", ") }}
  HAVING COUNT(*) > 1
{% endtest %}

{#- Every value of the column is >= 0 (NULL fails too). -#}
{% test non_negative(model, column_name) %}
  SELECT {{ column_name }} FROM {{ model }} WHERE NOT COALESCE({{ column_name }} >= 0, FALSE)
{% endtest %}

{#- Every row satisfies the boolean SQL `expression`; the failing rows are returned. -#}
{% test every_row(model, expression) %}
  SELECT * FROM {{ model }} WHERE NOT COALESCE(({{ expression }}), FALSE)
{% endtest %}
