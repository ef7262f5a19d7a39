{#-
    Continuous percentile of an expression, as an aggregate, rounded to 6
    decimals (numeric(38, 6)) so both engines agree. Why: macros/_macros.yml.
-#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'retail_warehouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    cast(
        percentile_cont({{ fraction }}) within group (
            order by cast({{ expression }} as double precision)
        ) as numeric(38, 6)
    )
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    cast(
        quantile_cont(cast({{ expression }} as double precision), {{ fraction }})
        as numeric(38, 6)
    )
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%}
    cast(
        percentile_cont({{ fraction }}) within group (
            order by cast({{ expression }} as double)
        ) as numeric(38, 6)
    )
{%- endmacro %}
