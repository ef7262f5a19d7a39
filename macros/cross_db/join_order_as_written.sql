{#-
    A pre-hook that makes PostgreSQL join a model's relations in the order
    its SQL writes them (join_collapse_limit = 1 for the model's transaction
    only); nothing on the other engines. Why: macros/_macros.yml.
-#}
{% macro join_order_as_written() -%}
    {{ return(adapter.dispatch('join_order_as_written', 'retail_warehouse')()) }}
{%- endmacro %}

{% macro default__join_order_as_written() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__join_order_as_written() -%}
    {{ return('set local join_collapse_limit = 1') }}
{%- endmacro %}
