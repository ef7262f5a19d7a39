{#-
    The 20/40/60/80 % quintile edges of a column as four aggregate items,
    {{ name }}_p20 .. _p80, exact as numeric(18, 4) on both engines.
-#}
{% macro rfm_quantile_edges(column, name) -%}
    {%- set fractions = [0.2, 0.4, 0.6, 0.8] -%}
    {%- for fraction in fractions %}
    cast(
        {{ percentile_cont(column, fraction, fractions) }} as numeric(18, 4)
    ) as {{ name }}_p{{ loop.index * 20 }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
