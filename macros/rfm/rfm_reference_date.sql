{#-
    The RFM reference date: var rfm_reference_date (YYYY-MM-DD) or the day
    after last_invoice_date. A malformed var fails at compile time.
-#}
{% macro rfm_reference_date(last_invoice_date) -%}
    {%- set value = var('rfm_reference_date', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        cast({{ dbt.dateadd('day', 1, last_invoice_date) }} as date)
    {%- else -%}
        {%- set text = value | string | trim -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
            {{ exceptions.raise_compiler_error(
                "var rfm_reference_date must be YYYY-MM-DD or null, got '" ~ text ~ "'"
            ) }}
        {%- endif -%}
        cast('{{ text }}' as date)
    {%- endif -%}
{%- endmacro %}
