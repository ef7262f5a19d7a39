{#-
    First day of the RFM window: var rfm_window_months before the reference
    date, or a null date (all history). A bad var fails at compile time.
-#}
{% macro rfm_window_start_date(reference_date) -%}
    {%- set value = var('rfm_window_months', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        cast(null as date)
    {%- else -%}
        {%- set text = value | string | trim -%}
        {%- if not modules.re.match('^[0-9]+$', text) or (text | int) < 1 -%}
            {{ exceptions.raise_compiler_error(
                "var rfm_window_months must be a positive whole number or null, got '"
                ~ text ~ "'"
            ) }}
        {%- endif -%}
        cast({{ dbt.dateadd('month', -1 * (text | int), reference_date) }} as date)
    {%- endif -%}
{%- endmacro %}
