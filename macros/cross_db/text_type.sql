{#-
    The type of text columns: varchar, or string on Spark (whose varchar
    needs a length). Why: macros/_macros.yml.
-#}
{% macro text_type() -%}
    {{ return(adapter.dispatch('text_type', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro default__text_type() -%}
    {{ return('varchar') }}
{%- endmacro %}

{% macro spark__text_type() -%}
    {{ return('string') }}
{%- endmacro %}
