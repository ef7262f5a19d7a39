{#-
    The var rfm_frequency_binning, checked: 'quantile' or 'rank'; anything
    else fails at compile time.
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
