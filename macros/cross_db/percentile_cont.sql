{#-
    Continuous percentile of an expression, as an aggregate, rounded to 6
    decimals (numeric(38, 6)) so both engines agree. fractions: every
    fraction the same select asks of the same expression, so DuckDB keeps
    the values once for all of them. Why: macros/_macros.yml.
-#}
{% macro percentile_cont(expression, fraction, fractions=none) -%}
    {{ return(adapter.dispatch('percentile_cont', 'retail_warehouse')(
        expression, fraction, fractions
    )) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction, fractions=none) -%}
    cast(
        percentile_cont({{ fraction }}) within group (
            order by cast({{ expression }} as double precision)
        ) as numeric(38, 6)
    )
{%- endmacro %}

{#- With fractions, every call renders the same list aggregate, which DuckDB
    computes once, and takes its element. -#}
{% macro duckdb__percentile_cont(expression, fraction, fractions=none) -%}
    {%- if fractions -%}
    cast(
        quantile_cont(
            cast({{ expression }} as double precision),
            [{{ fractions | join(', ') }}]
        )[{{ fractions.index(fraction) + 1 }}]
        as numeric(38, 6)
    )
    {%- else -%}
    cast(
        quantile_cont(cast({{ expression }} as double precision), {{ fraction }})
        as numeric(38, 6)
    )
    {%- endif -%}
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction, fractions=none) -%}
    cast(
        percentile_cont({{ fraction }}) within group (
            order by cast({{ expression }} as double)
        ) as numeric(38, 6)
    )
{%- endmacro %}
