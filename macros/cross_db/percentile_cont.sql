{#-
    Continuous percentile (linear interpolation) of an expression, as an
    aggregate: percentile_cont(unit_price, 0.5) is the median. DuckDB spells
    it quantile_cont(x, p); PostgreSQL percentile_cont(p) within group
    (order by x). Both interpolate the same way; the input is cast to double
    precision on both so the arithmetic, and so the result, is the same
    (PostgreSQL only takes double anyway, DuckDB would otherwise interpolate
    decimals exactly). Round or cast the result to the precision you report.
-#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'retail_warehouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (
        order by cast({{ expression }} as double precision)
    )
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont(cast({{ expression }} as double precision), {{ fraction }})
{%- endmacro %}
