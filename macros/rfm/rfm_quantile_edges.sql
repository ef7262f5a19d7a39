{#-
    The 20/40/60/80 % quintile edges of a column as four aggregate items,
    {{ name }}_p20 .. _p80, exact as numeric(18, 4) on both engines.
-#}
{% macro rfm_quantile_edges(column, name) -%}
    {%- for percent in [20, 40, 60, 80] %}
    cast(
        {{ percentile_cont(column, percent / 100) }} as numeric(18, 4)
    ) as {{ name }}_p{{ percent }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
