{#-
    Continuous percentile (linear interpolation) of an expression, as an
    aggregate: percentile_cont(unit_price, 0.5) is the median. DuckDB spells
    it quantile_cont(x, p); PostgreSQL percentile_cont(p) within group
    (order by x). Both interpolate the same way; the input is cast to double
    precision on both so the arithmetic, and so the result, is the same
    (PostgreSQL only takes double anyway, DuckDB would otherwise interpolate
    decimals exactly). The two engines still order the floating-point steps
    of the interpolation differently, so the same percentile can come out as
    143.70499999 on one and 143.70500001 on the other; the result is
    therefore rounded to 6 decimals here, as numeric(38, 6), which both do
    the same way, before any cast to the precision you report.
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
