{#-
    The frequency binning method from the var rfm_frequency_binning:
    'quantile' (edges at the 20/40/60/80 % quantiles, like recency and
    monetary) or 'rank' (customers ranked by frequency, then customer_id,
    and cut into five groups of equal size). Anything else fails at compile
    time.
-#}
{% macro rfm_frequency_binning() -%}
    {%- set value = var('rfm_frequency_binning', 'quantile') | string | trim | lower -%}
    {%- if value not in ['quantile', 'rank'] -%}
        {{ exceptions.raise_compiler_error(
            "var rfm_frequency_binning must be 'quantile' or 'rank', got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}
