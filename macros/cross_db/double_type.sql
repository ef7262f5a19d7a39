{#-
    The type of floating-point columns, 8 bytes on every engine: double
    precision, or double on Spark (which has no `double precision`).
    Why: macros/_macros.yml.
-#}
{% macro double_type() -%}
    {{ return(adapter.dispatch('double_type', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro default__double_type() -%}
    {{ return('double precision') }}
{%- endmacro %}

{% macro spark__double_type() -%}
    {{ return('double') }}
{%- endmacro %}
