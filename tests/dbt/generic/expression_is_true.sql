{#-
    Fails for every row where the SQL expression is not true (false or
    null). Put it on a model for a row-level rule, or on a column to write
    the expression against that column: expression: ">= 0".
-#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}

with

validation as (

    select *
    from {{ model }}
    where not coalesce(
        {%- if column_name is not none %} {{ column_name }}{% endif %} {{ expression }},
        false
    )
    {%- if where_clause is not none %}
        and ({{ where_clause }})
    {%- endif %}

)

select * from validation

{% endtest %}
