{#-
    'YYYY-MM' label of a date expression, written with functions both
    DuckDB and PostgreSQL have (no strftime / to_char).
-#}
{% macro year_month_label(date_expression) -%}
    cast(cast(extract(year from {{ date_expression }}) as integer)
        as {{ dbt.type_string() }})
    || '-'
    || lpad(
        cast(cast(extract(month from {{ date_expression }}) as integer)
            as {{ dbt.type_string() }}),
        2,
        '0'
    )
{%- endmacro %}
