{#-
    The four quintile edges of a value, as aggregate select-list items:
    {{ name }}_p20, _p40, _p60 and _p80, the 20/40/60/80 % continuous
    percentiles (linear interpolation) of column, from the cross-database
    percentile_cont macro (which interpolates in double precision on both
    engines). Each edge is cast to numeric(18, 4): an edge of whole days,
    counts or pennies has at most three decimals, so DuckDB and PostgreSQL
    give the same exact edge, and comparing a value with it is exact.
-#}
{% macro rfm_quantile_edges(column, name) -%}
    {%- for percent in [20, 40, 60, 80] %}
    cast(
        {{ percentile_cont(column, percent / 100) }} as numeric(18, 4)
    ) as {{ name }}_p{{ percent }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
