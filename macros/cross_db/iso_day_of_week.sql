{#-
    ISO day of the week of a date, 1 = Monday to 7 = Sunday (an integer).
    Why: macros/_macros.yml.
-#}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'retail_warehouse')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as integer)
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expression) -%}
    cast(extract(dayofweek_iso from {{ date_expression }}) as integer)
{%- endmacro %}
