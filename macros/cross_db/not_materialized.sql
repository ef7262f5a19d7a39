{#-
    Written after `as` in a common table expression that a query reads more
    than once: DuckDB and PostgreSQL then inline it into each reader instead
    of materializing it; Spark always inlines and has no such keyword. Why:
    macros/_macros.yml.
-#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    {{ return('not materialized') }}
{%- endmacro %}

{% macro spark__not_materialized() -%}
    {{ return('') }}
{%- endmacro %}
