{#- Fails when the model has no rows: a build that silently produced nothing. -#}
{% test not_empty(model) %}

with

row_count as (

    select count(*) as rows_found
    from {{ model }}

)

select * from row_count where rows_found = 0

{% endtest %}
