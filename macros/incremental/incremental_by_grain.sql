{#-
    The materialization of a model that an incremental run recomputes one
    grain value at a time (a load, a month, a customer): the one place that
    chooses the incremental strategy per engine. Use as
    config(**incremental_by_grain('month_start_date')). Why:
    macros/_macros.yml.
-#}
{% macro incremental_by_grain(grain, partition_by=none) -%}
    {{ return(adapter.dispatch('incremental_by_grain', 'retail_warehouse')(
        grain, partition_by
    )) }}
{%- endmacro %}

{% macro default__incremental_by_grain(grain, partition_by=none) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': grain,
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{% macro spark__incremental_by_grain(grain, partition_by=none) -%}
    {{ return({'materialized': incremental_materialization()}) }}
{%- endmacro %}
