{#-
    The materialization of the load-driven incremental models: incremental,
    or table on Spark (no delete+insert or merge on parquet). Why:
    macros/_macros.yml.
-#}
{% macro incremental_materialization() -%}
    {{ return('table' if target.type in ('spark', 'sparkpy') else 'incremental') }}
{%- endmacro %}
